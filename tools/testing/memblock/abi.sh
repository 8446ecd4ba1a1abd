#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The memory block ABI is complete: every root file and every per-block file
# exists with the mode the C driver declares for it, and each block has
# exactly one nodeN link, matching the node side and the firmware's NUMA map.
#
# Expected modes are read from the kernel source the guest runs
# (DEVICE_ATTR_RO/RW/WO in drivers/base/memory.c and drivers/base/core.c);
# the per-block file names from Documentation/ABI/testing/sysfs-devices-memory.
. "$(dirname "$0")/lib.sh"
KSRC=${1:?usage: abi.sh KERNEL_SOURCE_DIR [LABEL]}
LABEL=${2:-abi}
NODE=/sys/devices/system/node
BOOT_RAM_END=${BOOT_RAM_END:-0x100000000}
progress "$LABEL: files, modes and node links of every block"

declared_mode() {
	local kind
	kind=$(grep -hoE "^static DEVICE_ATTR_[A-Z_]+\($1\);" \
		"$KSRC/drivers/base/memory.c" "$KSRC/drivers/base/core.c" |
		sed -E 's/.*DEVICE_ATTR_([A-Z_]+)\(.*/\1/' | head -1)
	case "$kind" in
	RO) echo 444 ;; RW) echo 644 ;; WO) echo 200 ;;
	ADMIN_RO) echo 400 ;; ADMIN_RW) echo 600 ;;
	*) echo "undeclared" ;;
	esac
}

ROOT_FILES="probe block_size_bytes auto_online_blocks crash_hotplug soft_offline_page hard_offline_page uevent"
BLOCK_FILES="$(sed -nE 's@^What:[[:space:]]+/sys/devices/system/memory/memoryX/([a-z_]+)$@\1@p' \
	"$KSRC/Documentation/ABI/testing/sysfs-devices-memory" | tr '\n' ' ')online uevent"
declare -A MODE
for name in $ROOT_FILES $BLOCK_FILES; do
	MODE[$name]=$(declared_mode "$name")
done

# check_files WHAT DIR NAME...: each DIR/NAME is a file with its declared mode.
check_files() {
	local what=$1 dir=$2 bad=() name want have
	shift 2
	for name in "$@"; do
		want=${MODE[$name]}
		if [ ! -f "$dir/$name" ]; then
			bad+=("$dir/$name: missing (declared $want)")
			continue
		fi
		have=$(stat -c %a "$dir/$name")
		[ "$have" = "$want" ] || bad+=("$dir/$name: mode $have, C declares $want")
	done
	if [ ${#bad[@]} = 0 ]; then tap_ok "$LABEL: $what"; else tap_not_ok "$LABEL: $what" "${bad[@]}"; fi
}

check_files "root files ($ROOT_FILES)" "$MEM" $ROOT_FILES

blocks=$(memory_blocks)
nblocks=$(echo "$blocks" | wc -l)
bad=()
for b in $blocks; do
	out=$(check_files "$b" "$MEM/$b" $BLOCK_FILES)
	case "$out" in not*) bad+=("$(echo "$out" | sed -n 's/^# //p')") ;; esac
	[ "$(basename "$(readlink "$MEM/$b/subsystem")")" = memory ] || bad+=("$b: subsystem link is not ../memory")
done
if [ ${#bad[@]} = 0 ]; then
	tap_ok "$LABEL: all $nblocks blocks have $BLOCK_FILES and subsystem, with C's modes"
else
	tap_not_ok "$LABEL: all $nblocks blocks have $BLOCK_FILES and subsystem, with C's modes" "${bad[@]}"
fi

# Node links.  Firmware's map: "SRAT: Node N PXM P [mem 0xSTART-0xEND]".
srat=$(dmesg | sed -nE 's/.*SRAT: Node ([0-9]+) PXM [0-9]+ \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\].*/\1 \2 \3/p')
bs=$(block_size)
firmware_node() {
	local addr=$1 n s e
	while read -r n s e; do
		[ -n "$n" ] && [ "$addr" -ge $((s)) ] && [ "$addr" -le $((e)) ] && { echo "$n"; return; }
	done <<< "$srat"
	echo none
}
bad=()
for b in $blocks; do
	links=$(cd "$MEM/$b" && ls -d node[0-9]* 2>/dev/null | tr '\n' ' ')
	set -- $links
	if [ $# != 1 ]; then
		bad+=("$b: ${#}-node links: '$links'")
		continue
	fi
	node=$1
	[ "$(basename "$(readlink "$MEM/$b/$node")")" = "$node" ] || bad+=("$b/$node does not point to $node")
	[ "$(basename "$(readlink "$NODE/$node/$b" 2>/dev/null)")" = "$b" ] ||
		bad+=("$NODE/$node/$b missing or not a link to $b")
	others=$(ls -d "$NODE"/node[0-9]*/"$b" 2>/dev/null | grep -v "/$node/" | tr '\n' ' ')
	[ -z "$others" ] || bad+=("$b also listed under $others")
	# Blocks the kernel booted with must sit on the firmware's node.  A
	# block probed later above the mem= limit gets the node of
	# memory_add_physaddr_to_nid(), which falls back to the first node
	# because mem= trimmed that range from the kernel's NUMA map.
	start=$((16#$(cat "$MEM/$b/phys_index") * bs))
	[ "$start" -lt $((BOOT_RAM_END)) ] || continue
	fw=$(firmware_node "$start")
	[ "$fw" = none ] || [ "node$fw" = "$node" ] || bad+=("$b: linked to $node, firmware (SRAT) puts it on node$fw")
done
if [ -z "$srat" ]; then
	tap_not_ok "$LABEL: every block has one nodeN link, matching node side and SRAT" "no SRAT lines in dmesg: is the guest NUMA?"
elif [ ${#bad[@]} = 0 ]; then
	tap_ok "$LABEL: every block has one nodeN link, matching node side and SRAT ($nblocks blocks)"
else
	tap_not_ok "$LABEL: every block has one nodeN link, matching node side and SRAT" "${bad[@]}"
fi
