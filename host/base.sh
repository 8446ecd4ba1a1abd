#!/usr/bin/env bash
# The baseline kernel: the pristine source, without our patch series, with
# the same config fragment less the symbols the series adds.  make check
# boots it once to take the sysfs dump the patched kernel must match.
#
# It lives in build/linux-base, a git worktree of build/linux at tag
# "pristine", and shares ccache with the main build.
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

frag=$BUILD/base.config
grep -v 'MEMORY_BLOCK_PROVIDER' "$TOP/configs/guest.config" > "$frag.new"
if ! cmp -s "$frag.new" "$frag" || [ ! -f "$BASE/.config" ]; then
	mv "$frag.new" "$frag"
	TREE=$BASE FRAG=$frag STEP=base-config bash "$TOP/host/config.sh"
else
	rm -f "$frag.new"
fi
TREE=$BASE BUILD_LOG=$BUILD/build-base.log STEP=base-build bash "$TOP/host/build.sh"
