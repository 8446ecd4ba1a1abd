#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel splat detector.  Looks through the kernel log for lockdep reports,
# WARNINGs, BUGs (SLUB and KFENCE reports among them), oopses, hung tasks,
# RCU stalls and kmemleak reports (splat-patterns).  Prints one TAP line,
# one more for each of --whole and --lockdep-on; on a splat, the first
# lines of each report as diagnostics.  Exits 0 when it ran (the verdict is
# the TAP line), 2 when it could not.
#
# usage: splat-scan.sh [--since MARK] [--until LINE] [--kmemleak] [--whole]
#                      [--lockdep-on] [--allow-lockdep-report]
#                      [--allow-alloc-failure] NAME
#   --since MARK   only the log after its first MARK lines (guest-check.sh
#                  takes MARK with "dmesg | wc -l" before each test script)
#   --until LINE   only the log up to its line LINE (the self-test of the
#                  lockdep allowance scans one report's lines)
#   --kmemleak     ask kmemleak for a scan first (two if the first finds
#                  nothing); a leak it reports, or kmemleak not running, is
#                  a splat
#   --whole        also check that the log is whole: its first line is the
#                  kernel's first message, "[    0.000000] Linux version"
#                  (the ring buffer did not wrap)
#   --lockdep-on   also check that lockdep is still on (debug_locks 1): it
#                  turns itself off after a report or an unreliable taint,
#                  and then reports nothing more
#   --allow-lockdep-report
#                  one "possible circular locking dependency" report is
#                  expected (the lockdep negative control checks it): of
#                  that report, its two lines that the patterns match (its
#                  heading and the "Call Trace:" of its backtrace) are left
#                  out; anything else, a line of another CPU printed in the
#                  middle of the report or a second report, is not
#   --allow-alloc-failure
#                  allocations fail on purpose (the fault injection of
#                  faults.sh): the "Call Trace:" of a failed allocation's
#                  warning (warn_alloc(): a line "...: MESSAGE, mode:0x..(..),
#                  nodemask=..." then the stack dump, to its "</TASK>"), and
#                  the WARN_ON_ONCE() of x86's add_pages() on a failed
#                  __add_pages(), are left out; every other line, WARNING
#                  and BUG, is not
set -u
. "$(dirname "$0")/lib.sh"

since=0 until='' kmemleak='' whole='' allow_lockdep='' allow_alloc='' lockdep_on=''
while [ $# -gt 1 ]; do
	case "$1" in
	--since) since=$2; shift 2 ;;
	--until) until=$2; shift 2 ;;
	--kmemleak) kmemleak=1; shift ;;
	--whole) whole=1; shift ;;
	--lockdep-on) lockdep_on=1; shift ;;
	--allow-lockdep-report) allow_lockdep=1; shift ;;
	--allow-alloc-failure) allow_alloc=1; shift ;;
	*) echo "splat-scan.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
NAME=${1:?usage: splat-scan.sh [--since MARK] [--until LINE] [--kmemleak] [--whole] [--lockdep-on] [--allow-lockdep-report] [--allow-alloc-failure] NAME}

# The reports, one extended regular expression a line (host/check.sh reads
# the same file for the console after the tests).
PATTERN=$(grep -v '^#' "$(dirname "$0")/splat-patterns" | paste -sd '|')
[ -n "$PATTERN" ] || { echo "splat-scan.sh: no pattern in splat-patterns" >&2; exit 2; }

log_all=$(dmesg) || { echo "splat-scan.sh: dmesg failed" >&2; exit 2; }
[ -n "$log_all" ] || { echo "splat-scan.sh: dmesg printed nothing" >&2; exit 2; }
if [ -n "$whole" ]; then
	# The ring buffer must hold the whole boot: a wrapped log loses its
	# start, and with it the splats of the first tests.
	first=$(head -n 1 <<< "$log_all")
	size=$(python3 -c 'import ctypes; print(ctypes.CDLL(None).klogctl(10, None, 0))')
	case "$first" in
	'[    0.000000] Linux version '*)
		tap_ok "$NAME: the kernel log is whole (starts with the kernel's first message; $(wc -c <<< "$log_all") bytes of text, ring buffer $size bytes)" ;;
	*)
		tap_not_ok "$NAME: the kernel log is whole (starts with '[    0.000000] Linux version')" \
			"it starts with: $first" "ring buffer: $size bytes: raise CONFIG_LOG_BUF_SHIFT (configs/guest.config)" ;;
	esac
