#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# KUnit suites that ran at boot (the kernel crate's doc-tests among them):
# one TAP line per suite, from the KTAP the kernel printed.
. "$(dirname "$0")/lib.sh"
progress "kunit: reading the boot-time KTAP results"
log=$(dmesg)

# Top-level KTAP result lines: "ok 1 rust_doctests_kernel" (no indentation).
results=$(sed -nE -e 's/^\[[ 0-9.]+\] ok [0-9]+ ([^ ]+)( .*)?$/PASS \1/p' \
	-e 's/^\[[ 0-9.]+\] not ok [0-9]+ ([^ ]+)( .*)?$/FAIL \1/p' <<< "$log")
if [ -z "$results" ]; then
	tap_not_ok "kunit: suites ran at boot" "no KTAP suite result in dmesg (CONFIG_KUNIT=y should run them)"
	exit 0
fi
while read -r status suite; do
	totals=$(grep -E "# $suite: pass:[0-9]+ fail:[0-9]+" <<< "$log" | tail -1 | sed -E 's/.*# [^:]+: //')
	if [ "$status" = PASS ]; then
		tap_ok "kunit: $suite ($totals)"
	else
		tap_not_ok "kunit: $suite ($totals)" "$(grep -E "not ok " <<< "$log" | head -20)"
	fi
done <<< "$results"
# A skipped test (suite or case, "ok N NAME # SKIP ...") did not run: that
# is a failure here (the README lists no allowed skip).
skips=$(grep -E '^\[[ 0-9.]+\] +ok [0-9]+ [^#]*# SKIP' <<< "$log")
if [ -z "$skips" ]; then
	tap_ok "kunit: no test or suite skipped"
else
	tap_not_ok "kunit: no test or suite skipped" "$(head -n 20 <<< "$skips")"
fi
if grep -q ' rust_doctests_kernel$' <<< "$results"; then
	tap_ok "kunit: rust_doctests_kernel ran"
else
	tap_not_ok "kunit: rust_doctests_kernel ran" "CONFIG_RUST_KERNEL_DOCTESTS=y but the suite is not in dmesg"
fi

# The doc-tests of the memory block abstractions, one TAP line each, and as
# many as the sources have examples (a test the doc-test generator dropped
# would otherwise go unnoticed).
KSRC=${1:-}
ours=$(sed -nE 's/^\[[ 0-9.]+\] +((not )?ok) [0-9]+ (rust_doctest_kernel_(memory|sysfs)_[a-z0-9_]+)$/\1 \3/p' <<< "$log")
while read -r status test; do
	[ -n "$test" ] || continue
	loc=$(sed -nE "s/.*# $test\.location: (.*)/\1/p" <<< "$log" | tail -1)
	if [ "$status" = ok ]; then
		tap_ok "kunit doc-test: $test ($loc)"
	else
		tap_not_ok "kunit doc-test: $test ($loc)" "$(grep -A3 -E "# $test" <<< "$log" | head -20)"
	fi
done <<< "$ours"
if [ -n "$KSRC" ]; then
	# Examples: the lines opening a fenced block in a doc comment, "/// ```"
	# (a closing fence is the same line: count them and halve).
	fences=$(cat "$KSRC"/rust/kernel/memory.rs "$KSRC"/rust/kernel/memory/*.rs "$KSRC"/rust/kernel/sysfs.rs |
		grep -cE '^\s*//[/!] ```')
	expect "kunit: every example of rust/kernel/memory* and sysfs.rs ran as a doc-test" \
		"$(grep -c . <<< "$ours")" "$((fences / 2))"
fi
