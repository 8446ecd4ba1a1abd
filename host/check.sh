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
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/guest.sh"
# Each stage says when it starts, in minutes since make check's own start.
say() { printf '[%s %dm%02ds] %s\n' "$STEP" $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
MB=$TREE/tools/testing/memblock
LIST=$TOP/tools/testing/memblock/tests.list
KSFT=$BUILD/kselftest

rm -rf "$OUT"
mkdir -p "$OUT"
TAP=()
TIMES=()
declare -A GOT
SECTION=
# section ID: the results added from now on are ID's.
section() { SECTION=$1; GOT[$1]=${GOT[$1]:-0}; }
# add LINE...: TAP result lines ("ok - ", "not ok - ") and diagnostics ("# ").
add() {
	local l
	for l in "$@"; do
		case "$l" in
		'ok - '*|'not ok - '*) GOT[$SECTION]=$((${GOT[$SECTION]:-0} + 1)) ;;
		esac
		TAP+=("$l")
	done
}

say "installing tools/testing/selftests (memory-hotplug) into $KSFT"
rm -rf "$KSFT"
make -s -C "$TREE/tools/testing/selftests" TARGETS=memory-hotplug \
	INSTALL_PATH="$KSFT" install > "$OUT/kselftest-install.log" 2>&1 ||
	die "kselftest install failed: see $OUT/kselftest-install.log"