fi
if [ -n "$lockdep_on" ]; then
	expect "$NAME: lockdep is still on (debug_locks)" \
		"$(debug_locks)" 1
fi

log=$(tail -n +$((since + 1)) <<< "$log_all")
[ -z "$until" ] || log=$(head -n $((until - since)) <<< "$log")
if [ -n "$allow_lockdep" ]; then
	# The report runs from its heading to the end of its backtrace
	# ("stack backtrace:", "Call Trace:", ..., "</TASK>"); of its lines,
	# the patterns match only the heading and the backtrace's "Call
	# Trace:": those two are left out, and only if the report ends
	# (without that end it is a splat like any other).
	# Every other line stays: one printed by another CPU in the middle of
	# the report is scanned as anywhere else.
	log=$(awk '
		{ line[NR] = $0 }
		/WARNING: possible circular locking dependency detected/ && !start { start = NR; next }
		start && !bt && /stack backtrace:/ { bt = NR; next }
		bt && !trace && /Call Trace:/ { trace = NR }
		trace && !end && /<\/TASK>/ { end = NR }
		END { for (i = 1; i <= NR; i++) if (!end || (i != start && i != trace)) print line[i] }
	' <<< "$log")
fi

if [ -n "$allow_alloc" ]; then
	# A warn_alloc() heading, then within 4 lines the "Call Trace:" of
	# its stack dump, which ends with "</TASK>": that "Call Trace:" line
	# is left out (only if its "</TASK>" comes).
	# And the WARN_ON_ONCE() of x86's add_pages() (arch_add_memory()),
	# which fires whenever __add_pages() fails, -ENOMEM included: its
	# "cut here", WARNING and "Call Trace:" lines, only if its "end
	# trace" comes.
	log=$(awk '
		{ line[NR] = $0 }
		/: .*mode:0x[0-9a-f]+\(.*\), nodemask=/ { head = NR }
		/Call Trace:/ && head && NR - head <= 4 { trace = NR }
		/<\/TASK>/ && trace { drop[trace] = 1; trace = 0; head = 0 }
		/------------\[ cut here \]------------/ { cut = NR }
		/WARNING: .* at arch\/x86\/mm\/init_64\.c:[0-9]+ arch_add_memory\+/ { w = NR; wcut = (cut && NR - cut <= 2) ? cut : 0 }
		w && /Call Trace:/ && !wt { wt = NR }
		w && /---\[ end trace/ { drop[w] = 1; if (wcut) drop[wcut] = 1; if (wt) drop[wt] = 1; w = 0; wt = 0 }
		END { for (i = 1; i <= NR; i++) if (!drop[i]) print line[i] }
	' <<< "$log")
fi

leaks=
if [ -n "$kmemleak" ]; then
	ensure_debugfs
	# kmemleak must be alive (it disables itself on internal errors, and
	# then finds nothing): a failed scan request is itself reported.
	if ! { echo scan > /sys/kernel/debug/kmemleak; } 2>/dev/null; then
		leaks="kmemleak is not active: 'echo scan > /sys/kernel/debug/kmemleak' failed $(dmesg | grep -m3 kmemleak)"
	else
		leaks=$(head -c 4096 /sys/kernel/debug/kmemleak)
		# A scan can miss a leak while a stale copy of its address
		# lingers somewhere: one more scan before calling it clean.
		if [ -z "$leaks" ]; then
			echo scan > /sys/kernel/debug/kmemleak || exit 2
			leaks=$(head -c 4096 /sys/kernel/debug/kmemleak)
		fi
	fi
fi

hits=$(printf '%s\n' "$log" | grep -nE "$PATTERN")
[ $? -lt 2 ] || { echo "splat-scan.sh: grep failed on the pattern" >&2; exit 2; }
hits=$(cut -d: -f1 <<< "$hits")
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
