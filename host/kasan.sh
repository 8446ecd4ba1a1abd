#!/usr/bin/env bash
# make kasan: the suite (make check's suite boot, its Rust tests among the
# rest: they need the state its earlier tests leave) on a kernel with
# KASAN, then KASAN's self-test (a use-after-free in a module, which it
# must report), one boot.  Generic
# KASAN: 6.12's Rust support excludes the software tag mode; it runs under
# TCG.  The kernel has its own tree, build/linux-kasan (a git worktree
# patched as build/linux, built with the same fragment plus KASAN; every
# object differs, so its first build is a whole one).
set -uo pipefail
STEP=kasan
. "$(dirname "$0")/plan.sh"
MAIN=$TREE
K=$BUILD/linux-kasan
OUT=$BUILD/out-kasan
RUST_MODULES=$BUILD/kasan-modules
rm -rf "$OUT"
mkdir -p "$OUT"
patched_worktree "$K" kasan
configure_tree "$K" kasan '^$' CONFIG_KASAN=y CONFIG_KASAN_GENERIC=y CONFIG_KASAN_INLINE=y
TREE=$K BUILD_LOG=$BUILD/build-kasan.log STEP=kasan-build bash "$TOP/host/build.sh" ||
	die "the KASAN kernel did not build: see $BUILD/build-kasan.log"

TREE=$K test_modules "$RUST_MODULES"
if [ ! -x "$KSFT/memory-hotplug/mem-on-off-test.sh" ]; then
	say "installing tools/testing/selftests (memory-hotplug) into $KSFT"
	make -s -C "$MAIN/tools/testing/selftests" TARGETS=memory-hotplug \
		INSTALL_PATH="$KSFT" install > "$OUT/kselftest-install.log" 2>&1 ||
		die "kselftest install failed: see $OUT/kselftest-install.log"
fi
say "booting the KASAN kernel (the tests' times against make check's suite boot are its cost)"
TREE=$K run_plan kasan 7200 ""
count_results "$LIST" kasan/
totals
