#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Print a dump of /sys/devices/system/memory: every root file and every file
# of every block with its mode and (where readable) value, every symlink
# with its target's name, and the node side (nodeN/memoryM links).  Two
# dumps taken on the same layout and state compare with diff.
MEM=/sys/devices/system/memory
NODE=/sys/devices/system/node

dump_dir() {
	local dir=$1 prefix=$2 e name
	for e in "$dir"/*; do
		name=${e##*/}
		if [ -L "$e" ]; then
			echo "$prefix$name -> $(basename "$(readlink "$e")")"
		elif [ -d "$e" ]; then
			case "$name" in memory[0-9]*|power) dump_dir "$e" "$prefix$name/" ;; esac
		elif [ -f "$e" ]; then
			mode=$(stat -c %a "$e")
			if [ $((8#$mode & 8#400)) != 0 ]; then
				val=$(cat "$e" 2>/dev/null) || val="<read error>"
				printf '%s%s %s %s\n' "$prefix" "$name" "$mode" "$(printf '%s' "$val" | tr '\n' ' ')"
			else
				printf '%s%s %s\n' "$prefix" "$name" "$mode"
			fi
		fi
	done
}

echo "# /sys/devices/system/memory"
dump_dir "$MEM" "" | sort -V
if [ -d "$NODE" ]; then
	echo "# /sys/devices/system/node/nodeN/memoryM"
	for l in "$NODE"/node[0-9]*/memory[0-9]*; do
		[ -L "$l" ] && echo "${l#"$NODE"/} -> $(basename "$(readlink "$l")")"
	done | sort -V
fi
