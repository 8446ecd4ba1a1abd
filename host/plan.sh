# Sourced by host/check.sh, host/long.sh and host/kasan.sh (after setting STEP): guest
# boots that run a plan of tools/testing/memblock/guest-check.sh, their
# results gathered by section and counted against
# tools/testing/memblock/tests.list, and the TAP and totals printed.  The
# sourcing script sets RUST_MODULES, and OUT if not env.sh's.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$(dirname "${BASH_SOURCE[0]}")/guest.sh"
# Each stage says when it starts, in minutes since the command's own start.
say() { printf '[%s %dm%02ds] %s\n' "$STEP" $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
MB=$TREE/tools/testing/memblock
LIST=$TOP/tools/testing/memblock/tests.list
KSFT=$BUILD/kselftest

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

# children_cpu VAR: sets VAR to the CPU time, in clock ticks, of this
# shell's waited-for children and their descendants so far (user and
# system; no subshell, whose children would not be ours).  Around a boot:
# QEMU's (both vCPUs) and vng's; against the boot's wall time, how much of
# the host's CPUs the guest kept busy.
children_cpu() {
	local f
	read -ra f < "/proc/$BASHPID/stat"
	printf -v "$1" %d $((f[15] + f[16]))
}

# run_plan PLAN TIMEOUT EXTRA_APPEND [EXTRA_QEMU_OPTS]: one boot running
# guest-check.sh PLAN, its wall and CPU time noted.
# Its results are read whatever happened: those it did not give are counted
# missing against tests.list.
run_plan() {
	local plan=$1 timeout=$2 append=$3 t0 secs rc cpu0 cpu
	mkdir -p "$OUT/$plan"
	t0=$(date +%s)
	children_cpu cpu0
	GUEST_APPEND="$GUEST_APPEND $append" GUEST_QEMU_OPTS="$GUEST_QEMU_OPTS ${4:-}" boot_guest "$timeout" "$OUT/console-$plan.log" "$OUT/$plan" -- \
		"$MB/guest-check.sh" "$plan" "$OUT/$plan" "$TREE" "$KSFT" "$RUST_MODULES"
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	children_cpu cpu
	TIMES+=("$plan $secs s (cpu $(((cpu - cpu0) / $(getconf CLK_TCK))) s)")
	boot_verdict "$plan" "$rc" "$secs"
	[ -f "$OUT/$plan/results.tap" ] || return 0
	while IFS= read -r l; do
		case "$l" in
		'=== run: '*) section "${l#=== run: }" ;;
		'ok - '*|'not ok - '*|'# '*) add "$l" ;;
		esac
	done < "$OUT/$plan/results.tap"
}

# test_modules DIR [NAME]: builds the test modules of
# tools/testing/memblock/rust into DIR against $TREE: all of them (its
# Kbuild), or only the C module NAME.
test_modules() {
	local dir=$1 src=$TOP/tools/testing/memblock/rust
	say "building ${2:-the test modules}${2:+.ko} into $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	if [ -n "${2:-}" ]; then
		cp "$src/$2.c" "$dir/"
		echo "obj-m := $2.o" > "$dir/Kbuild"
	else
		cp "$src"/*.rs "$src"/*.c "$src/Kbuild" "$dir/"
	fi
	kmake M="$dir" modules > "$dir/build.log" 2>&1 ||
		die "${2:-the test modules} did not build: see $dir/build.log"
}

# plan_env DIR NAME...: the parameters of a plan (the variables NAME...),
# which the guest reads from its output folder (DIR/plan.env).
plan_env() {
	local dir=$1 v
	shift
	mkdir -p "$dir"
	for v in "$@"; do printf '%s=%q\n' "$v" "${!v}"; done > "$dir/plan.env"
}

# count_results LIST [PREFIX [SKIP...]]: every section of LIST (only those
# whose ID starts with PREFIX, and none whose ID starts with a SKIP) must
# have given exactly its number of results: each one missing is a "not
# ok", and so is a section that gave more or that LIST does not name.
count_results() {
	local list=$1 prefix=${2:-} id want got k s skip
	local -A listed
	shift 2 2> /dev/null || shift $#
	say "counting the results of each section against $(basename "$list")"
	SECTION=host/tests.list
	[ -r "$list" ] || die "$list is missing: it lists the results make check must give"
	WANT_TOTAL=0
	while read -r id want _ || [ -n "$id" ]; do
		case "$id" in ''|'#'*) continue ;; "$prefix"*) ;; *) continue ;; esac
		skip=
		for s in "$@"; do case "$id" in "$s"*) skip=1 ;; esac; done
		[ -z "$skip" ] || continue
		if ! [[ "$want" =~ ^[0-9]+$ ]] || [ -n "${listed[$id]:-}" ]; then
			add "not ok - tests.list: '$id $want' is a section listed once with a number of results"
			continue
		fi
		listed[$id]=1
		WANT_TOTAL=$((WANT_TOTAL + want))
		got=${GOT[$id]:-0}
		if [ "$got" -lt "$want" ]; then
			for ((k = got + 1; k <= want; k++)); do
				add "not ok - $id: result $k of $want: no result"
			done
		elif [ "$got" -gt "$want" ]; then
			add "not ok - $id: $got results, tests.list says $want: list the new test (or remove the extra result)"
		fi
	done < "$list"
	for id in "${!GOT[@]}"; do
		[ -n "${listed[$id]:-}" ] || [ "$id" = host/tests.list ] ||
			add "not ok - $id: not in tests.list (${GOT[$id]} results): list it"
	done
}

# totals: the TAP, numbered, then "N passed, N failed"; fails if any failed.
totals() {
	local pass=0 fail=0 n=0 l
	echo "TAP version 13"
	echo "1..$(printf '%s\n' "${TAP[@]}" | grep -cE '^(not )?ok - ')"
	for l in "${TAP[@]}"; do
		case "$l" in
		'ok - '*) n=$((n + 1)); pass=$((pass + 1)); echo "ok $n ${l#ok }" ;;
		'not ok - '*) n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n ${l#not ok }" ;;
		*) echo "$l" ;;
		esac
	done
	say "boot times: ${TIMES[*]}; logs in $OUT"
	say "tests.list expects $WANT_TOTAL results; $n were counted (missing ones are failures above)"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}
