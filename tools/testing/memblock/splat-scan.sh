#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel splat detector: asks kmemleak for a scan, then looks through the
# kernel log for lockdep reports, WARNINGs, BUGs, oopses, hung tasks, RCU
# stalls and kmemleak reports.  Prints one TAP line; on a splat, the first
# lines of each report as diagnostics, and exits 1.
. "$(dirname "$0")/lib.sh"
progress "splat-scan: kmemleak scan and dmesg check"

NAME=${1:-no kernel splat in dmesg}
PATTERN='WARNING:|BUG:|Oops|general protection fault|Kernel panic|possible circular locking dependency|possible recursive locking|inconsistent lock state|INFO: task .* blocked for more than|rcu: INFO: .*detected stall|self-detected stall|suspected memory leak|UBSAN:|KASAN:|kernel BUG at|Call Trace:|------------\[ cut here \]------------'

ensure_debugfs
# kmemleak must be alive (it disables itself on internal errors, and then
# finds nothing): a failed scan request is itself reported.
leaks=
if ! { echo scan > /sys/kernel/debug/kmemleak; } 2>/dev/null; then
	leaks="kmemleak is not active: 'echo scan > /sys/kernel/debug/kmemleak' failed $(dmesg | grep -m3 kmemleak)"
else
	leaks=$(head -c 4096 /sys/kernel/debug/kmemleak)
fi

log=$(dmesg)
hits=$(printf '%s\n' "$log" | grep -nE "$PATTERN" | cut -d: -f1)
if [ -z "$hits" ] && [ -z "$leaks" ]; then
	tap_ok "$NAME"
	exit 0
fi
diag=()
shown=0
last=-100
for line in $hits; do
	# Report each splat once: its first matching line and the 12 after it.
	[ "$line" -gt $((last + 12)) ] || continue
	diag+=("$(printf '%s\n' "$log" | sed -n "${line},$((line + 12))p")")
	last=$line
	shown=$((shown + 1))
	[ "$shown" -lt 5 ] || break
done
[ -n "$leaks" ] && diag+=("kmemleak:" "$(printf '%s\n' "$leaks" | head -20)")
tap_not_ok "$NAME" "${diag[@]}"
exit 1
