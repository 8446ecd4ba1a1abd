#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The soak (soak.py): the 2015 race workload for SOAK_SECONDS (60 in make
# check, 600 in make soak) with systemd-udevd onlining every block added
# offline: probes and their removal, auto_online_blocks, online/offline
# writers, virtio-mem plug/unplug, ACPI DIMM add/eject, soft offline, and
# rust_memory_block loaded and unloaded, readers throughout; every minute
# every block accounted for.  Results: udevd ran; no worker gave up and
# none hung; every check found every block, MemTotal and
# HardwareCorrupted exact; no operation gave an errno the built-in driver
# would not give; every kind of operation succeeded at least once; the
# Rust driver's code ran (served-by hits); the blocks back in their states.
#
# usage: soak.sh RUST_MODULES (where memblock_unprobe.ko was built)
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
MODS=${1:?usage: soak.sh RUST_MODULES}
SECS=${SOAK_SECONDS:-60}
DRV=rust_memory_block
progress "soak: $SECS s of probes, virtio-mem, ACPI DIMMs, writers, soft offline and $DRV hand-overs under systemd-udevd"
modprobe hwpoison_inject 2> /dev/null
served_setup
bs=$(block_size)
auto0=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null

# P: a free block of memory32-39 for the prober (or an online one); W1,
# W2: two more, offline or online movable (free ones are probed).
P= W=()
for i in $(seq $((0x100000000 / bs)) $((0x13fffffff / bs))); do
	b=$MEM/memory$i
	if [ -z "$P" ] && { [ ! -e "$b" ] || [ "$(cat $b/state)" = online ]; }; then
		[ -e "$b" ] && [ "$(cat $b/valid_zones)" != Movable ] && continue
		P=$i
		continue
	fi
	[ ${#W[@]} -lt 2 ] || continue
	[ -e "$b" ] || [ "$(sysfs_write $MEM/probe "$(printf '0x%x' $((i * bs)))")" = OK ] || continue
	case "$(cat $b/state) $(cat $b/valid_zones)" in
	offline*|"online Movable") W+=("$i") ;;
	esac
done
if [ -z "$P" ] || [ ${#W[@]} -lt 2 ]; then
	tap_not_ok "soak: blocks for the prober and two writers in memory32-39" \
		"$(for i in $(seq 32 39); do echo "memory$i $(cat $MEM/memory$i/state 2>/dev/null || echo absent)"; done | tr '\n' ' ')"
	exit 0
fi
p0=$(cat $MEM/memory$P/state 2>/dev/null || echo absent)
w0=("$(cat $MEM/memory${W[0]}/state)" "$(cat $MEM/memory${W[1]}/state)")
# The soft-offlined page: one free (in the buddy allocator, KPF_BUDDY) in
# the middle of boot memory, which nothing offlines.
soft=$(/usr/bin/python3 - $((0x40000000 / 4096)) <<'PY'
import sys
start = int(sys.argv[1])
with open("/proc/kpageflags", "rb") as f:
    f.seek(start * 8)
    for i in range(1 << 16):
        if int.from_bytes(f.read(8), "little") >> 10 & 1:
            print(hex(start + i))
            break
PY
)
insmod "$MODS/memblock_unprobe.ko" || { tap_not_ok "soak: insmod memblock_unprobe.ko"; exit 0; }

mkdir -p /run/udev/rules.d
echo 'SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline", ATTR{state}="online_movable"' \
	> /run/udev/rules.d/99-memblock-soak.rules
pgrep -x systemd-udevd > /dev/null || /lib/systemd/systemd-udevd --daemon 2> /tmp/udevd.err
if wait_for 10 udevadm control --ping 2> /dev/null; then
	tap_ok "soak: systemd-udevd runs, with a rule onlining added memory blocks"
else
	tap_not_ok "soak: systemd-udevd runs" "$(cat /tmp/udevd.err)"
fi

out=$(mktemp -d /tmp/soak.XXXXXX)
served_mark
t0=$(date +%s)
PYTHONPATH=$DIR /usr/bin/python3 "$DIR/soak.py" "$SECS" "$out" "$(modinfo -n $DRV)" \
	/sys/module/memblock_unprobe/parameters/remove "$P" "${W[0]}" "${W[1]}" "$soft" 2> "$out/stderr"
rc=$?
secs=$(( $(date +%s) - t0 ))
grep '^\[guest\]' "$out/stderr" >&2
. "$out/summary" 2> /dev/null || { seconds=0 checks=0 checks_good=0 failed=1 alive=?; }
if [ "$rc" = 0 ] && [ "$failed" = 0 ] && [ -z "$alive" ] && [ "$seconds" -ge "$SECS" ]; then
	tap_ok "soak: $seconds s (asked $SECS), no worker gave up or hung"
else
	tap_not_ok "soak: $SECS s, no worker gave up or hung" "exit $rc after $secs s; $(tr '\n' ' ' < "$out/summary" 2>/dev/null)" \
		"$(grep -v '^\[guest\]' "$out/stderr" | tail -5)" "$(grep timeout "$out/bad" 2>/dev/null)"
fi
while IFS= read -r l; do echo "# $l"; done < "$out/checks"
if [ "$checks_good" = 1 ] && [ "$checks" -ge 1 ] && ! grep -q '^bad' "$out/checks"; then
	tap_ok "soak: every check ($checks, one a minute and one at the end) found every block in the state its writes made, MemTotal and HardwareCorrupted exact"
else
	tap_not_ok "soak: every check found every block accounted for" "$(grep '^bad' "$out/checks")"
fi
# The counts: a line per kind, its results.
table=$(awk -F '\t' '{ r[$1] = r[$1] (r[$1] == "" ? "" : ", ") $2 " " $3 } END { for (k in r) print k ": " r[k] }' \
	"$out/counts" | sort)
while IFS= read -r l; do echo "# $l"; done <<< "$table"
cp "$out/counts" "/tmp/soak-counts.tsv"
if [ ! -s "$out/bad" ] && [ -s "$out/counts" ]; then
	tap_ok "soak: $(awk -F '\t' '{ n += $3 } END { print n }' "$out/counts") operations, none with an errno the built-in driver would not give"
else
	tap_not_ok "soak: no operation with an errno the built-in driver would not give" "$(head -20 "$out/bad")"
fi
missing=
for k in probe unprobe "auto_online_blocks offline" "auto_online_blocks online_movable" "state offline" \
	"state online_movable" "online 0" "online 1" "virtio-mem blocks online" "virtio-mem unplugged" \
	"dimm blocks online" "dimm ejected" soft_offline_page unpoison-pfn insmod rmmod read; do
	grep -qP "^\Q$k\E\tOK\t" "$out/counts" || missing="$missing$k; "
done
expect "soak: every kind of operation succeeded at least once" "$missing" ""
rust_ran "soak: the Rust driver's code ran" probe_store state_store online offline \
	auto_online_blocks_store soft_offline_page_store state_show valid_zones_show

# Back: the driver unloaded, the blocks in their states at the start.
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null
udevadm settle --timeout=30
udevadm control --exit
rm -f /run/udev/rules.d/99-memblock-soak.rules
pa=$(printf '0x%x' $((P * bs)))
case "$p0 $(cat $MEM/memory$P/state 2>/dev/null || echo absent)" in
"absent online"|"absent offline") sysfs_write /sys/module/memblock_unprobe/parameters/remove "$pa" > /dev/null ;;
"online absent") sysfs_write $MEM/probe "$pa" > /dev/null; sysfs_write $MEM/memory$P/state online_movable > /dev/null ;;
esac
for k in 0 1; do
	b=$MEM/memory${W[$k]}
	[ "$(cat $b/state)" = "${w0[$k]}" ] && continue
	case "${w0[$k]}" in
	offline) sysfs_write $b/state offline > /dev/null ;;
	*) sysfs_write $b/state online_movable > /dev/null ;;
	esac
done
rmmod_retry memblock_unprobe > /dev/null
echo "$auto0" > $MEM/auto_online_blocks
expect "soak: the blocks back in their states (memory$P ${p0}, memory${W[0]} ${w0[0]}, memory${W[1]} ${w0[1]})" \
	"$(cat $MEM/memory$P/state 2>/dev/null || echo absent) $(cat $MEM/memory${W[0]}/state) $(cat $MEM/memory${W[1]}/state)" \
	"$p0 ${w0[0]} ${w0[1]}"
rm -rf "$out"
