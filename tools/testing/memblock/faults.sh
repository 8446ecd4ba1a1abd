#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Fault injection on every path (failnth.py): each allocation of the
# writing task fails in turn (failslab and fail_page_alloc through
# fail-nth) in a probe, an online (movable, kernel, and of an ACPI DIMM's
# block with its memmap on itself when memory_hotplug.memmap_on_memory is
# on), an offline, a valid_zones read and a soft offline, under the
# built-in driver and then under rust_memory_block, and in its insmod and
# rmmod.  failnth-check.py gives a result per walk; then kmemleak.
#
# usage: faults.sh RUST_MODULES [OUT]
#   RUST_MODULES: where memblock_unprobe.ko was built; OUT: where the
#   walks' records go (c.jsonl, rust.jsonl; a folder in /tmp if not given)
# FAILNTH_STEP=K walks every K-th N only (the short form).
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
MODS=${1:?usage: faults.sh RUST_MODULES [OUT]}
DRV=rust_memory_block
DBG=/sys/kernel/debug
progress "faults: every allocation of each path failed in turn (fail-nth${FAILNTH_STEP:+, every ${FAILNTH_STEP}th}), the built-in driver, then $DRV"
modprobe hwpoison_inject 2> /dev/null
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null
grep -q " $TRACEFS tracefs " /proc/mounts || mount -t tracefs nodev $TRACEFS
bs=$(block_size)
auto0=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
ko=$(modinfo -n $DRV)
insmod "$MODS/memblock_unprobe.ko" || { tap_not_ok "faults: insmod memblock_unprobe.ko"; exit 0; }
echo clear > $DBG/kmemleak

# Only fail-nth injects (probability 0), quietly (verbose 0: no stack
# dump per failure), and into every kernel allocation that may fail: the
# sleeping ones too, and order 0 pages.  Not user pages (highmem, left
# ignored): a page fault of the test's own process is not the operation.
for a in failslab fail_page_alloc; do
	echo 0 > $DBG/$a/verbose
	echo 0 > $DBG/$a/probability
	echo N > $DBG/$a/ignore-gfp-wait
done
echo 0 > $DBG/fail_page_alloc/min-order
# Two allocations of the hot-add are kept from failing, with the stack
# trace filter (one function's text a fault attribute): 6.12 does not
# survive their failure under either driver (seen in this test's first
# runs, under the built-in driver):
#  - the page tables of the direct mapping: x86's init_memory_mapping()
#    takes them from alloc_low_pages(), which after boot is
#    __get_free_pages(GFP_ATOMIC), and phys_pud_init() does not check for
#    NULL: a NULL pointer dereference in phys_pmd_init()
#    (arch/x86/mm/init_64.c);
#  - the firmware memmap entry: when kobject_add() fails (its name),
#    add_sysfs_fw_map_entry() puts the kobject, which frees the entry
#    still on map_entries: the next walk of that list, in the removal's
#    firmware_map_remove(), is a use-after-free (drivers/firmware/memmap.c).
# reject ATTR FUNCTION: no failure of ATTR with FUNCTION on the stack.
# The function's address is the running kernel's (/proc/kallsyms), its
# size System.map's (the next symbol's address, in the built tree: reading
# /proc/kallsyms whole, let alone sorting it, takes minutes under TCG).
KSRC=$(cd "$DIR/../../.." && pwd)
reject() {
	local lo size
	lo=$(grep -m1 " [tT] $2\$" /proc/kallsyms | cut -d' ' -f1)
	read -r a b < <(awk -v f="$2" '$3 == f { a = $1; next } a && !b { b = $1 } END { print a, b }' "$KSRC/System.map")
	size=$((0x$b - 0x$a))
	echo "0x$lo" > $DBG/$1/reject-start
	printf '0x%x\n' $((0x$lo + size)) > $DBG/$1/reject-end
	progress "faults: no $1 failure with $2 (0x$lo, $size bytes) on the stack"
}
reject fail_page_alloc init_memory_mapping
reject failslab firmware_map_add_hotplug
echo 'p:failnth/sf should_fail_ex' >> $TRACEFS/kprobe_events
echo 16384 > $TRACEFS/buffer_size_kb

# Two free blocks of memory32-39, one for each driver's walks (a block
# that an online_kernel left in ZONE_NORMAL may not go offline again).
free=()
for i in $(seq $((0x100000000 / bs)) $((0x13fffffff / bs))); do
	[ -e "$MEM/memory$i" ] || free+=("$i")
