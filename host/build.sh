#!/usr/bin/env bash
# Build the kernel and its modules, printing stage lines instead of the
# thousands of kbuild lines (those go to build/build.log).
set -euo pipefail
STEP=${STEP:-build}
. "$(dirname "$0")/env.sh"
LOG=${BUILD_LOG:-$BUILD/build.log}

start=$(date +%s)
ccache -z >/dev/null 2>&1 || true
say "building $(make -s -C "$TREE" kernelversion) with $JOBS jobs (ccache; full log: $LOG)"
set +e
# mawk reads a pipe in big blocks unless told to read line by line.
AWK=(awk)
awk -W version 2>&1 | grep -q mawk && AWK=(awk -W interactive)
kmake "$@" 2>&1 | tee "$LOG" | "${AWK[@]}" -v start="$start" '
	function stamp() { return sprintf("%3dm%02ds", (systime() - start) / 60, (systime() - start) % 60) }
	/ (error|Error)[: ]|^make.*Error|warning:/ { print "  " $0; fflush(); next }
	$1 ~ /^(CC|RUSTC|LD|AR|AS|BINDGEN|HOSTCC|RUSTDOC|EXPORTS)/ {
		n++
		f = ($2 == "[M]") ? $3 : $2
		split(f, p, "/")
		stage = (p[1] ~ /\.(o|a|rlib|rmeta)$/ || p[1] == "" ) ? "top" : p[1]
		if ($1 ~ /^RUSTC/ && stage != "samples") stage = "rust"
		# One line per new top-level folder, else one every 20 seconds.
		if (!(stage in seen) || systime() - lastt >= 20) {
			printf("[build] %s  %5d steps  %-10s %s\n", stamp(), n, stage, f); fflush()
			seen[stage] = 1; lastt = systime()
		}
	}
	/Kernel: arch\/x86\/boot\/bzImage is ready/ { printf("[build] %s  bzImage ready\n", stamp()); fflush() }
'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
	echo "---- last 30 lines of $LOG ----" >&2
	tail -n 30 "$LOG" >&2
	die "kernel build failed (exit $rc): see the errors above and $LOG"
fi
el=$(( $(date +%s) - start ))
say "done in $((el / 60))m$((el % 60))s (ccache:$(ccache -s 2>/dev/null | grep -m1 -E '^ *Hits:' | sed -E 's/^ *Hits: *//; s/ +/ /g'))"
