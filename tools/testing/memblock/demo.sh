#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# make run: what a user sees of the memory block driver, step by step.
. "$(dirname "$0")/lib.sh"
ADDR=0x100000000
n=$(( ADDR / $(block_size) ))

run() {
	echo "\$ $*"
	eval "$@"
	echo
}

echo "================================================================"
echo " Memory block devices served by: the C driver built into this"
echo " kernel (drivers/base/memory.c). The Rust driver does not exist"
echo " yet; this shows the baseline it will be compared to."
echo "================================================================"
echo
mark=$(dmesg | wc -l)
run "uname -r"
run "grep MemTotal /proc/meminfo"
run "lsmem -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES"
run "echo $ADDR > $MEM/probe"
run "cat $MEM/memory$n/state $MEM/memory$n/valid_zones"
run "echo online > $MEM/memory$n/state"
run "cat $MEM/memory$n/state"
run "lsmem -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES"
run "grep MemTotal /proc/meminfo"
echo "\$ dmesg   # the lines logged since the probe"
dmesg_since "$mark" | grep -vE 'virtme|9p|random:' 
