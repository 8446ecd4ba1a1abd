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
mkdir -p "$OUT/suite" "$OUT/splat"
TAP=()
add() { TAP+=("$@"); }

say "installing tools/testing/selftests (memory-hotplug) into $KSFT"
rm -rf "$KSFT"
make -s -C "$TREE/tools/testing/selftests" TARGETS=memory-hotplug \
	INSTALL_PATH="$KSFT" install > "$OUT/kselftest-install.log" 2>&1 ||
	die "kselftest install failed: see $OUT/kselftest-install.log"

t0=$(date +%s)
say "boot 1/2: the test suite (about 2 minutes under TCG)"
boot_guest 1200 "$OUT/console-suite.log" "$OUT/suite" -- \
	"$MB/guest-check.sh" "$OUT/suite" "$KSFT"
rc=$?
t1=$(date +%s)
if [ -f "$OUT/suite/finished" ]; then
	add "ok - boot: guest booted and ran the suite ($((t1 - t0)) s)"
	while IFS= read -r l; do
		case "$l" in 'ok - '*|'not ok - '*|'# '*) add "$l" ;; esac
	done < "$OUT/suite/results.tap"
else
	add "not ok - boot: guest booted and ran the suite" "# vng exit code $rc after $((t1 - t0)) s; last console lines:"
	while IFS= read -r l; do add "# $l"; done < <(tail -n 25 "$OUT/console-suite.log")
fi

say "boot 2/2: splat detector self-test (a WARNING provoked on purpose)"
boot_guest 600 "$OUT/console-splat.log" "$OUT/splat" -- \
	"$MB/guest-splat-selftest.sh" "$OUT/splat" > /dev/null
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
t2=$(date +%s)

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
say "suite boot $((t1 - t0)) s, splat self-test boot $((t2 - t1)) s; logs in $OUT"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
