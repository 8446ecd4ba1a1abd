#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit suites that ran at boot (the kernel crate's doc-tests among them):
# one TAP line per suite, from the KTAP the kernel printed.
. "$(dirname "$0")/lib.sh"
progress "kunit: reading the boot-time KTAP results"

# Top-level KTAP result lines: "ok 1 rust_doctests_kernel" (no indentation).
results=$(dmesg | sed -nE -e 's/^\[[ 0-9.]+\] ok [0-9]+ ([A-Za-z0-9_]+)( .*)?$/PASS \1/p' \
	-e 's/^\[[ 0-9.]+\] not ok [0-9]+ ([A-Za-z0-9_]+)( .*)?$/FAIL \1/p')
if [ -z "$results" ]; then
	tap_not_ok "kunit: suites ran at boot" "no KTAP suite result in dmesg (CONFIG_KUNIT=y should run them)"
	exit 0
fi
while read -r status suite; do
	totals=$(dmesg | grep -E "# $suite: pass:[0-9]+ fail:[0-9]+" | tail -1 | sed -E 's/.*# [^:]+: //')
	if [ "$status" = PASS ]; then
		tap_ok "kunit: $suite ($totals)"
	else
		tap_not_ok "kunit: $suite ($totals)" "$(dmesg | grep -E "not ok " | head -20)"
	fi
done <<< "$results"
grep -q ' rust_doctests_kernel$' <<< "$results" ||
	tap_not_ok "kunit: rust_doctests_kernel ran" "CONFIG_RUST_KERNEL_DOCTESTS=y but the suite is not in dmesg"