done
[ ${#free[@]} -ge 3 ] || { tap_not_ok "faults: three free blocks in memory32-39" "free: ${free[*]}"; exit 0; }
# A third one online in ZONE_NORMAL all along: below 4 GiB the guest has
# no ZONE_NORMAL, and a block onlined into an empty one takes the node's
# kernel allocations at once (and cannot go offline again); onlined pages
# go to the tail of the free lists, so with this one there, a walk's
# online_kernel block stays unused and goes offline again.
k0=$(printf '0x%x' $((free[2] * bs)))
expect "faults: memory${free[2]} probed and online in ZONE_NORMAL" \
	"$(sysfs_write $MEM/probe $k0) $(sysfs_write $MEM/memory${free[2]}/state online_kernel) $(cat $MEM/memory${free[2]}/valid_zones)" "OK OK Normal"
# D: with memmap_on_memory, an ACPI DIMM's first block, offline.
D= walks="probe valid_zones online_movable offline soft_offline online_kernel"
if [ "$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" != N ] && [ -n "${QMP_DIR:-}" ]; then
	before=$(memory_blocks)
	qmp_ram_backend_add fdimm $((256 << 20)) > /dev/null
	qmp_dimm_add fdimm 1 > /dev/null
	two() { [ "$(blocks_added "$before" | wc -l)" = 2 ]; }
	wait_for 120 two && D=$(blocks_added "$before" | head -1) && D=${D#memory}
	walks="$walks online_memmap"
	progress "faults: an ACPI DIMM added, its first block memory${D:-?}"
fi

out=${2:-$(mktemp -d /tmp/faults.XXXXXX)}
mkdir -p "$out"
rm -f "$out"/c.jsonl "$out"/rust.jsonl
# walk DRIVER BLOCK: the walks in order, each from the state it needs: B
# absent, offline, online movable, a page of it soft-offlined, online in
# ZONE_NORMAL last; then D.
walk() {
	local who=$1 B=$2 addr pfn
	addr=$(printf '0x%x' $(($2 * bs)))
	pfn=$(printf '0x%x' $(($2 * bs / 4096 + 7)))
	export FAILNTH_UNPROBE=/sys/module/memblock_unprobe/parameters/remove
	run() { PYTHONPATH=$DIR /usr/bin/python3 "$DIR/failnth.py" "$who" "$out" "$@"; }
	run probe=$addr
	[ -e $MEM/memory$B ] || sysfs_write $MEM/probe $addr > /dev/null
	run valid_zones=$B online_movable=$B
	sysfs_write $MEM/memory$B/state online_movable > /dev/null
	run offline=$B
	sysfs_write $MEM/memory$B/state online_movable > /dev/null
	run soft_offline=$pfn
	sysfs_write $MEM/memory$B/state offline > /dev/null
	run online_kernel=$B
	[ -z "$D" ] || run online_memmap=$D
	sysfs_write /sys/module/memblock_unprobe/parameters/remove $addr > /dev/null
}
t0=$(date +%s)
walk c "${free[0]}"
t1=$(date +%s)
expect "faults: modprobe $DRV" "$(modprobe $DRV 2>&1; echo "rc=$?")" rc=0
walk rust "${free[1]}"
t2=$(date +%s)
r=$(rmmod_retry $DRV 2>&1; echo "rc=$?")
PYTHONPATH=$DIR /usr/bin/python3 "$DIR/failnth.py" rust "$out" insmod="$ko"
insmod "$ko"
PYTHONPATH=$DIR /usr/bin/python3 "$DIR/failnth.py" rust "$out" rmmod="$ko"
t3=$(date +%s)
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null
echo "-:failnth/sf" >> $TRACEFS/kprobe_events
echo 1408 > $TRACEFS/buffer_size_kb
python3 "$DIR/failnth-check.py" "$out" $walks insmod rmmod
echo "# faults: the built-in driver's walks $((t1 - t0)) s, the Rust driver's $((t2 - t1)) s, insmod and rmmod $((t3 - t2)) s"

if [ -n "$D" ]; then
	qmp_dimm_del fdimm > /dev/null
	gone() { [ ! -e $MEM/memory$D ]; }
	wait_for 120 gone
	qmp_object_del fdimm > /dev/null
fi
rmmod_retry memblock_unprobe > /dev/null
echo "$auto0" > $MEM/auto_online_blocks
# kmemleak reports an object once it is 5 s old.
sleep 6
echo scan > $DBG/kmemleak
echo scan > $DBG/kmemleak
leaks=$(cat $DBG/kmemleak)
if [ -z "$leaks" ]; then
	tap_ok "faults: kmemleak finds nothing after the walks"
else
	tap_not_ok "faults: kmemleak finds nothing after the walks" "$(head -30 <<< "$leaks")"
fi
[ -n "${2:-}" ] || rm -rf "$out"
