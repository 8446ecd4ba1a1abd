#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside a guest of its own: provokes a kernel WARNING with lkdtm and
# runs the splat detector, which must report it.  OUT/selftest.tap gets the
# detector's TAP output, OUT/selftest.rc its exit code.
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/lib.sh"
OUT=${1:?usage: guest-splat-selftest.sh OUT}

ensure_debugfs
progress "splat self-test: provoking a WARNING through lkdtm"
modprobe lkdtm || echo "modprobe lkdtm failed" >&2
echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT
bash "$DIR/splat-scan.sh" > "$OUT/selftest.tap" 2>&1
echo $? > "$OUT/selftest.rc"
dmesg > "$OUT/dmesg-selftest.txt"
touch "$OUT/finished"
