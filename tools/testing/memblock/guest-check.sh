#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test guest: every test, then the splat scan.  TAP lines go
# to OUT/results.tap (and the console), the kernel log to OUT/dmesg.txt;
# OUT/finished tells the host the suite ran to the end.
#
# usage: guest-check.sh OUT KSELFTEST_DIR
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/lib.sh"
OUT=${1:?usage: guest-check.sh OUT KSELFTEST_DIR}
KSFT=${2:?usage: guest-check.sh OUT KSELFTEST_DIR}

progress "kernel $(uname -r), $(nproc) CPUs, MemTotal $(mem_total_kb) kB"
{
	bash "$DIR/layout.sh"
	bash "$DIR/kselftest.sh" "$KSFT"
	bash "$DIR/probe.sh"
	bash "$DIR/kunit.sh"
	bash "$DIR/splat-scan.sh"
} 2>&1 | tee "$OUT/results.tap"
dmesg > "$OUT/dmesg.txt"
touch "$OUT/finished"
