#!/usr/bin/env bash
# make run: boot the kernel and show a block probed and onlined.
set -uo pipefail
STEP=run
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/guest.sh"
mkdir -p "$OUT/run"
say "booting the guest under TCG (about 30 s)"
boot_guest 600 "$OUT/console-run.log" "$OUT/run" -- "$TREE/tools/testing/memblock/demo.sh"
