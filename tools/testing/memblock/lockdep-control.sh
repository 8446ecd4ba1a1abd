#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Guest side of make lockdep-control (host/lockdep-control-check.sh): in the
# pristine kernel plus only the patch that gives memory block device
# mutexes a lockdep class, a hot-add through "probe" and an online through
# "state" must make lockdep report the circular dependency between
# mem_hotplug_lock (or cpu_hotplug_lock, which mem_hotplug_begin() takes
# first) and the block's device mutex (memory_block_lock): the 2015
# deadlock of upstream 30467e0b3be8, in 6.12's order.
# Writes OUT/results.tap and OUT/dmesg.txt.
. "$(dirname "$0")/lib.sh"
OUT=${1:?usage: lockdep-control.sh OUT_DIR}
exec > "$OUT/results.tap" 2>&1

expect "control: lockdep is on at boot (debug_locks)" "$(debug_locks)" 1
expect "control: the class is there (memory_block_lock in /proc/lockdep)" \
	"$(grep -c ' memory_block_lock$' /proc/lockdep | sed 's/^[1-9][0-9]*$/yes/')" yes
mark=$(dmesg | wc -l)
sysfs_write "$MEM/probe" 0x100000000 > /dev/null
expect "control: probe 0x100000000 added memory32" "$(cat "$MEM/memory32/state" 2>&1)" offline
sysfs_write "$MEM/memory32/state" online > /dev/null
expect "control: memory32 online through state" "$(cat "$MEM/memory32/state" 2>&1)" online
log=$(dmesg_since "$mark" | sed -E 's/^\[[ 0-9.]+\] //')
dmesg > "$OUT/dmesg.txt"

n=$(grep -c 'WARNING: possible circular locking dependency detected' <<< "$log")
expect "control: lockdep reports one possible circular locking dependency" "$n" 1
lockdep_report "$log"
expect "control: the held lock is the block's device mutex" "$held" memory_block_lock
case "$wanted" in
cpu_hotplug_lock|mem_hotplug_lock) tap_ok "control: the wanted lock is mem_hotplug_begin()'s ($wanted)" ;;
*) tap_not_ok "control: the wanted lock is mem_hotplug_begin()'s" "wanted: '$wanted'" ;;
esac
case "$chain" in
*mem_hotplug_lock*memory_block_lock*) tap_ok "control: the chain has mem_hotplug_lock and memory_block_lock ($chain)" ;;
*) tap_not_ok "control: the chain has mem_hotplug_lock and memory_block_lock" "chain: '$chain'" ;;
esac
# The report, for the note and the commit message.
sed -n '/possible circular locking dependency detected/,/^ *\*\*\* DEADLOCK \*\*\*/p' <<< "$log" > "$OUT/report.txt"
sed 's/^/# /' "$OUT/report.txt" | head -60
