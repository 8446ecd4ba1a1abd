#!/usr/bin/env bash
# make bench: one boot (bench.sh in the guest: the built-in driver against
# rust_memory_block, BENCH_ROUNDS (7) rounds of each, alternating, then
# the hand-over against the number of blocks), then on the host the table
# and the plots of its samples (host/bench-report.py, matplotlib):
# build/out-bench/bench/bench.json, bench-table.txt, bench-ratios.png,
# bench-handover.png.  BENCH_CYCLES, BENCH_WRITERS_SECONDS,
# BENCH_READ_PASSES, BENCH_LSMEM_RUNS, BENCH_READ_PAIRS,
# BENCH_HANDOVER_REPEAT and BENCH_DIMMS size the rounds (bench.py).
set -uo pipefail
STEP=bench
. "$(dirname "$0")/plan.sh"
OUT=$BUILD/out-bench
RUST_MODULES=$BUILD/bench-modules
rm -rf "$OUT"
mkdir -p "$OUT"
/usr/bin/python3 -c 'import matplotlib' 2> /dev/null ||
	die "matplotlib is missing for /usr/bin/python3: run 'make deps' (it installs python3-matplotlib)"
test_modules "$RUST_MODULES" memblock_unprobe
BENCH_ROUNDS=${BENCH_ROUNDS:-7}
vars=(BENCH_ROUNDS)
for v in BENCH_CYCLES BENCH_WRITERS_SECONDS BENCH_READ_PASSES BENCH_LSMEM_RUNS \
	BENCH_READ_PAIRS BENCH_HANDOVER_REPEAT BENCH_DIMMS; do
	[ -z "${!v:-}" ] || vars+=("$v")
done
plan_env "$OUT/bench" "${vars[@]}"
# About a minute a round under TCG, and the hand-over's DIMMs.
timeout=$((1200 + 2 * 60 * BENCH_ROUNDS))
say "$BENCH_ROUNDS rounds of each driver (built-in, Rust, Rust, built-in, ...), then the hand-over; booting (at most $timeout s)"
run_plan bench "$timeout" ""
section bench/report
if [ -s "$OUT/bench/bench.json" ]; then
	say "the table and the plots (host/bench-report.py)"
	/usr/bin/python3 "$TOP/host/bench-report.py" "$OUT/bench/bench.json" "$OUT/bench" ||
		add "# host/bench-report.py failed"
fi
for f in bench-table.txt bench-ratios.png bench-handover.png; do
	if [ -s "$OUT/bench/$f" ]; then
		add "ok - bench/report: $f written ($OUT/bench/$f)"
	else
		add "not ok - bench/report: $f written"
	fi
done
count_results "$LIST" bench/
totals
