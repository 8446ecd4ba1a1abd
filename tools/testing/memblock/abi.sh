#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The memory block ABI is complete: every root file and every per-block file
# exists with the mode the C driver declares for it, and each block has
# exactly one nodeN link, matching the node side and the firmware's NUMA map.
#
# Expected modes are read from the kernel source the guest runs
# (DEVICE_ATTR_RO/RW/WO in drivers/base/memory.c and drivers/base/core.c,
# or memory.c's MEMORY_ATTR_RO/RW/WO, which give the same modes);
# the per-block file names from Documentation/ABI/testing/sysfs-devices-memory.
. "$(dirname "$0")/lib.sh"
KSRC=${1:?usage: abi.sh KERNEL_SOURCE_DIR [LABEL]}
LABEL=${2:-abi}
NODE=/sys/devices/system/node
BOOT_RAM_END=${BOOT_RAM_END:-0x100000000}
progress "$LABEL: files, modes and node links of every block"

declared_mode() {
	local kind
	kind=$(grep -hoE "^static (DEVICE|MEMORY)_ATTR_[A-Z_]+\($1\);" \
		"$KSRC/drivers/base/memory.c" "$KSRC/drivers/base/core.c" |
		sed -E 's/.*(DEVICE|MEMORY)_ATTR_([A-Z_]+)\(.*/\2/' | head -1)
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

# Every file's mode and every link's target under $MEM and the node side,
# from one find each: a process per file would take minutes under TCG.
declare -A FMODE LINK
while read -r kind path rest; do
	if [ "$kind" = f ]; then FMODE[$path]=$rest; else LINK[$path]=${rest##*/}; fi
done < <(find "$MEM" -mindepth 1 -maxdepth 2 \( -type f -printf 'f %P %m\n' \) -o \( -type l -printf 'l %P %l\n' \)
	find "$NODE" -mindepth 2 -maxdepth 2 -type l -printf 'l node/%P %l\n')

# file_problems PREFIX NAME...: each PREFIX/NAME (relative to $MEM) is a
# file with its declared mode; the problems go to the array BAD.
file_problems() {
	local prefix=$1 name want have
	shift
	for name in "$@"; do
		want=${MODE[$name]}
		have=${FMODE[$prefix$name]:-}
		if [ -z "$have" ]; then
			BAD+=("$MEM/$prefix$name: missing (declared $want)")
		elif [ "$have" != "$want" ]; then
			BAD+=("$MEM/$prefix$name: mode $have, C declares $want")
		fi
	done
}

BAD=()
file_problems "" $ROOT_FILES
what="root files ($ROOT_FILES)"
if [ ${#BAD[@]} = 0 ]; then tap_ok "$LABEL: $what"; else tap_not_ok "$LABEL: $what" "${BAD[@]}"; fi

blocks=$(memory_blocks)
nblocks=$(echo "$blocks" | wc -l)
BAD=()
for b in $blocks; do
	file_problems "$b/" $BLOCK_FILES
	[ "${LINK[$b/subsystem]:-}" = memory ] || BAD+=("$b: subsystem link is not ../memory")
done
if [ ${#BAD[@]} = 0 ]; then
	tap_ok "$LABEL: all $nblocks blocks have $BLOCK_FILES and subsystem, with C's modes"
else
	tap_not_ok "$LABEL: all $nblocks blocks have $BLOCK_FILES and subsystem, with C's modes" "${BAD[@]}"
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
	links=()
	sides=()
	for l in "${!LINK[@]}"; do
		case "$l" in
		"$b"/node[0-9]*) links+=("${l#"$b"/}") ;;
		node/node[0-9]*/"$b") l=${l#node/}; sides+=("${l%/"$b"}") ;;
		esac
	done
	if [ ${#links[@]} != 1 ]; then
		bad+=("$b: ${#links[@]}-node links: '${links[*]}'")
		continue
	fi
	node=${links[0]}
	[ "${LINK[$b/$node]}" = "$node" ] || bad+=("$b/$node does not point to $node")
	[ "${LINK[node/$node/$b]:-}" = "$b" ] || bad+=("$NODE/$node/$b missing or not a link to $b")
	[ "${sides[*]}" = "$node" ] || bad+=("$b listed under nodes '${sides[*]}', not only $node")
	# Blocks the kernel booted with must sit on the firmware's node.  A
	# block probed later above the mem= limit gets the node of
	# memory_add_physaddr_to_nid(), which falls back to the first node
	# because mem= trimmed that range from the kernel's NUMA map.
	IFS= read -r index < "$MEM/$b/phys_index"
	start=$((16#$index * bs))
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
