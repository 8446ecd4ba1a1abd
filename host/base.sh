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

# configure TREE NAME PATTERN: the fragment less the lines matching PATTERN,
# written to build/NAME.config; the tree is configured again when it changed.
configure() {
	local frag=$BUILD/$2.config
	grep -vE "$3" "$TOP/configs/guest.config" > "$frag.new"
	if ! cmp -s "$frag.new" "$frag" || [ ! -f "$1/.config" ]; then
		mv "$frag.new" "$frag"
		TREE=$1 FRAG=$frag STEP=$2-config bash "$TOP/host/config.sh"
	else
		rm -f "$frag.new"
	fi
}

# The pristine kernel is booted for its memory sysfs dump only: it is built
# without Rust (which adds nothing under /sys/devices/system/memory), which
# saves the half minute its Rust crates take to compile (ccache does not
# cache rustc).
configure "$BASE" base 'MEMORY_BLOCK_PROVIDER|SAMPLE_RUST_MEMORY_BLOCK|^CONFIG_RUST=|^CONFIG_SAMPLES_RUST=|^CONFIG_RUST_KERNEL_DOCTESTS='
TREE=$BASE BUILD_LOG=$BUILD/build-base.log STEP=base-build bash "$TOP/host/build.sh"

# The patched tree without the provider: build/linux's patched and overlay
# files (build/applied.list), copied when they differ, and the files it
# changed before and no longer does put back to pristine.
NOP=$BUILD/linux-nop
if [ "$(git -C "$NOP" rev-parse HEAD 2>/dev/null)" != "$want" ]; then
	say "creating $NOP (git worktree of the pristine source, patched from $MAIN)"
	rm -rf "$NOP" "$BUILD/applied-nop.list"
	git -C "$MAIN" worktree prune
	git -C "$MAIN" worktree add -q --detach "$NOP" pristine
fi
written=0
while IFS= read -r path; do
	[ -n "$path" ] || continue
	if [ -e "$MAIN/$path" ]; then
		if ! cmp -s "$MAIN/$path" "$NOP/$path"; then
			mkdir -p "$(dirname "$NOP/$path")"
			cp -p "$MAIN/$path" "$NOP/$path"
			written=$((written + 1))
		fi
	elif [ -e "$NOP/$path" ]; then
		rm -f "$NOP/$path"
		written=$((written + 1))
	fi
done < "$BUILD/applied.list"
while IFS= read -r path; do
	[ -n "$path" ] || continue
	grep -qxF -- "$path" "$BUILD/applied.list" && continue
	if git -C "$NOP" cat-file -e "pristine:$path" 2>/dev/null; then
		git -C "$NOP" cat-file blob "pristine:$path" > "$NOP/$path"
	else
		rm -f "$NOP/$path"
	fi
	written=$((written + 1))
done < <(cat "$BUILD/applied-nop.list" 2>/dev/null)
cp "$BUILD/applied.list" "$BUILD/applied-nop.list"
say "$NOP: $written file(s) written"

configure "$NOP" nop '^CONFIG_((TEST_)?MEMORY_BLOCK_PROVIDER|SAMPLE_RUST_MEMORY_BLOCK)='
# MEMORY_BLOCK_PROVIDER defaults to n and nothing selects it (the test
# module and the Rust driver depend on it): left out of the fragment, off.
if grep -q '^CONFIG_MEMORY_BLOCK_PROVIDER=' "$NOP/.config"; then
	die "$NOP/.config has CONFIG_MEMORY_BLOCK_PROVIDER: something in build/nop.config turns it on"
fi
TREE=$NOP BUILD_LOG=$BUILD/build-nop.log STEP=nop-build bash "$TOP/host/build.sh"
