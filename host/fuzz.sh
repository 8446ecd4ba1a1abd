#!/usr/bin/env bash
# make fuzz: the differential fuzzing of the fuzz plan (fuzz.sh in the
# guest), long: FUZZ_COUNT inputs (10,000 unless set) from FUZZ_SEED (a new
# one each run unless set; it is printed, and FUZZ_SEED=N make fuzz runs the
# same inputs again; FUZZ_ONLY=I,J replays only those).  make check runs the
# short form (500 inputs, seed 1) in its own boot.
set -uo pipefail
STEP=fuzz
. "$(dirname "$0")/plan.sh"
OUT=$BUILD/out-fuzz
RUST_MODULES=$BUILD/fuzz-modules
FUZZ_SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
FUZZ_COUNT=${FUZZ_COUNT:-10000}
FUZZ_ONLY=${FUZZ_ONLY:-}
rm -rf "$OUT"
mkdir -p "$OUT"

say "building the test helper memblock_unprobe.ko into $RUST_MODULES"
rm -rf "$RUST_MODULES"
mkdir -p "$RUST_MODULES"
cp "$TOP/tools/testing/memblock/rust/memblock_unprobe.c" "$RUST_MODULES/"
echo "obj-m := memblock_unprobe.o" > "$RUST_MODULES/Kbuild"
kmake M="$RUST_MODULES" modules > "$RUST_MODULES/build.log" 2>&1 ||
	die "memblock_unprobe.ko did not build: see $RUST_MODULES/build.log"

# Under TCG an input takes about 0.1 s per driver; the boot's limit allows
# four times that.
timeout=$((600 + FUZZ_COUNT * 4 / 5))
say "seed $FUZZ_SEED, $FUZZ_COUNT inputs${FUZZ_ONLY:+ (only $FUZZ_ONLY)}; booting (at most $timeout s); replay with FUZZ_SEED=$FUZZ_SEED make fuzz"
fuzz_env "$OUT/fuzz" "$FUZZ_SEED" "$FUZZ_COUNT" "$FUZZ_ONLY"
run_plan fuzz "$timeout" ""
count_results "$LIST" fuzz/
say "seed $FUZZ_SEED; the records of each input: $OUT/fuzz/fuzz-c.jsonl and fuzz-rust.jsonl"
totals
