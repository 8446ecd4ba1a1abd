#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The sysfs dump (dump.sh) covers what it must: a line for every file of
# every block, the root files, and the node side of every block.
. "$(dirname "$0")/lib.sh"
DUMP=${1:?usage: dump-check.sh DUMP [LABEL]}
LABEL=${2:-dump}
progress "dump: checking $DUMP"
bad=()
for b in $(memory_blocks); do
	for f in phys_index state phys_device removable valid_zones online uevent; do
		grep -qE "^$b/$f [0-7]{3}( |$)" "$DUMP" || bad+=("no line for $b/$f")
	done
	grep -qE "^$b/node[0-9]+ -> node[0-9]+$" "$DUMP" || bad+=("no node link for $b")
	grep -qE "^node[0-9]+/$b -> $b$" "$DUMP" || bad+=("no node-side link for $b")
done
for f in probe block_size_bytes auto_online_blocks crash_hotplug soft_offline_page hard_offline_page uevent; do
	grep -qE "^$f [0-7]{3}( |$)" "$DUMP" || bad+=("no line for root file $f")
done
name="$LABEL: sysfs dump of $(memory_blocks | wc -l) blocks taken as this run's reference ($(wc -l < "$DUMP") lines)"
if [ ${#bad[@]} = 0 ]; then tap_ok "$name"; else tap_not_ok "$name" "${bad[@]}"; fi
