#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Negative control for lockdep, last in its boot (lockdep turns itself off
# after a report): memblock_lock_inversion.ko takes memory0's locks in
# the right order through the Rust types, then its device mutex (raw:
# the lockdep class memory_block_lock that drivers/base/memory.c gives
# every block's device mutex) and mem_hotplug_begin() in the inverted
# order.
#
# Passes only if lockdep reports one "possible circular locking dependency"
# whose held lock is the block lock (memory_block_lock), whose wanted lock
# is one of the two locks mem_hotplug_begin() takes (cpu_hotplug_lock, then
# mem_hotplug_lock), and whose chain holds the block lock and
# mem_hotplug_lock and nothing else but cpu_hotplug_lock; and if nothing
# was reported before the inverted order.
. "$(dirname "$0")/lib.sh"
EXT=${1:?usage: lockdep-inversion.sh MODULE_DIR}
MOD=memblock_lock_inversion
progress "lockdep: $MOD takes memory0's locks in the inverted order"

expect "lockdep: lockdep is on before the test (debug_locks)" "$(debug_locks)" 1
mark=$(dmesg | wc -l)
expect "lockdep: insmod $MOD" "$(insmod "$EXT/$MOD.ko" 2>&1; echo "rc=$?")" "rc=0"
log=$(dmesg_since "$mark" | sed -E 's/^\[[ 0-9.]+\] //')

before=$(sed -n '/locked memory0 in the right order/q;p' <<< "$log")
if grep -q 'possible circular locking dependency' <<< "$before"; then
	tap_not_ok "lockdep: nothing reported for the right order" "$before"
elif grep -q 'locked memory0 in the right order' <<< "$log"; then
	tap_ok "lockdep: nothing reported for the right order"
else
	tap_not_ok "lockdep: nothing reported for the right order" "the module did not get there:" "$log"
fi

n=$(grep -c 'WARNING: possible circular locking dependency detected' <<< "$log")
name="lockdep: one possible circular locking dependency reported for the inverted order"
if [ "$n" = 1 ]; then
	tap_ok "$name"
else
	tap_not_ok "$name" "$n reports; the log since insmod:" "$(head -60 <<< "$log")"
	exit 0
fi
# The lock named on the line after each heading: "ADDR (NAME){...}-{...}, at: ...".
lockdep_report "$log"
expect "lockdep: the held lock is the block lock" "$held" "memory_block_lock"
case "$wanted" in
cpu_hotplug_lock|mem_hotplug_lock) tap_ok "lockdep: the wanted lock is mem_hotplug_begin()'s ($wanted)" ;;
*) tap_not_ok "lockdep: the wanted lock is mem_hotplug_begin()'s" "wanted: '$wanted'" ;;
esac
expect "lockdep: the chain is the block lock and the hotplug locks, nothing else" "$chain" \
	"cpu_hotplug_lock mem_hotplug_lock memory_block_lock "
expect "lockdep: lockdep turned itself off after the report (debug_locks)" "$(debug_locks)" 0
expect "lockdep: the module went on after the report" "$(grep -c "$MOD: inverted order done" <<< "$log")" 1

# The splat detector's self-test for lockdep: not told to expect this
# report, the detector reports it.
detector_reports "lockdep: the splat detector reports the inversion when not told to expect it" \
	'possible circular locking dependency'

# With lockdep off, the C side still refuses a registration from inside a
# provider's callback (it lists the tasks that run one; it does not ask
# lockdep): memblock_rust_test's auto_online_blocks store registers a
# second provider, which would otherwise get EBUSY (an unregistration there
# would wait for itself, for good).
T=memblock_rust_test
expect "lockdep: lockdep off, insmod $T" "$(insmod "$EXT/$T.ko" 2>&1; echo "rc=$?")" "rc=0"
expect "lockdep: lockdep off, a provider registered from a provider's callback -> EDEADLK" \
	"$(sysfs_write $MEM/auto_online_blocks online_movable)" EDEADLK
expect "lockdep: lockdep off, rmmod $T" "$(rmmod_retry $T 2>&1; echo "rc=$?")" "rc=0"
