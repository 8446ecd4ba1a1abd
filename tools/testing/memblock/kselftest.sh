#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Upstream tools/testing/selftests/memory-hotplug, unmodified, through the
# kselftest runner (run_kselftest.sh from "make install" of the selftests).
# The runner exits 0 even when a test fails, so its TAP result lines are
# what counts; a SKIP is reported as a failure: here the test must run.
. "$(dirname "$0")/lib.sh"
KSFT=${1:?usage: kselftest.sh INSTALLED_KSELFTEST_DIR}
progress "kselftest: memory-hotplug through run_kselftest.sh"

ensure_debugfs
cd "$KSFT" || { tap_not_ok "kselftest: installed" "$KSFT missing"; exit 0; }
# The runner writes a test's output to /dev/stdout, which virtme-ng's guest
# links to the console, not to our stdout: -p writes it to
# /tmp/mem-on-off-test.sh instead, where we read it.
log=$(mktemp /tmp/kselftest.XXXXXX)
testlog=/tmp/mem-on-off-test.sh
rm -f "$testlog"
# The test's second part needs memory-notifier-error-inject and skips
# itself (exit 0, a pass for the runner) when it cannot load it: watch for
# the module while the test runs, to know that part ran.
loaded=$(mktemp /tmp/kselftest-inject.XXXXXX)
# Bash builtins only (read, and read -t on a FIFO that never has data as
# the 0.1 s sleep): a process every 0.1 s would slow the test under TCG.
tick=$(mktemp -u /tmp/kselftest-tick.XXXXXX)
mkfifo "$tick"
(
	exec 3<> "$tick"
	while :; do
		while read -r m _; do
			[ "$m" != memory_notifier_error_inject ] || { echo yes > "$loaded"; exit; }
		done < /proc/modules
		read -t 0.1 -u 3 _
	done
) > /dev/null 2>&1 &
watcher=$!
# Never leave it (or its files) behind.
trap 'kill "$watcher" 2>/dev/null; rm -f "$loaded" "$tick"' EXIT
# The runner's default timeout, 45 s, is for real hardware: under QEMU's TCG
# the test took about 23 s on the built-in driver with 16 blocks, and once
# timed out at 45 s with the provider serving 19 blocks (2026-11-25).  Give
# it 300 s; a hang still ends the run.
mark=$(dmesg | wc -l)
./run_kselftest.sh -p -o 300 -c memory-hotplug > "$log" 2>&1
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
out=$(cat "$log" "$testlog")
rm -f "$log" "$testlog"
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

# Its notifier error-injection part ran: the module was loaded, the part
# began and did not skip itself.  Whether it then injects an error depends
# on chance (it picks 2% of the blocks at random; often none): the number
# of "Injecting error" lines is shown, not required.
name="kselftest: the notifier error-injection part ran, memory-notifier-error-inject loaded"
why=()
[ "$(cat "$loaded")" = yes ] || why+=("memory_notifier_error_inject was never loaded")
grep -q 'Test with memory notifier error injection' <<< "$out" || why+=("the part did not begin")
if grep -q 'skip extra tests' <<< "$out"; then
	why+=("the test skipped it: $(grep 'skip extra tests' <<< "$out")")
fi
if [ ${#why[@]} = 0 ]; then
	tap_ok "$name ($(dmesg_since "$mark" | grep -c 'Injecting error') error(s) injected)"
else
	tap_not_ok "$name" "${why[@]}"
fi
