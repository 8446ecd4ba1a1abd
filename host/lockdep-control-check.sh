#!/usr/bin/env bash
# make lockdep-control (and make check, as host/lockdep-control): the
# second negative control of the lockdep class.
#
# The patch that gives every memory block's device mutex a lockdep class
# (patches/series: "give memory block device locks a lockdep class") is
# applied alone to the pristine tree, whose online takes the device mutex
# and then mem_hotplug_lock (6.12's order), and the kernel is booted: a
# hot-add through "probe" (mem_hotplug_lock, then the new block's device
# mutex in device_add()) followed by an online through "state" (the device
# mutex, then mem_hotplug_lock) must make lockdep report the circular
# dependency of upstream 30467e0b3be8 between mem_hotplug_lock and the
# block's mutex.  The whole series, booted by make check, does the same
# hot-add, online and race and must report nothing.
#
# The tree is build/linux-control, a git worktree of build/linux at the tag
# "pristine", configured as build/linux-base (no Rust; build/base.config)
# and sharing ccache with the other builds.  Prints TAP and "N passed, N failed".
set -uo pipefail
STEP=lockdep-control
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/guest.sh"
MAIN=$TREE
CTL=$BUILD/linux-control
t0=$SECONDS
patch=$(grep -m1 'give-memory-block-device-locks' "$TOP/patches/series") ||
	die "no lockdep class patch in patches/series"
git -C "$MAIN" rev-parse -q --verify pristine > /dev/null || die "no pristine tag in $MAIN: run 'make prepare'"

say "applying $patch alone to the pristine tree in $CTL"
if [ ! -d "$CTL" ]; then
	git -C "$MAIN" worktree prune
	git -C "$MAIN" worktree add -q --detach "$CTL" pristine || die "cannot create $CTL"
fi
# Back to pristine, keeping the mtimes of files the patch does not touch
# (checkout -f only rewrites files that differ), then the patch.
(cd "$CTL" && git am --abort 2>/dev/null; git checkout -q -f --detach pristine) ||
	die "cannot reset $CTL to pristine"
(cd "$CTL" && git -c user.name=control -c user.email=control@localhost am -q "$TOP/patches/$patch") ||
	die "$patch does not apply alone to the pristine tree"

# The pristine kernel's config fragment, which host/base.sh writes (and
# rewrites only when it changes): the same config, so ccache has its objects.
frag=$BUILD/base.config
[ -f "$frag" ] || die "no $frag: run 'make build-base'"
if [ ! -f "$CTL/.config" ] || [ "$frag" -nt "$CTL/.config" ]; then
	TREE=$CTL FRAG=$frag STEP=control-config bash "$TOP/host/config.sh" || die "configuring $CTL failed"
fi
TREE=$CTL BUILD_LOG=$BUILD/build-control.log STEP=control-build bash "$TOP/host/build.sh" ||
	die "building $CTL failed: see $BUILD/build-control.log"

out=$BUILD/out/lockdep-control
rm -rf "$out"
mkdir -p "$out"
say "booting it: probe 0x100000000, then online memory32 through state"
TREE=$CTL boot_guest 600 "$out/console.log" "$out" -- \
	bash "$TOP/tools/testing/memblock/lockdep-control.sh" "$out" > /dev/null
cat "$out/results.tap" 2>/dev/null || echo "not ok - lockdep-control: the guest gave no result (see $out/console.log)"
passed=$(grep -c '^ok' "$out/results.tap" 2>/dev/null)
failed=$(grep -c '^not ok' "$out/results.tap" 2>/dev/null)
[ -f "$out/results.tap" ] || failed=1
say "done in $(( (SECONDS - t0) / 60 ))m$(( (SECONDS - t0) % 60 ))s"
echo "${passed:-0} passed, ${failed:-0} failed"
[ "${failed:-0}" = 0 ] && [ "${passed:-0}" -gt 0 ]
