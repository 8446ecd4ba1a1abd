#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Probe smoke test: hot-add one block through the root "probe" file, online
# it, offline it; bad addresses get the errno drivers/base/memory.c gives
# (probe_store(): misaligned -> EINVAL; kstrtoull() failure -> EINVAL;
# a range already present -> EEXIST from add_memory_resource()) and change
# nothing.
. "$(dirname "$0")/lib.sh"
progress "probe: hot-add, online, offline, bad input"

ADDR=${PROBE_ADDR:-0x100000000}
bs=$(block_size)
n=$((ADDR / bs))
blk=$MEM/memory$n

if [ -e "$blk" ]; then
	tap_not_ok "probe: memory$n is absent before the probe" "it exists: the layout is not the expected one"
	exit 0
fi
tap_ok "probe: memory$n is absent before the probe"

before=$(memory_blocks)
total0=$(mem_total_kb)
expect "probe: write $ADDR to probe" "$(sysfs_write $MEM/probe $ADDR)" OK
expect "probe: memory$n appears, offline" "$(cat "$blk/state" 2>&1)" offline
expect "probe: memory$n phys_index" "$(cat "$blk/phys_index" 2>&1)" "$(printf '%08x' "$n")"
expect "probe: exactly one block was added" \
	"$(blocks_added "$before" | tr '\n' ' ')" "memory$n "
expect "probe: MemTotal unchanged while offline" "$(mem_total_kb)" "$total0"

expect "probe: online_movable memory$n" "$(sysfs_write "$blk/state" online_movable)" OK
expect "probe: memory$n state is online" "$(cat "$blk/state")" online
expect "probe: memory$n online is 1" "$(cat "$blk/online")" 1
expect "probe: MemTotal grew by one block" "$(mem_total_kb)" "$((total0 + bs / 1024))"

expect "probe: offline memory$n" "$(sysfs_write "$blk/state" offline)" OK
expect "probe: memory$n state is offline" "$(cat "$blk/state")" offline
expect "probe: MemTotal back to its value before" "$(mem_total_kb)" "$total0"

# Bad input: errno as the C driver, and nothing changes.
after=$(memory_blocks)
iomem=$(cat /proc/iomem)
for off in 4096 $((bs / 2)); do
	bad=$(printf '0x%x' $((ADDR + off)))
	expect "probe: misaligned address $bad -> EINVAL" "$(sysfs_write $MEM/probe "$bad")" EINVAL
done
expect "probe: not a number -> EINVAL" "$(sysfs_write $MEM/probe 4G)" EINVAL
expect "probe: already added $ADDR -> EEXIST" "$(sysfs_write $MEM/probe $ADDR)" EEXIST
expect "probe: rejected writes left the block list unchanged" "$(memory_blocks)" "$after"
expect "probe: rejected writes left /proc/iomem unchanged" "$(cat /proc/iomem)" "$iomem"
expect "probe: memory$n still offline" "$(cat "$blk/state")" offline
