#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The sysfs dump (dump.sh) covers what it must: a line for every file of
# every block, the root files, and the node side of every block.
#
# One awk pass over the dump: a grep per expected line (some 150 of them)
# took a quarter of a minute under QEMU's TCG.
. "$(dirname "$0")/lib.sh"
DUMP=${1:?usage: dump-check.sh DUMP [LABEL]}
LABEL=${2:-dump}
progress "dump: checking $DUMP"
blocks=$(memory_blocks | tr '\n' ' ')
checked=$(awk -v blocks="$blocks" '
	# What the dump has: "PATH MODE [VALUE]" for files, "PATH -> TARGET"
	# for links.
	$2 ~ /^[0-7][0-7][0-7]$/ { file[$1] = 1 }
	$2 == "->" && $1 ~ /^memory[0-9]+\/node[0-9]+$/ && $3 ~ /^node[0-9]+$/ {
		split($1, p, "/"); nodelink[p[1]] = 1
	}
	$2 == "->" && $1 ~ /^node[0-9]+\/memory[0-9]+$/ {
		split($1, p, "/"); if ($3 == p[2]) nodeside[p[2]] = 1
	}
	END {
		n = split(blocks, b, " ")
		nf = split("phys_index state phys_device removable valid_zones online uevent", bf, " ")
		for (i = 1; i <= n; i++) {
			for (j = 1; j <= nf; j++)
				if (!((b[i] "/" bf[j]) in file)) print "no line for " b[i] "/" bf[j]
			if (!(b[i] in nodelink)) print "no node link for " b[i]
			if (!(b[i] in nodeside)) print "no node-side link for " b[i]
		}
		nr = split("probe block_size_bytes auto_online_blocks crash_hotplug soft_offline_page hard_offline_page uevent", rf, " ")
		for (j = 1; j <= nr; j++)
			if (!(rf[j] in file)) print "no line for root file " rf[j]
	}' "$DUMP") || checked="awk could not check $DUMP (status $?)"
mapfile -t bad < <(printf '%s' "$checked" | grep .)
name="$LABEL: sysfs dump of $(wc -w <<< "$blocks") blocks taken as this run's reference ($(wc -l < "$DUMP") lines)"
if [ ${#bad[@]} = 0 ]; then tap_ok "$name"; else tap_not_ok "$name" "${bad[@]}"; fi
