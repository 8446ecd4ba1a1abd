#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The guest's memory layout leaves RAM above 4 GiB that the kernel did not
# take (QEMU gives 3 GiB, q35 maps 1 GiB of it at 0x100000000; mem=4G keeps
# the kernel below 4 GiB), so blocks there can be probed and onlined.
. "$(dirname "$0")/lib.sh"
progress "layout: checking the memory map"

expect "layout: block_size_bytes is 128 MiB" "$(cat $MEM/block_size_bytes)" 8000000

bs=$(block_size)
first=$((0x100000000 / bs))
last=$((0x13fffffff / bs))
present=
for n in $(seq "$first" "$last"); do
	[ -e "$MEM/memory$n" ] && present="$present memory$n"
done
expect "layout: memory$first-memory$last are not present at boot" "${present# }" ""

# The firmware map (printed before mem= trims it) has RAM up to 0x13fffffff.
e820=$(dmesg | grep -E 'BIOS-e820: \[mem 0x0000000100000000-0x[0-9a-f]+\] usable' | head -1)
end=$(printf '%s' "$e820" | sed -E 's/.*-0x([0-9a-f]+)\] usable.*/\1/')
if [ -n "$end" ] && [ $((16#$end)) -ge $((0x13fffffff)) ]; then
	tap_ok "layout: firmware reports RAM at 0x100000000-0x13fffffff"
else
	tap_not_ok "layout: firmware reports RAM at 0x100000000-0x13fffffff" \
		"e820 line: '${e820:-none}'" "$(dmesg | grep BIOS-e820)"
fi

# ... and the kernel did not take it (mem=4G).
high=
while IFS= read -r line; do
	case "$line" in
	*"System RAM"*)
		start=${line%%-*}
		start=${start// /}
		[ $((16#$start)) -ge $((0x100000000)) ] && high="$high$line "
		;;
	esac
done < /proc/iomem
if [ -z "$high" ] && grep -q 'System RAM' /proc/iomem; then
	tap_ok "layout: no System RAM above 4 GiB in /proc/iomem at boot"
else
	tap_not_ok "layout: no System RAM above 4 GiB in /proc/iomem at boot" "$high"
fi

# Two NUMA nodes (QEMU -numa: node0 0-0x5fffffff, node1 the rest, which
# includes 0x100000000-0x13fffffff), each with boot memory and a CPU.
NODE=/sys/devices/system/node
nodes=$(ls -d $NODE/node[0-9]* 2>/dev/null | xargs -n1 basename 2>/dev/null | tr '\n' ' ')
expect "layout: two NUMA nodes" "$nodes" "node0 node1 "
for n in node0 node1; do
	nb=$(ls -d $NODE/$n/memory[0-9]* 2>/dev/null | wc -l)
	nc=$(ls -d $NODE/$n/cpu[0-9]* 2>/dev/null | wc -l)
	if [ "$nb" -gt 0 ] && [ "$nc" -gt 0 ]; then
		tap_ok "layout: $n has $nb boot blocks and $nc CPU(s)"
	else
		tap_not_ok "layout: $n has boot blocks and a CPU" "$nb blocks, $nc CPUs"
	fi
done
srat=$(dmesg | grep -E 'SRAT: Node 1 PXM [0-9]+ \[mem 0x100000000-0x13fffffff\]')
if [ -n "$srat" ]; then
	tap_ok "layout: firmware (SRAT) puts 0x100000000-0x13fffffff on node 1"
else
	tap_not_ok "layout: firmware (SRAT) puts 0x100000000-0x13fffffff on node 1" "$(dmesg | grep SRAT)"
fi
