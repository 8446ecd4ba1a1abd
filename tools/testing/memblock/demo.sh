#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# make run: what a user sees of the memory block drivers, step by step: the
# built-in C driver serves, the Rust driver (rust_memory_block) takes the
# blocks over, a block is probed and onlined through it, and the built-in
# driver serves again after rmmod.
. "$(dirname "$0")/lib.sh"
ADDR=0x100000000
n=$(( ADDR / $(block_size) ))

run() {
	echo "\$ $*"
	eval "$@"
	echo
}

echo "================================================================"
echo " /sys/devices/system/memory is served by the C driver built into"
echo " this kernel (drivers/base/memory.c) until rust_memory_block is"
echo " loaded: then by the Rust driver, which takes the memory hotplug"
echo " lock before a block's device lock on every online, offline and"
echo " probe. Userspace sees no difference."
echo "================================================================"
echo
run "uname -r"
run "lsmem -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES"
before=$(lsmem -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES)
mark=$(dmesg | wc -l)
run "modprobe rust_memory_block"
run "dmesg | tail -n +$((mark + 1)) | grep -E 'rust_memory_block|memory block devices'"
run "lsmem -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES"
if [ "$(lsmem -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES)" = "$before" ]; then
	echo "# lsmem is the same as before modprobe"
else
	echo "# lsmem CHANGED after modprobe: that is a bug"
fi
echo
run "grep MemTotal /proc/meminfo"
run "echo $ADDR > $MEM/probe"
run "cat $MEM/memory$n/state $MEM/memory$n/valid_zones"
run "echo online > $MEM/memory$n/state"
run "cat $MEM/memory$n/state $MEM/memory$n/valid_zones"
run "grep MemTotal /proc/meminfo"
run "lsmem -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES"
mark=$(dmesg | wc -l)
run "rmmod_retry rust_memory_block"
run "dmesg | tail -n +$((mark + 1)) | grep -E 'rust_memory_block|memory block devices'"
run "cat $MEM/memory$n/state"
echo "# The lock order lockdep recorded: the memory hotplug lock, then a block's lock"
run "awk '/: mem_hotplug_lock\$/, /^\$/' /proc/lockdep | grep -E 'mem_hotplug_lock|memory_block_lock'"
