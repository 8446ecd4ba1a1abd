#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test guest: the test scripts of PLAN, each through
# run_test, then (but for PLAN splat) the final splat scan.  TAP lines go
# to OUT/results.tap (and the console), the kernel log to OUT/dmesg.txt;
# OUT/finished tells the host the plan ran to the end.  The kernel message
# "memblock-check: PLAN: tests done", logged before the final scan, marks
# where the host's check of the console begins: from there to the
# power-off, no splat.
#
# usage: guest-check.sh PLAN OUT KSRC KSELFTEST_DIR [RUST_MODULES]
#   PLAN suite:  the whole suite (boot layout, ABI, dump, kselftest, probe,
#                ACPI DIMM + hwpoison, virtio-mem, virtio-mem unplugging
#                blocks whose files are in use, the provider interface's
#                test module, the Rust abstractions' test module, the
#                Rust driver against the built-in one, the 2015 race under
#                it, its load and unload, ABI again, KUnit)
#   PLAN altmap: ACPI DIMM with memory_hotplug.memmap_on_memory=force, then
#                again, ejected under the provider's test module, then again
#                through the Rust driver; an ACPI DIMM ejected (each block
#                with its memmap on itself) while its files are in use;
#                last, the lockdep negative control
#                (locks taken in the inverted order on purpose; lockdep must
#                report it)
#   PLAN base:   the sysfs dump at boot, on the kernel without our patches
#   PLAN nop:    the same, on the patched kernel without CONFIG_MEMORY_BLOCK_PROVIDER
#   PLAN coldplug: a pc-dimm present from the start, memhp_default_state=online
#                and no mem=: its blocks were added and onlined at boot (the
#                final splat scan reads the whole boot)
#   PLAN fuzz:   differential fuzzing, the built-in driver against the Rust
#                one (fuzz.sh; its seed and count in OUT/plan.env)
#   PLAN soak:   hand-overs of the Rust driver with blocks in every state,
#                then the soak (handover.sh, soak.sh; their length in
#                OUT/plan.env: 10 and 60 s in make check, 200 and 600 s in
#                make soak), on a fresh layout (memory32-39 free)
#   PLAN faults: fail-nth walks of every path under both drivers
#                (faults.sh; FAILNTH_STEP in OUT/plan.env)
#   PLAN trinity: trinity on the memory block files under each driver
#                (trinity.sh; TRINITY_SECONDS, TRINITY_ROUND in OUT/plan.env)
#   PLAN bench:  the built-in driver against the Rust one, timed (bench.sh;
#                BENCH_ROUNDS and bench.py's BENCH_* in OUT/plan.env)
#   PLAN kasan:  the suite on the KASAN kernel, then KASAN's self-test (a
#                use-after-free in a module)
#   PLAN splat:  the splat detector's self-test (every kind of report it
#                looks for, provoked on purpose; no splat scan of its own)
# RUST_MODULES: where host/rust-check.sh built the Rust test modules.
#
# Every test script runs as "run_test ID COMMAND...": a line "=== run: ID"
# opens its results, and two results of the harness close them:
#   ok - ID: ran to the end (exit 0, nothing on stderr)
#   ok - ID: no kernel splat while it ran    (not in PLAN splat)
# host/check.sh counts each ID's results against tests.list.
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/lib.sh"
PLAN=${1:?usage: guest-check.sh PLAN OUT KSRC KSELFTEST_DIR}
OUT=${2:?}
KSRC=${3:?}
KSFT=${4:?}
RUST_MODULES=${5:-}
export QMP_DIR=$OUT/qmp
SPLAT_OPTS=()
SPLAT_SCAN=yes
SCAN_UNTIL=

