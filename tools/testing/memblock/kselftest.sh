#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Upstream tools/testing/selftests/memory-hotplug, unmodified, through the
# kselftest runner (run_kselftest.sh from "make install" of the selftests).
# The runner exits 0 even when a test fails, so its TAP result lines are
# what counts; a SKIP is reported as a failure: here the test must run.
# The test's "...: unexpected fail/success/online/offline" and "FAILED - ..."
# lines are failures of their own, whatever its exit status says (today
# each also sets it; its offline step sends its "unexpected" lines to
# /dev/null, and then "FAILED - unable to offline ..." is the only line).
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
# The uevents of the memory blocks and of the modules while it runs: the
# blocks its error-injection part offlined (a random 2%) are the ones its
# injected online error must refuse.
events=$(mktemp /tmp/kselftest-uevents.XXXXXX)
udevadm monitor --kernel --subsystem-match=memory --subsystem-match=module > "$events" 2>&1 &
monitor=$!
wait_for 10 grep -q 'monitor will print' "$events"
./run_kselftest.sh -p -o 300 -c memory-hotplug > "$log" 2>&1
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
udevadm settle --timeout=10
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
out=$(cat "$log" "$testlog")
rm -f "$log" "$testlog"
results=$(printf '%s\n' "$out" | grep -E '^(not )?ok [0-9]+ selftests: ')
if [ -z "$results" ]; then
	tap_not_ok "kselftest: memory-hotplug produced results" "$out"
	exit 0
fi
# The one test of the target, by name: a result of another name (or a
# second one) fails, so that a lost result and an extra one cannot cancel
# out in the count of tests.list.
want="memory-hotplug: mem-on-off-test.sh"
while IFS= read -r r; do
	name=$(printf '%s' "$r" | sed -E 's/^(not )?ok [0-9]+ selftests: //; s/ # .*//')
	if [ "$name" != "$want" ] || [ "$(grep -c . <<< "$results")" != 1 ]; then
		tap_not_ok "kselftest: $name" "the runner must give one result, '$want'; it gave:" "$results"
		continue
	fi
	case "$r" in
	ok*'# SKIP'*) tap_not_ok "kselftest: $name" "skipped: the test did not run" "$out" ;;
	ok*)
		tap_ok "kselftest: $name"
		printf '%s\n' "$out" | grep '^# '
		;;
	*) tap_not_ok "kselftest: $name" "$out" ;;
	esac
done <<< "$results"
unexpected=$(grep -E 'unexpected|FAILED' <<< "$out")
if [ -z "$unexpected" ]; then
	tap_ok "kselftest: no 'unexpected' or 'FAILED' line (every online and offline gave what the test expected)"
else
	tap_not_ok "kselftest: no 'unexpected' or 'FAILED' line" "$unexpected"
fi

# Its notifier error-injection part ran: the module was loaded, the part
# began and did not skip itself.  Which blocks it offlines there is chance
# (2% at random, often none): every block it offlined while the module was
# loaded (its uevents) must then have had its online refused by an
# injected MEM_GOING_ONLINE error, one "Injecting error" line each.
name="kselftest: the notifier error-injection part ran, memory-notifier-error-inject loaded"
why=()
[ "$(cat "$loaded")" = yes ] || why+=("memory_notifier_error_inject was never loaded")
grep -q 'Test with memory notifier error injection' <<< "$out" || why+=("the part did not begin")
if grep -q 'skip extra tests' <<< "$out"; then
	why+=("the test skipped it: $(grep 'skip extra tests' <<< "$out")")
fi
# The offline uevents from the module's load to its unload.
n_off=$(sed -n 's/^KERNEL\[[0-9. ]*\] *//p' "$events" |
	awk '/^add .*\/module\/memory_notifier_error_inject / { on = 1 }
		/^remove .*\/module\/memory_notifier_error_inject / { on = 0 }
		on && /^offline .*\/memory\/memory[0-9]+ / { n++ } END { print n + 0 }')
injected_on=$(dmesg_since "$mark" | grep -c 'Injecting error (-12) to MEM_GOING_ONLINE')
injected_off=$(dmesg_since "$mark" | grep -c 'Injecting error (-12) to MEM_GOING_OFFLINE')
grep -q 'add .*/module/memory_notifier_error_inject ' "$events" ||
	why+=("no uevent of the module's load: $(head -c 300 "$events")")
[ "$injected_on" = "$n_off" ] ||
	why+=("$n_off block(s) offlined by the part, $injected_on online(s) refused by the injected error")
if [ ${#why[@]} = 0 ]; then
	tap_ok "$name: $n_off block(s) offline at its injected online error, $injected_on online(s) refused; $injected_off offline(s) refused"
else
	tap_not_ok "$name" "${why[@]}"
fi
rm -f "$events"
