#!/usr/bin/env bash
# make check: the host checks, then the guest boots; TAP, the totals line,
# exit 1 on any failure.
#
# Every result belongs to a section: a host script, a boot, or a guest test
# script ("=== run: ID" in the guest's results.tap).  tools/testing/memblock/
# tests.list says how many results each section must give; a section that
# gives fewer gets a "not ok - ID: result K of N: no result" for each one
# missing, one that gives more (or is not listed) fails too.  So a test that
# is deleted, a script that stops halfway, or a guest that dies mid-plan
# cannot shrink the count unnoticed.
set -uo pipefail
STEP=check
. "$(dirname "$0")/plan.sh"
rm -rf "$OUT"
mkdir -p "$OUT"
# The short form of make fuzz; the seed is fixed so that CI is repeatable
# (FUZZ_SEED=N make check tries another).
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_COUNT=${FUZZ_COUNT:-500}
FUZZ_ONLY=

say "installing tools/testing/selftests (memory-hotplug) into $KSFT"
rm -rf "$KSFT"
make -s -C "$TREE/tools/testing/selftests" TARGETS=memory-hotplug \
	INSTALL_PATH="$KSFT" install > "$OUT/kselftest-install.log" 2>&1 ||
	die "kselftest install failed: see $OUT/kselftest-install.log"

# host_start ID...: the host-side checks host/NAME-check.sh of the IDs
# host/NAME, one after the other in the background; each leaves its log and
# its exit status (OUT/host-NAME.log, .rc); host_run ID runs one in the
# foreground.  host_results ID...: each one's TAP lines and one result for
# its exit status.
HOST_PID=
host_script() { echo "$TOP/$1-check.sh"; }
host_run() {
	bash "$(host_script "$1")" > "$OUT/${1//\//-}.log" 2>&1
	echo $? > "$OUT/${1//\//-}.rc"
}
host_start() {
	(for id in "$@"; do host_run "$id"; done) &
	HOST_PID=$!
}
# stop_all: on an early exit (a failed boot dies), no host check is left
# compiling in build/linux after us.
stop_all() {
	[ -n "$HOST_PID" ] && kill -0 "$HOST_PID" 2> /dev/null && kill_tree "$HOST_PID"
	return 0
}
trap stop_all EXIT
kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill "$1" 2> /dev/null
}
host_results() {
	local id log rc
	for id in "$@"; do
		log=$OUT/${id//\//-}.log
		rc=$(cat "$OUT/${id//\//-}.rc" 2> /dev/null || echo "none (it did not run)")
		section "$id"
		[ -f "$log" ] || : > "$log"
		while IFS= read -r l; do
			case "$l" in 'ok - '*|'not ok - '*|'# '*) add "$l" ;; esac
		done < "$log"
		if [ "$rc" = 0 ]; then
			add "ok - $id: $(basename "$(host_script "$id")") ran to the end (exit 0)"
		else
			add "not ok - $id: $(basename "$(host_script "$id")") ran to the end (exit 0)" \
				"# exited with status $rc; its last lines:"
			while IFS= read -r l; do add "# $l"; done < <(tail -n 10 "$log")
		fi
	done
}

# dump_equal SECTION NAME EXPECTED ACTUAL: one result, the two sysfs dumps
# (each taken at boot by a plan) are identical.
dump_equal() {
	local d
	section "$1"
	if [ -s "$3" ] && [ -s "$4" ]; then
		if d=$(diff "$3" "$4"); then
			add "ok - $2 ($(wc -l < "$4") lines)"
		else
			add "not ok - $2"
			while IFS= read -r l; do add "# $l"; done < <(head -30 <<< "$d")
		fi
	else
		add "not ok - $2" "# a dump is missing: $3, $4"
	fi
}

