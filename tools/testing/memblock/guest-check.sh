#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test guest: the suite named by PLAN, then the splat scan.
# TAP lines go to OUT/results.tap (and the console), the kernel log to
# OUT/dmesg.txt; OUT/finished tells the host the plan ran to the end.
#
# usage: guest-check.sh PLAN OUT KSRC KSELFTEST_DIR [RUST_MODULES]
#   PLAN suite:  the whole suite (boot layout, ABI, dump, kselftest, probe,
#                ACPI DIMM + hwpoison, virtio-mem, the provider interface's
#                test module, the Rust abstractions' test module, ABI
#                again, KUnit)
#   PLAN altmap: ACPI DIMM with memory_hotplug.memmap_on_memory=force, then
#                again, handed to the provider's test module before the eject
#   PLAN base:   the sysfs dump at boot, on the kernel without our patches
#   PLAN lockdep: the lockdep negative control (locks taken in the inverted
#                order on purpose; lockdep must report it)
# RUST_MODULES: where host/rust-check.sh built the Rust test modules.
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/lib.sh"
PLAN=${1:?usage: guest-check.sh PLAN OUT KSRC KSELFTEST_DIR}
OUT=${2:?}
KSRC=${3:?}
KSFT=${4:?}
RUST_MODULES=${5:-}
export QMP_DIR=$OUT/qmp

progress "kernel $(uname -r), $(nproc) CPUs, MemTotal $(mem_total_kb) kB, plan $PLAN"
ensure_debugfs
{
	case "$PLAN" in
	suite)
		bash "$DIR/layout.sh"
		bash "$DIR/abi.sh" "$KSRC"
		bash "$DIR/dump.sh" > "$OUT/sysfs-dump.txt"
		bash "$DIR/dump-check.sh" "$OUT/sysfs-dump.txt"
		bash "$DIR/kselftest.sh" "$KSFT"
		bash "$DIR/probe.sh"
		bash "$DIR/dimm.sh"
		bash "$DIR/virtio-mem.sh"
		bash "$DIR/provider.sh" "$KSFT"
		bash "$DIR/rust-abstractions.sh" "$RUST_MODULES"
		bash "$DIR/abi.sh" "$KSRC" | sed 's/ - abi: / - abi (after the hot-add tests): /'
		bash "$DIR/kunit.sh" "$KSRC"
		;;
	base)
		bash "$DIR/dump.sh" > "$OUT/sysfs-dump.txt"
		bash "$DIR/dump-check.sh" "$OUT/sysfs-dump.txt" | sed 's/ - dump:/ - dump (pristine kernel):/'
		;;
	altmap)
		expect "altmap: memory_hotplug.memmap_on_memory is force" \
			"$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" force
		bash "$DIR/dimm.sh"
		DIMM_PROVIDER=1 bash "$DIR/dimm.sh"
		;;
	lockdep)
		# The report it provokes is the expected result, not a splat:
		# scan before it, and let the test check the report.
		bash "$DIR/splat-scan.sh" "no kernel splat before the inverted order"
		bash "$DIR/lockdep-inversion.sh" "$RUST_MODULES"
		;;
	*)
		tap_not_ok "guest plan '$PLAN' exists"
		;;
	esac
	[ "$PLAN" = lockdep ] || bash "$DIR/splat-scan.sh"
} 2>&1 | tee "$OUT/results.tap"
dmesg > "$OUT/dmesg.txt"
touch "$OUT/finished"
