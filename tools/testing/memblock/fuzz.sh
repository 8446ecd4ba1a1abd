#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Differential fuzzing, the built-in driver against rust_memory_block, in one
# boot (fuzz.py has the details): COUNT seeded inputs under the built-in
# driver, then the same inputs under the Rust driver from the same starting
# state, compared input by input (errno, the driver functions that ran,
# the state after it, the kernel log); no splat; the sysfs dump after both
# runs equals the one before.
#
# usage: fuzz.sh RUST_MODULES OUT SEED COUNT [ONLY]
#   ONLY: input numbers, comma-separated, to replay just those.
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
EXT=${1:?usage: fuzz.sh RUST_MODULES OUT SEED COUNT [ONLY]}
OUT=${2:?}
SEED=${3:?}
COUNT=${4:?}
ONLY=${5:-}
DRV=rust_memory_block
progress "fuzz: seed $SEED, $COUNT inputs${ONLY:+ (only $ONLY)}"

ensure_debugfs
served_setup
# unpoison-pfn, for the pages a soft offline poisoned.
modprobe hwpoison_inject
bs=$(block_size)
# The layout of fuzz.py: memory32 and memory34 online movable, memory33
# offline between them, memory35 online in ZONE_NORMAL, memory36-39 absent;
# auto_online_blocks offline.
m1=$((0x100000000 / bs)) o=$((m1 + 1)) m2=$((m1 + 2)) k=$((m1 + 3))
auto=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
setup=""
for b in $m1 $o $m2 $k; do
	setup+="$(sysfs_write $MEM/probe "$(printf '0x%x' $((b * bs)))") "
done
setup+="$(sysfs_write $MEM/memory$m1/state online_movable) $(sysfs_write $MEM/memory$m2/state online_movable) "
setup+="$(sysfs_write $MEM/memory$k/state online_kernel)"
r=$(cd "$DIR" && python3 -c "import memtest; print(memtest.reserved_block($bs))")
expect "fuzz: the layout (memory$m1 and memory$m2 online movable, memory$o offline, memory$k online in Normal, a boot block with a reserved page: memory$r)" \
	"$setup $(cat $MEM/memory$m1/valid_zones $MEM/memory$o/state $MEM/memory$m2/valid_zones $MEM/memory$k/valid_zones | tr '\n' ' ')$([ "$r" != None ] && echo found)" \
	"OK OK OK OK OK OK OK Movable offline Movable Normal found"
export FUZZ_LAYOUT="$m1 $o $m2 $k $r"
expect "fuzz: insmod memblock_unprobe (restores: removes a probed block)" \
	"$(insmod "$EXT/memblock_unprobe.ko" 2>&1; echo "rc=$?")" "rc=0"

dump0=$(bash "$DIR/dump.sh")
run() {
	local rc
	python3 "$DIR/fuzz.py" run "$SEED" "$COUNT" "$OUT/fuzz-$1.jsonl" "$ONLY" 2> "$OUT/fuzz-$1.err"
	rc=$?
	sed 's/^/# /' "$OUT/fuzz-$1.err" | grep -v '^# \[guest\]' | head -20
	grep '^\[guest\]' "$OUT/fuzz-$1.err" >&2
	return $rc
}
progress "fuzz: the built-in driver"
out=$(run c)
rc=$?
expect "fuzz: every input under the built-in driver, the starting state restored after each" "rc=$rc" rc=0
printf '%s\n' "$out"
mark=$(dmesg | wc -l)
expect "fuzz: modprobe $DRV" "$(modprobe $DRV 2>&1; echo "rc=$?")" "rc=0"
expect "fuzz: $DRV serves the memory blocks" \
	"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by $DRV")" 1
progress "fuzz: $DRV"
out=$(run rust)
rc=$?
expect "fuzz: every input under $DRV, the starting state restored after each" "rc=$rc" rc=0
printf '%s\n' "$out"
expect "fuzz: rmmod $DRV" "$(rmmod_retry $DRV 2>&1; echo "rc=$?")" "rc=0"
python3 "$DIR/fuzz.py" compare "$OUT/fuzz-c.jsonl" "$OUT/fuzz-rust.jsonl" "$SEED"
expect "fuzz: the sysfs dump after both runs equals the one before" \
	"$(bash "$DIR/dump.sh" | diff <(printf '%s\n' "$dump0") - | head -5)" ""

# Leave the blocks as the boot had them (memory$k, in ZONE_NORMAL, may hold
# kernel memory by now and stay).
for b in $m1 $o $m2 $k; do
	echo $((b * bs)) > /sys/module/memblock_unprobe/parameters/remove 2> /dev/null
done
rmmod memblock_unprobe
echo "$auto" > $MEM/auto_online_blocks
exit 0
