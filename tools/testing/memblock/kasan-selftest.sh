#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# KASAN's self-test in the KASAN boot: memblock_kasan_uaf.ko reads a freed
# object in its init; KASAN must report it, naming the module's function,
# and the init fails (EAGAIN) so nothing stays loaded.  The report is a
# splat on purpose: this runs last, without the harness's scan, and the
# boot's final scan stops before it (guest-check.sh).
#
# usage: kasan-selftest.sh RUST_MODULES
. "$(dirname "$0")/lib.sh"
MODS=${1:?usage: kasan-selftest.sh RUST_MODULES}
progress "kasan-selftest: a use-after-free in a module"
expect "kasan-selftest: KASAN is on" "$(grep -c 'KernelAddressSanitizer initialized' <(dmesg))" 1
# KFENCE off first: an object KFENCE samples is KFENCE's to check, not
# KASAN's (the 2026-12-08 run's object was one: "BUG: KFENCE:
# use-after-free read in memblock_kasan_uaf_read").
kfence=/sys/module/kfence/parameters/sample_interval
[ ! -w $kfence ] || echo 0 > $kfence
mark=$(dmesg | wc -l)
r=$(insmod "$MODS/memblock_kasan_uaf.ko" 2>&1; echo "rc=$?")
log=$(dmesg_since "$mark")
case "$r" in
*"Resource temporarily unavailable"*"rc=1") tap_ok "kasan-selftest: insmod memblock_kasan_uaf.ko ran its init (EAGAIN)" ;;
*) tap_not_ok "kasan-selftest: insmod memblock_kasan_uaf.ko ran its init (EAGAIN)" "$r" ;;
esac
if grep -q 'BUG: KASAN: slab-use-after-free in memblock_kasan_uaf_read.*\[memblock_kasan_uaf\]' <<< "$log" ||
	{ grep -q 'BUG: KASAN: slab-use-after-free in memblock_kasan_uaf_read' <<< "$log" &&
		grep -q 'memblock_kasan_uaf' <<< "$(grep -A30 'BUG: KASAN' <<< "$log")"; }; then
	tap_ok "kasan-selftest: KASAN reported the use-after-free in the module: $(grep -m1 'BUG: KASAN' <<< "$log" | sed 's/^\[[^]]*\] //')"
else
	tap_not_ok "kasan-selftest: KASAN reported the use-after-free in memblock_kasan_uaf_read" "$(head -n 20 <<< "$log")"
fi
