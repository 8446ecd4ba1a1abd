#!/usr/bin/env bash
# The baseline kernels, each booted once by make check for its sysfs dump:
#  - build/linux-base: the pristine source, without our patch series, with
#    the same config fragment less the symbols the series adds; the patched
#    kernel's dump must match it;
#  - build/linux-nop: the patched source (series and overlay, as
#    build/linux has them) with CONFIG_MEMORY_BLOCK_PROVIDER off (and what
#    selects it): it must build, and its dump must match the pristine one.
# Both are git worktrees of build/linux at tag "pristine" and share ccache
# with the main build: the headers do not depend on the provider option, so
# the second one recompiles little.
set -euo pipefail
STEP=base
. "$(dirname "$0")/env.sh"
MAIN=$TREE
BASE=$BUILD/linux-base
want=$(git -C "$MAIN" rev-parse pristine)

if [ "$(git -C "$BASE" rev-parse HEAD 2>/dev/null)" != "$want" ]; then
	say "creating $BASE (git worktree of the pristine source)"
	rm -rf "$BASE"
	git -C "$MAIN" worktree prune
	git -C "$MAIN" worktree add -q --detach "$BASE" pristine
fi

# The pristine kernel is booted for its memory sysfs dump only: it is built
# without Rust (which adds nothing under /sys/devices/system/memory), which
# saves the half minute its Rust crates take to compile (ccache does not
# cache rustc).
configure_tree "$BASE" base 'MEMORY_BLOCK_PROVIDER|SAMPLE_RUST_MEMORY_BLOCK|^CONFIG_RUST=|^CONFIG_SAMPLES_RUST=|^CONFIG_RUST_KERNEL_DOCTESTS='
TREE=$BASE BUILD_LOG=$BUILD/build-base.log STEP=base-build bash "$TOP/host/build.sh"

# The patched tree without the provider.
NOP=$BUILD/linux-nop
patched_worktree "$NOP" nop

configure_tree "$NOP" nop '^CONFIG_((TEST_)?MEMORY_BLOCK_PROVIDER|SAMPLE_RUST_MEMORY_BLOCK)='
# MEMORY_BLOCK_PROVIDER defaults to n and nothing selects it (the test
# module and the Rust driver depend on it): left out of the fragment, off.
if grep -q '^CONFIG_MEMORY_BLOCK_PROVIDER=' "$NOP/.config"; then
	die "$NOP/.config has CONFIG_MEMORY_BLOCK_PROVIDER: something in build/nop.config turns it on"
fi
TREE=$NOP BUILD_LOG=$BUILD/build-nop.log STEP=nop-build bash "$TOP/host/build.sh"
