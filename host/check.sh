#!/usr/bin/env bash
# make check: boot the test kernel, run every test in the guest, print TAP
# and the totals line, exit 1 on any failure.
set -uo pipefail
STEP=check
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/guest.sh"
MB=$TREE/tools/testing/memblock
KSFT=$BUILD/kselftest

rm -rf "$OUT"
mkdir -p "$OUT"
TAP=()
add() { TAP+=("$@"); }
TIMES=()

say "installing tools/testing/selftests (memory-hotplug) into $KSFT"
rm -rf "$KSFT"
make -s -C "$TREE/tools/testing/selftests" TARGETS=memory-hotplug \
	INSTALL_PATH="$KSFT" install > "$OUT/kselftest-install.log" 2>&1 ||
	die "kselftest install failed: see $OUT/kselftest-install.log"

# run_plan PLAN TIMEOUT EXTRA_APPEND: one boot running guest-check.sh PLAN.
run_plan() {
	local plan=$1 timeout=$2 append=$3 t0 t1 rc
	mkdir -p "$OUT/$plan"
	t0=$(date +%s)
	GUEST_APPEND="$GUEST_APPEND $append" boot_guest "$timeout" "$OUT/console-$plan.log" "$OUT/$plan" -- \
		"$MB/guest-check.sh" "$plan" "$OUT/$plan" "$TREE" "$KSFT" "$RUST_MODULES"
	rc=$?
	t1=$(date +%s)
	TIMES+=("$plan $((t1 - t0)) s")
	if [ -f "$OUT/$plan/finished" ]; then
		add "ok - boot ($plan): guest booted and ran its tests ($((t1 - t0)) s)"
		while IFS= read -r l; do
			case "$l" in 'ok - '*|'not ok - '*|'# '*) add "$l" ;; esac
		done < "$OUT/$plan/results.tap"
	else
		add "not ok - boot ($plan): guest booted and ran its tests" \
			"# vng exit code $rc after $((t1 - t0)) s; last console lines:"
		while IFS= read -r l; do add "# $l"; done < <(tail -n 25 "$OUT/console-$plan.log")
	fi
}

say "the patch series: git am onto the pristine tree, checkpatch --strict"
while IFS= read -r l; do add "$l"; done < <(bash "$TOP/host/series-check.sh")

say "the Rust code: rustfmt, clippy, rustdoc, test modules, compile-fail cases (about 2 minutes)"
while IFS= read -r l; do add "$l"; done < <(bash "$TOP/host/rust-check.sh")
RUST_MODULES=$BUILD/rust-ext/modules

say "boot 1/5: the suite (about 8 minutes under TCG)"
run_plan suite 1800 ""
say "boot 2/5: ACPI DIMM with memory_hotplug.memmap_on_memory=force"
run_plan altmap 900 "memory_hotplug.memmap_on_memory=force"
say "boot 3/5: lockdep negative control (the block lock, then the hotplug lock, on purpose)"
run_plan lockdep 600 ""

say "boot 4/5: the pristine kernel (no patch series), for its sysfs dump at boot"
TREE=$BUILD/linux-base run_plan base 600 ""
name="series: sysfs dump at boot identical to the pristine kernel's"
if [ -s "$OUT/base/sysfs-dump.txt" ] && [ -s "$OUT/suite/sysfs-dump.txt" ]; then
	if d=$(diff "$OUT/base/sysfs-dump.txt" "$OUT/suite/sysfs-dump.txt"); then
		add "ok - $name ($(wc -l < "$OUT/suite/sysfs-dump.txt") lines)"
	else
		add "not ok - $name"
		while IFS= read -r l; do add "# $l"; done < <(head -30 <<< "$d")
	fi
else
	add "not ok - $name" "# a dump is missing: $OUT/base/sysfs-dump.txt, $OUT/suite/sysfs-dump.txt"
fi

say "boot 5/5: splat detector self-test (a WARNING provoked on purpose)"
mkdir -p "$OUT/splat"
t0=$(date +%s)
boot_guest 600 "$OUT/console-splat.log" "$OUT/splat" -- \
	"$MB/guest-splat-selftest.sh" "$OUT/splat" > /dev/null
TIMES+=("splat $(( $(date +%s) - t0 )) s")
name="splat-scan: a WARNING provoked by lkdtm is reported as a failure"
if [ ! -f "$OUT/splat/finished" ]; then
	add "not ok - $name" "# the self-test guest did not finish; see $OUT/console-splat.log"
elif [ "$(cat "$OUT/splat/selftest.rc")" = 1 ] &&
	grep -q '^not ok - ' "$OUT/splat/selftest.tap" &&
	grep -q 'WARNING:.*lkdtm' "$OUT/splat/selftest.tap"; then
	add "ok - $name"
else
	add "not ok - $name" "# detector exit $(cat "$OUT/splat/selftest.rc"), output:"
	while IFS= read -r l; do add "# $l"; done < "$OUT/splat/selftest.tap"
fi

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
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
