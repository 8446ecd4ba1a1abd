#!/usr/bin/env bash
# The long forms of make check's reliability boots, one boot each, with
# the TAP and "N passed, N failed" of their sections of tests.list:
#
#   make fuzz    differential fuzzing (fuzz.sh in the guest): FUZZ_COUNT
#                inputs (10,000 unless set) from FUZZ_SEED (a new one each
#                run unless set; it is printed, and FUZZ_SEED=N make fuzz
#                runs the same inputs again; FUZZ_ONLY=I,J replays only
#                those).  make check: 500 inputs of seed 1.
#   make soak    HANDOVERS (200) insmod/rmmod cycles of rust_memory_block
#                with blocks in every state (handover.sh), then the 2015
#                race workload for SOAK_SECONDS (600; soak.sh).  make check:
#                10 cycles and 60 s.
#   make faults  every allocation of each Rust path failed in turn
#                (faults.sh; FAILNTH_STEP=1: every N), with
#                memory_hotplug.memmap_on_memory=force.  make check: every
#                FAILNTH_STEP-th N (its default there).
#   make trinity Debian's trinity on the memory block files for
#                TRINITY_SECONDS (300) under the built-in driver, then as
#                long under rust_memory_block (trinity.sh, in rounds of
#                TRINITY_ROUND s).  Not in make check.
#
# usage: long.sh fuzz|soak|faults|trinity
set -uo pipefail
PLAN=${1:?usage: long.sh fuzz|soak|faults|trinity}
STEP=$PLAN
. "$(dirname "$0")/plan.sh"
OUT=$BUILD/out-$PLAN
RUST_MODULES=$BUILD/$PLAN-modules
rm -rf "$OUT"
mkdir -p "$OUT"

test_modules "$RUST_MODULES" memblock_unprobe

append=
case "$PLAN" in
fuzz)
	FUZZ_SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	FUZZ_COUNT=${FUZZ_COUNT:-10000}
	FUZZ_ONLY=${FUZZ_ONLY:-}
	# Under TCG an input takes about 0.1 s per driver; the boot's
	# limit allows four times that.
	timeout=$((600 + FUZZ_COUNT * 4 / 5))
	say "seed $FUZZ_SEED, $FUZZ_COUNT inputs${FUZZ_ONLY:+ (only $FUZZ_ONLY)}; booting (at most $timeout s); replay with FUZZ_SEED=$FUZZ_SEED make fuzz"
	plan_env "$OUT/fuzz" FUZZ_SEED FUZZ_COUNT FUZZ_ONLY
	;;
soak)
	HANDOVERS=${HANDOVERS:-200}
	SOAK_SECONDS=${SOAK_SECONDS:-600}
	# A cycle takes about a second under TCG; the soak's workers may
	# take 5 minutes to stop at its end.
	timeout=$((900 + HANDOVERS * 3 + SOAK_SECONDS))
	say "$HANDOVERS hand-overs, then a soak of $SOAK_SECONDS s; booting (at most $timeout s)"
	plan_env "$OUT/soak" HANDOVERS SOAK_SECONDS
	;;
faults)
	FAILNTH_STEP=${FAILNTH_STEP:-1}
	timeout=${FAULTS_TIMEOUT:-5400}
	append=memory_hotplug.memmap_on_memory=force
	say "fail-nth walks (every ${FAILNTH_STEP}. N); booting (at most $timeout s)"
	plan_env "$OUT/faults" FAILNTH_STEP
	;;
trinity)
	TRINITY_SECONDS=${TRINITY_SECONDS:-300}
	TRINITY_ROUND=${TRINITY_ROUND:-30}
	# A round takes about 30 s more than its length under TCG (the
	# covers, trinity's start and stop, the descriptors' census).
	timeout=$((900 + 2 * (TRINITY_SECONDS + 45 * ((TRINITY_SECONDS + TRINITY_ROUND - 1) / TRINITY_ROUND))))
	# Its bad writes fill the kernel log (uevent, dump_page(), memory
	# failure): room for all of it, for the splat scan's whole log.
	append=log_buf_len=64M
	say "trinity, $TRINITY_SECONDS s under each driver in rounds of $TRINITY_ROUND s; booting (at most $timeout s)"
	plan_env "$OUT/trinity" TRINITY_SECONDS TRINITY_ROUND
	;;
*) die "long.sh: no plan '$PLAN' (fuzz, soak, faults or trinity)" ;;
esac
run_plan "$PLAN" "$timeout" "$append"
count_results "$LIST" "$PLAN/"
[ "$PLAN" != fuzz ] || say "seed $FUZZ_SEED; the records of each input: $OUT/fuzz/fuzz-c.jsonl and fuzz-rust.jsonl"
totals