# run_test ID COMMAND...: run one test script, its TAP to stdout as it
# comes, its stderr to OUT/ID.err (and to the console once it ended); then
# the two results of the harness: its exit status and stderr, and the
# kernel log it caused.
run_test() {
	local id=$1 mark rc errf outf errors t0
	shift
	t0=$(date +%s)
	errf=$OUT/${id//\//-}.err
	outf=$OUT/${id//\//-}.out
	echo "=== run: $id"
	progress "$id"
	mark=$(dmesg | wc -l)
	"$@" 2> "$errf" | tee "$outf"
	rc=${PIPESTATUS[0]}
	# Its stderr, as diagnostics: nothing there counts as a result.
	sed 's/^/# stderr: /' "$errf"
	# Progress lines are the only stderr a test may write.
	errors=$(grep -v '^\[guest\] ' "$errf")
	if [ "$rc" != 0 ]; then
		tap_not_ok "$id: ran to the end (exit 0, nothing on stderr)" \
			"exited with status $rc; its last lines:" "$(tail -n 8 "$outf")" "$(tail -n 8 "$errf")"
	elif [ -n "$errors" ]; then
		tap_not_ok "$id: ran to the end (exit 0, nothing on stderr)" "it wrote to stderr:" \
			"$(head -n 15 <<< "$errors")"
	else
		tap_ok "$id: ran to the end (exit 0, nothing on stderr)"
	fi
	echo "# $id: $(( $(date +%s) - t0 )) s"
	[ "$SPLAT_SCAN" = yes ] || return 0
	scan 1 --since "$mark" "${SPLAT_OPTS[@]}" "$id: no kernel splat while it ran"
}

# scan N OPTION... NAME: splat-scan.sh, which must exit 0 and give N
# results; if not, one "not ok" says so (a broken detector fails).
scan() {
	local n=$1 out rc name=${*: -1}
	shift
	out=$(bash "$DIR/splat-scan.sh" "$@" 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [ "$(grep -cE '^(not )?ok - ' <<< "$out")" = "$n" ]; then
		printf '%s\n' "$out"
	else
		tap_not_ok "$name" "the splat detector exited with status $rc, or gave no verdict:" "$out"
		for ((n--; n > 0; n--)); do tap_not_ok "$name (further result)" "see above"; done
	fi
}

# The sysfs dump, this run's reference, and the check that it is complete.
dump_and_check() {
	bash "$DIR/dump.sh" > "$OUT/sysfs-dump.txt" || { echo "dump.sh exited with status $?" >&2; return 1; }
	bash "$DIR/dump-check.sh" "$OUT/sysfs-dump.txt" "$1"
}

memmap_on_memory_forced() {
	expect "altmap: memory_hotplug.memmap_on_memory is force" \
		"$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" force
}

# suite_tests PLAN: the suite's tests, their IDs PLAN/NAME (the suite
# plan, and the KASAN kernel's).
suite_tests() {
	run_test $1/layout bash "$DIR/layout.sh"
	run_test $1/abi bash "$DIR/abi.sh" "$KSRC" abi
	run_test $1/dump dump_and_check dump
	run_test $1/kselftest bash "$DIR/kselftest.sh" "$KSFT"
	run_test $1/probe bash "$DIR/probe.sh"
	run_test $1/dimm bash "$DIR/dimm.sh"
	run_test $1/virtio-mem bash "$DIR/virtio-mem.sh"
	run_test $1/unplug-in-use bash "$DIR/unplug-in-use.sh"
	run_test $1/provider bash "$DIR/provider.sh"
	run_test $1/rust bash "$DIR/rust-abstractions.sh" "$RUST_MODULES"
	run_test $1/rust-driver bash "$DIR/rust-driver.sh" "$KSFT"
	run_test $1/rust-race bash "$DIR/rust-race.sh"
	run_test $1/rust-lifecycle bash "$DIR/rust-lifecycle.sh"
	run_test $1/provider-bad bash "$DIR/provider-bad.sh"
	run_test $1/provider-unload bash "$DIR/provider-unload.sh"
	run_test $1/page-offline bash "$DIR/page-offline.sh"
	run_test $1/abi-again bash "$DIR/abi.sh" "$KSRC" "abi (after the hot-add tests)"
	run_test $1/kunit bash "$DIR/kunit.sh" "$KSRC"
}

progress "kernel $(uname -r), $(nproc) CPUs, MemTotal $(mem_total_kb) kB, plan $PLAN"
ensure_debugfs
{
	case "$PLAN" in
	suite)
		suite_tests suite
		;;
	base)
		run_test base/dump dump_and_check "dump (pristine kernel)"
		;;
	nop)
		run_test nop/dump dump_and_check "dump (patched, CONFIG_MEMORY_BLOCK_PROVIDER off)"
		;;
	altmap)
		run_test altmap/param memmap_on_memory_forced
		run_test altmap/dimm bash "$DIR/dimm.sh"
		run_test altmap/dimm-provider env DIMM_PROVIDER=1 bash "$DIR/dimm.sh"
		run_test altmap/dimm-rust env DIMM_DRIVER=rust bash "$DIR/dimm.sh"
		run_test altmap/unplug-in-use env UNPLUG_SOURCE=dimm bash "$DIR/unplug-in-use.sh" "unplug-in-use (ACPI DIMM, memmap_on_memory)"
		# The lockdep negative control comes last (lockdep turns itself
		# off after a report; the control checks first that it is on,
		# so no report came before).  The report it provokes is the
		# expected result, not a splat: the test checks that report,
		# the scans check everything else.
		SPLAT_OPTS=(--allow-lockdep-report)
		run_test lockdep/inversion bash "$DIR/lockdep-inversion.sh" "$RUST_MODULES"
		;;
	coldplug)
		run_test coldplug/dimm bash "$DIR/coldplug.sh"
		;;
	splat)
		SPLAT_SCAN=no
		run_test splat/selftest bash "$DIR/guest-splat-selftest.sh" "$RUST_MODULES"
		;;
	fuzz)
		FUZZ_SEED=1 FUZZ_COUNT=500 FUZZ_ONLY=
		[ -r "$OUT/plan.env" ] && . "$OUT/plan.env"
		run_test fuzz/differential bash "$DIR/fuzz.sh" "$RUST_MODULES" "$OUT" "$FUZZ_SEED" "$FUZZ_COUNT" "$FUZZ_ONLY"
		;;
	soak)
		HANDOVERS=200 SOAK_SECONDS=600
		[ -r "$OUT/plan.env" ] && . "$OUT/plan.env"
		run_test soak/handover env HANDOVERS="$HANDOVERS" bash "$DIR/handover.sh"
		run_test soak/soak env SOAK_SECONDS="$SOAK_SECONDS" bash "$DIR/soak.sh" "$RUST_MODULES"
		;;
	faults)
		FAILNTH_STEP=1
		[ -r "$OUT/plan.env" ] && . "$OUT/plan.env"
		# Allocations fail on purpose: their warnings are no splat.
		SPLAT_OPTS=(--allow-alloc-failure)
		run_test faults/faults env FAILNTH_STEP="$FAILNTH_STEP" bash "$DIR/faults.sh" "$RUST_MODULES" "$OUT"
		;;
	trinity)
		TRINITY_SECONDS=300 TRINITY_ROUND=30
		[ -r "$OUT/plan.env" ] && . "$OUT/plan.env"
		export TRINITY_ROUND
		run_test trinity/c bash "$DIR/trinity.sh" c "$OUT" "$RUST_MODULES" "$TRINITY_SECONDS"
		run_test trinity/rust bash "$DIR/trinity.sh" rust "$OUT" "$RUST_MODULES" "$TRINITY_SECONDS"
		;;
	bench)
		BENCH_ROUNDS=7
		# shellcheck disable=SC1091
		[ -r "$OUT/plan.env" ] && { set -a; . "$OUT/plan.env"; set +a; }
		run_test bench/bench bash "$DIR/bench.sh" "$RUST_MODULES" "$OUT" "$BENCH_ROUNDS"
		;;
	kasan)
		suite_tests kasan
		# Last, its report is a splat on purpose: no scan of its own,
		# and the final scan stops before it.
		SCAN_UNTIL=$(dmesg | wc -l)
		# Its report taints the kernel, which turns lock debugging off
		# ("Disabling lock debugging due to kernel taint"): lockdep is
		# checked here, not by the final scan.
		echo "=== run: kasan/lockdep"
		expect "kasan/lockdep: lockdep is still on before the self-test (debug_locks)" \
			"$(debug_locks)" 1
		SPLAT_SCAN=no run_test kasan/selftest bash "$DIR/kasan-selftest.sh" "$RUST_MODULES"
		;;
	*)
		echo "=== run: $PLAN/plan"
		tap_not_ok "$PLAN/plan: guest plan '$PLAN' exists"
		;;
	esac
	# The host checks the console from here on: the power-off must
	# follow, with no oops, panic or splat on the way.
	echo "<3>memblock-check: $PLAN: tests done" > /dev/kmsg
	if [ "$SPLAT_SCAN" = yes ]; then
		echo "=== run: $PLAN/splat-scan"
		if [ "$PLAN" = kasan ]; then
			scan 2 --kmemleak --whole "${SPLAT_OPTS[@]}" --until "$SCAN_UNTIL" \
				"$PLAN/splat-scan: no kernel splat in the whole log up to the self-test, no kmemleak report"
		elif [ "$PLAN" = altmap ]; then
			scan 2 --kmemleak --whole "${SPLAT_OPTS[@]}" \
				"$PLAN/splat-scan: no kernel splat in the whole log but the lockdep control's report, no kmemleak report"
		else
			scan 3 --kmemleak --whole --lockdep-on "${SPLAT_OPTS[@]}" ${SCAN_UNTIL:+--until "$SCAN_UNTIL"} \
				"$PLAN/splat-scan: no kernel splat in the whole log${SPLAT_OPTS:+ (but the warnings of failed allocations)}, no kmemleak report"
		fi
	fi
} 2>&1 | tee "$OUT/results.tap"
dmesg > "$OUT/dmesg.txt"
touch "$OUT/finished"
if [ "$PLAN" = splat ]; then
	# The self-test of the host's console check: a WARNING after the
	# marker, which the host must see.
	echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT
fi
exit 0
