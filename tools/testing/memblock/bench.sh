#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, in the guest: bench.py (the built-in driver against
# rust_memory_block in alternating rounds, then the hand-over against the
# number of blocks; its header has the details), then what the run must
# show: no error, numbers from both sides for every operation, each round
# served by its driver, hand-over samples at more than one number of
# blocks.  The host reads OUT/bench.json (host/bench-report.py).
#
# usage: bench.sh RUST_MODULES OUT ROUNDS
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
EXT=${1:?usage: bench.sh RUST_MODULES OUT ROUNDS}
OUT=${2:?}
ROUNDS=${3:?}
DRV=rust_memory_block
progress "bench: $ROUNDS rounds of each driver, then the hand-over"

served_setup
# Enabled by bench.py only around each round's served-by check: a kprobe
# on the timed paths would cost each side its own.
echo 0 > "$TRACEFS/events/$SERVED_GROUP/enable"
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null
expect "bench: insmod memblock_unprobe (removes the probed blocks after each round)" \
	"$(insmod "$EXT/memblock_unprobe.ko" 2>&1; echo "rc=$?")" "rc=0"
auto=$(cat $MEM/auto_online_blocks)
before=$(memory_blocks | tr '\n' ' ')
(cd "$DIR" && python3 bench.py "$OUT" "$ROUNDS" "$(modinfo -n $DRV)") 2> "$OUT/bench.err"
rc=$?
grep '^\[guest\] ' "$OUT/bench.err" >&2
echo "$auto" > $MEM/auto_online_blocks
expect "bench: bench.py ran without an error (every write as expected, every round served by its driver)" \
	"rc=$rc $(grep -v '^\[guest\] ' "$OUT/bench.err" | head -5)" "rc=0 "
echo 1 > "$TRACEFS/events/$SERVED_GROUP/enable"
# (bench.py cleans up after a failed round itself; if it died, here.)
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null
for b in $(memory_blocks); do
	grep -qw "$b" <<< "$before" || sysfs_write /sys/module/memblock_unprobe/parameters/remove \
		"$(printf '0x%x' $(( ${b#memory} * $(block_size) )))" > /dev/null
done
expect "bench: the blocks are the ones before it, rmmod memblock_unprobe" \
	"$(memory_blocks | tr '\n' ' ') $(rmmod_retry memblock_unprobe 2>&1; echo "rc=$?")" "$before rc=0"

# What the JSON holds: every operation measured on both sides, every
# round's served-by record, the hand-over at several numbers of blocks.
r=$(python3 - "$OUT/bench.json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("no JSON: %s" % e)
    sys.exit()
ops = sorted({s["op"] for s in d["samples"]})
short = [op for op in ops for side in ("c", "rust")
         if not any(s["op"] == op and s["side"] == side for s in d["samples"])]
want = {"probe_online", "online", "offline", "writers", "read_all", "lsmem", "read_idle",
        "read_during_offline", "offline_under_reads", "offline_all"}
print("ops %d missing %s short %s served %d/%d handover %d counts %d" % (
    len(ops), sorted(want - set(ops)) or "none", short or "none", len(d["served"]),
    len(d["meta"]["order"]), len(d["handover"]), len({h["blocks"] for h in d["handover"]})))
PY
)
n=$((2 * ROUNDS))
case "$r" in
"ops 10 missing none short none served $n/$n handover "*)
	tap_ok "bench: bench.json has every operation from both sides and every round's served-by record ($r)" ;;
*) tap_not_ok "bench: bench.json has every operation from both sides and every round's served-by record" "$r" ;;
esac
case "$r" in
*" counts "[2-9]*|*" counts "[1-9][0-9]*) tap_ok "bench: hand-over samples at ${r##* counts } numbers of blocks" ;;
*) tap_not_ok "bench: hand-over samples at 2 or more numbers of blocks" "$r" ;;
esac
