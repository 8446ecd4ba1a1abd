#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Upstream tools/testing/selftests/memory-hotplug, unmodified, through the
# kselftest runner (run_kselftest.sh from "make install" of the selftests).
# The runner exits 0 even when a test fails, so its TAP result lines are
# what counts; a SKIP is reported as a failure: here the test must run.
. "$(dirname "$0")/lib.sh"
KSFT=${1:?usage: kselftest.sh INSTALLED_KSELFTEST_DIR}
progress "kselftest: memory-hotplug through run_kselftest.sh"

ensure_debugfs
cd "$KSFT" || { tap_not_ok "kselftest: installed" "$KSFT missing"; exit 0; }
# The runner writes the tests' output to /dev/stdout, which must be a file
# to be captured.
log=$(mktemp /tmp/kselftest.XXXXXX)
# The runner's default timeout, 45 s, is for real hardware: under QEMU's TCG
# the test took about 23 s on the built-in driver with 16 blocks, and once
# timed out at 45 s with the provider serving 19 blocks (2026-11-25).  Give
# it 300 s; a hang still ends the run.
./run_kselftest.sh -o 300 -c memory-hotplug > "$log" 2>&1
out=$(cat "$log")
rm -f "$log"
results=$(printf '%s\n' "$out" | grep -E '^(not )?ok [0-9]+ selftests: ')
if [ -z "$results" ]; then
	tap_not_ok "kselftest: memory-hotplug produced results" "$out"
	exit 0
fi
while IFS= read -r r; do
	name=$(printf '%s' "$r" | sed -E 's/^(not )?ok [0-9]+ selftests: //')
	case "$r" in
	ok*'# SKIP'*) tap_not_ok "kselftest: $name" "skipped: the test did not run" "$out" ;;
	ok*)
		tap_ok "kselftest: $name"
		printf '%s\n' "$out" | grep '^# '
		;;
	*) tap_not_ok "kselftest: $name" "$out" ;;
	esac
done <<< "$results"