# host_start ID...: the host-side checks host/NAME-check.sh of the IDs
# host/NAME, one after the other in the background (they compile; the boots
# they run beside only take a sysfs dump).  host_results: wait for them,
# then for each its TAP lines and one result for its exit status.
HOST_IDS=()
host_script() { echo "$TOP/$1-check.sh"; }
host_start() {
	HOST_IDS=("$@")
	(
		for id in "$@"; do
			bash "$(host_script "$id")" > "$OUT/${id//\//-}.log" 2>&1
			echo $? > "$OUT/${id//\//-}.rc"
		done
	) &
	HOST_PID=$!
	trap host_stop EXIT
}
# host_stop: on an early exit (a failed boot dies), no host check is left
# compiling in build/linux after us.
host_stop() {
	[ -n "${HOST_PID:-}" ] && kill -0 "$HOST_PID" 2> /dev/null || return 0
	kill_tree "$HOST_PID"
}
kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill "$1" 2> /dev/null
}
host_results() {
	local id log rc
	wait "$HOST_PID"
	HOST_PID=
	for id in "${HOST_IDS[@]}"; do
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

# boot_verdict PLAN RC SECONDS: the boot's own result.  It is ok only if the
# guest ran its plan to the end (OUT/PLAN/finished, vng's exit status 0 is
# guest-check.sh's), and then shut down cleanly: from the guest's message
# "memblock-check: PLAN: tests done" (before its final splat scan) on, the
# console shows the power-off and no oops, panic or splat.  The splat plan
# provokes a WARNING there on purpose: this check must see it.
boot_verdict() {
	local plan=$1 rc=$2 secs=$3 console name tail splats marker pattern why=()
	console=$OUT/console-$plan.log
	marker="memblock-check: $plan: tests done"
	pattern=$(grep -v '^#' "$MB/splat-patterns" | paste -sd '|')
	name="boot ($plan): the guest ran its plan and powered off cleanly"
	[ "$plan" != splat ] || name="boot ($plan): the guest ran its plan and powered off, and the console check caught the WARNING provoked after the tests"
	[ -f "$OUT/$plan/finished" ] || why+=("the plan did not finish ($OUT/$plan/finished is missing)")
	[ "$rc" = 0 ] || why+=("vng exited with status $rc")
	if ! grep -qF "$marker" "$console"; then
		why+=("no '$marker' on the console")
	else
		# The kernel's lines only ("[  12.345678] ..."): the guest's
		# TAP output on the same console quotes splats it found.
		tail=$(sed -n "/$marker/,\$p" "$console" | tail -n +2 | grep -E '^\[ *[0-9]+\.[0-9]+\] ')
		grep -q 'reboot: Power down' <<< "$tail" || why+=("no 'reboot: Power down' after it")
		splats=$(grep -m1 -A12 -E "$pattern" <<< "$tail")
		if [ "$plan" = splat ]; then
			# The self-test corrupted slabs on purpose: other reports
			# may come after the marker too.  The WARNING must be seen.
			grep -E "$pattern" <<< "$tail" | grep -qE 'WARNING:.*lkdtm' ||
				why+=("the console check did not report the WARNING provoked after the tests:" "${splats:-nothing}")
		elif [ -n "$splats" ]; then
			why+=("a splat after it:" "$splats")
		fi
	fi
	section "$plan/boot"
	if [ ${#why[@]} = 0 ]; then
		add "ok - $name ($secs s)"
	else
		add "not ok - $name" "# after $secs s: ${why[0]}"
		for l in "${why[@]:1}"; do while IFS= read -r x; do add "# $x"; done <<< "$l"; done
		add "# last console lines:"
		while IFS= read -r l; do add "# $l"; done < <(tail -n 25 "$console")
	fi
}

# run_plan PLAN TIMEOUT EXTRA_APPEND [EXTRA_QEMU_OPTS]: one boot running
# guest-check.sh PLAN.
# Its results are read whatever happened: those it did not give are counted
# missing against tests.list.
run_plan() {
	local plan=$1 timeout=$2 append=$3 t0 secs rc
	mkdir -p "$OUT/$plan"
	t0=$(date +%s)
	GUEST_APPEND="$GUEST_APPEND $append" GUEST_QEMU_OPTS="$GUEST_QEMU_OPTS ${4:-}" boot_guest "$timeout" "$OUT/console-$plan.log" "$OUT/$plan" -- \
		"$MB/guest-check.sh" "$plan" "$OUT/$plan" "$TREE" "$KSFT" "$RUST_MODULES"
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	TIMES+=("$plan $secs s")
	boot_verdict "$plan" "$rc" "$secs"
	[ -f "$OUT/$plan/results.tap" ] || return 0
	while IFS= read -r l; do
		case "$l" in
		'=== run: '*) section "${l#=== run: }" ;;
		'ok - '*|'not ok - '*|'# '*) add "$l" ;;
		esac
	done < "$OUT/$plan/results.tap"
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

say "on the host, in the background while boots 1 and 2 run: the patch series (git am onto the pristine tree, checkpatch --strict), then the Rust code (rustfmt, clippy, rustdoc, test modules, compile-fail cases; about 3 minutes)"
host_start host/series host/rust
RUST_MODULES=$BUILD/rust-ext/modules

say "boot 1/6: the pristine kernel (no patch series), for its sysfs dump at boot"
TREE=$BUILD/linux-base run_plan base 600 ""

say "boot 2/6: the patched kernel without CONFIG_MEMORY_BLOCK_PROVIDER, for its sysfs dump at boot"
TREE=$BUILD/linux-nop run_plan nop 600 ""

say "waiting for the host checks (the series, the Rust code)"
host_results

say "the lockdep control: the lockdep class patch alone on the pristine tree, built (memory.c and a link, with build/linux-base's objects in ccache) and booted: a probe and an online must be reported as the 2015 deadlock (about 2 minutes)"
host_start host/lockdep-control
host_results

say "boot 3/6: the suite (about 9 minutes under TCG)"
run_plan suite 1800 ""
dump_equal host/base-dump "series: sysfs dump at boot identical to the pristine kernel's" \
	"$OUT/base/sysfs-dump.txt" "$OUT/suite/sysfs-dump.txt"
dump_equal host/nop-dump "series without CONFIG_MEMORY_BLOCK_PROVIDER: sysfs dump at boot identical to the pristine kernel's" \
	"$OUT/base/sysfs-dump.txt" "$OUT/nop/sysfs-dump.txt"

say "boot 4/6: ACPI DIMM with memory_hotplug.memmap_on_memory=force, then the lockdep negative control (the block lock, then the hotplug lock, on purpose)"
run_plan altmap 900 "memory_hotplug.memmap_on_memory=force"

say "boot 5/6: a pc-dimm present from the start, memhp_default_state=online, no mem=: the DIMM added and onlined at boot, with no warning"
GUEST_APPEND=${GUEST_APPEND/mem=4G /} run_plan coldplug 600 "memhp_default_state=online" \
	"-object memory-backend-ram,id=cold0,size=256M -device pc-dimm,id=cold0dev,memdev=cold0,node=1"

say "boot 6/6: the splat detector's self-test (each kind of report provoked on purpose)"
run_plan splat 600 ""

# Every listed section gave exactly its number of results.
say "counting the results of each section against $(basename "$LIST")"
declare -A LISTED
SECTION=host/tests.list
[ -r "$LIST" ] || die "$LIST is missing: it lists the results make check must give"
while read -r id want _ || [ -n "$id" ]; do
	case "$id" in ''|'#'*) continue ;; esac
	if ! [[ "$want" =~ ^[0-9]+$ ]] || [ -n "${LISTED[$id]:-}" ]; then
		add "not ok - tests.list: '$id $want' is a section listed once with a number of results"
		continue
	fi
	LISTED[$id]=1
	got=${GOT[$id]:-0}
	if [ "$got" -lt "$want" ]; then
		for ((k = got + 1; k <= want; k++)); do
			add "not ok - $id: result $k of $want: no result"
		done
	elif [ "$got" -gt "$want" ]; then
		add "not ok - $id: $got results, tests.list says $want: list the new test (or remove the extra result)"
	fi
done < "$LIST"
for id in "${!GOT[@]}"; do
	[ -n "${LISTED[$id]:-}" ] || [ "$id" = host/tests.list ] ||
		add "not ok - $id: not in tests.list (${GOT[$id]} results): list it"
done
want_total=$(awk '!/^#/ && NF { n += $2 } END { print n + 0 }' "$LIST")

pass=0 fail=0 n=0
echo "TAP version 13"
echo "1..$(printf '%s\n' "${TAP[@]}" | grep -cE '^(not )?ok - ')"
for l in "${TAP[@]}"; do
	case "$l" in
	'ok - '*) n=$((n + 1)); pass=$((pass + 1)); echo "ok $n ${l#ok }" ;;
	'not ok - '*) n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n ${l#not ok }" ;;
	*) echo "$l" ;;
	esac
done
say "boot times: ${TIMES[*]}; logs and the sysfs dump in $OUT"
say "tests.list expects $want_total results; $n were counted (missing ones are failures above)"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
