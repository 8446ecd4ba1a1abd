#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Print a dump of /sys/devices/system/memory: every root file and every file
# of every block with its mode and (where readable) value, every symlink
# with its target's name, and the node side (nodeN/memoryM links).  Two
# dumps taken on the same layout and state compare with diff.
#
# One find lists everything and the values are read with bash's read: a
# process per file would take minutes under QEMU's TCG.
MEM=${MEM_DIR:-/sys/devices/system/memory}
NODE=${NODE_DIR:-/sys/devices/system/node}
errf=$(mktemp /tmp/dump-err.XXXXXX)
trap 'rm -f "$errf"' EXIT

# Only the subfolders memoryN and power are followed (at any depth).
echo "# /sys/devices/system/memory"
find "$MEM" -mindepth 1 \( -type d ! -name 'memory[0-9]*' ! -name power -prune \) -o \
	\( -type l -printf 'l %P %l\n' \) -o \( -type f -printf 'f %P %m\n' \) |
while read -r kind path rest; do
	if [ "$kind" = l ]; then
		echo "$path -> ${rest##*/}"
	elif [ $((8#$rest & 8#400)) != 0 ]; then
		# read stops at the end (status 1); an error it prints to $errf.
		val=
		{ IFS= read -r -d '' val < "$MEM/$path"; } 2> "$errf"
		[ ! -s "$errf" ] || val="<read error>"
		# As $(cat FILE) | tr '\n' ' ': trailing newlines dropped, the others spaces.
		while [[ $val == *$'\n' ]]; do val=${val%$'\n'}; done
		printf '%s %s %s\n' "$path" "$rest" "${val//$'\n'/ }"
	else
		printf '%s %s\n' "$path" "$rest"
	fi
done | sort -V
if [ -d "$NODE" ]; then
	echo "# /sys/devices/system/node/nodeN/memoryM"
	find "$NODE" -mindepth 2 -maxdepth 2 -path "$NODE/node[0-9]*/memory[0-9]*" -type l -printf '%P %l\n' |
		while read -r path target; do echo "$path -> ${target##*/}"; done | sort -V
fi