# One guest at a time.  Two side by side (a lane of the suite, a lane of
# the rest) took longer, not shorter: each guest has two vCPUs, and on
# the host's two CPUs a preempted vCPU leaves the other spinning in the
# guest (2026-12-07: altmap 441 s of which 430 s CPU, against 168 s
# alone; fuzz 361 s against 145 s; the suite not done after 27 minutes).
# The host checks run beside the first boots, which only take a sysfs dump.
say "on the host, in the background while the base and nop boots run: the Rust code (rustfmt, clippy, rustdoc, test modules, compile-fail cases), then the patch series (git am onto the pristine tree, checkpatch --strict); about 3 minutes"
rm -f "$BUILD/rust-ext/tree-done"
host_start host/rust host/series
RUST_MODULES=$BUILD/rust-ext/modules

say "boot 1/8: the pristine kernel (no patch series), for its sysfs dump at boot"
TREE=$BUILD/linux-base run_plan base 600 ""
say "boot 2/8: the patched kernel without CONFIG_MEMORY_BLOCK_PROVIDER, for its sysfs dump at boot"
TREE=$BUILD/linux-nop run_plan nop 600 ""
# The coldplug boot needs nothing the host checks make (the test modules):
# it runs while they finish, once host/rust no longer builds in build/linux
# (its clippy and rustdoc steps relink the kernel it boots).
while [ ! -e "$BUILD/rust-ext/tree-done" ] && kill -0 "$HOST_PID" 2> /dev/null; do
	sleep 1
done
say "boot 3/8: a pc-dimm present from the start, memhp_default_state=online, no mem=: the DIMM added and onlined at boot, with no warning"
GUEST_APPEND=${GUEST_APPEND/mem=4G /} run_plan coldplug 600 "memhp_default_state=online" \
	"-object memory-backend-ram,id=cold0,size=256M -device pc-dimm,id=cold0dev,memdev=cold0,node=1"
say "waiting for the host checks (the series, the Rust code)"
wait "$HOST_PID" 2> /dev/null
host_results host/series host/rust
say "the lockdep control: the lockdep class patch alone on the pristine tree, built (memory.c and a link, with build/linux-base's objects in ccache) and booted: a probe and an online must be reported as the 2015 deadlock (about 2 minutes)"
host_run host/lockdep-control
host_results host/lockdep-control
say "boot 4/8: the suite (about 11 minutes under TCG)"
run_plan suite 1800 ""
dump_equal host/base-dump "series: sysfs dump at boot identical to the pristine kernel's" \
	"$OUT/base/sysfs-dump.txt" "$OUT/suite/sysfs-dump.txt"
dump_equal host/nop-dump "series without CONFIG_MEMORY_BLOCK_PROVIDER: sysfs dump at boot identical to the pristine kernel's" \
	"$OUT/base/sysfs-dump.txt" "$OUT/nop/sysfs-dump.txt"
say "boot 5/8: ACPI DIMM with memory_hotplug.memmap_on_memory=force, then the lockdep negative control (the block lock, then the hotplug lock, on purpose)"
run_plan altmap 900 "memory_hotplug.memmap_on_memory=force"
say "boot 6/8: differential fuzzing, $FUZZ_COUNT seeded writes (seed $FUZZ_SEED) under the built-in driver, then under rust_memory_block, compared (make fuzz: 10,000)"
plan_env "$OUT/fuzz" FUZZ_SEED FUZZ_COUNT FUZZ_ONLY
run_plan fuzz 900 ""
HANDOVERS=10 SOAK_SECONDS=60
say "boot 7/8: $HANDOVERS hand-overs of rust_memory_block and a $SOAK_SECONDS-s soak, on a fresh layout (make soak: 200 and 10 minutes)"
plan_env "$OUT/soak" HANDOVERS SOAK_SECONDS
run_plan soak 900 ""
say "boot 8/8: the splat detector's self-test (each kind of report provoked on purpose)"
run_plan splat 600 ""

# Every listed section gave exactly its number of results.
count_results "$LIST" "" faults/ trinity/ kasan/ bench/
totals
