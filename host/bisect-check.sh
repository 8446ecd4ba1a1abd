#!/usr/bin/env bash
# make bisect-check: build the kernel at every patch of patches/series
# (each prefix of the series on the pristine tree, the test config), boot
# each build and run the probe smoke test in it.  Reports the first patch
# that does not build or boot.  Slow: patches that touch widely included
# headers rebuild most of the kernel (about 10 minutes each on 2 cores).
#
# The tree is build/linux-bisect, a git worktree of build/linux.
set -uo pipefail
STEP=bisect
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/guest.sh"
MAIN=$TREE
WT=$BUILD/linux-bisect
mapfile -t patches < <(grep -vE '^\s*(#|$)' "$TOP/patches/series")
n=${#patches[@]}
[ "$n" -gt 0 ] || { say "no patches"; exit 0; }

if [ ! -d "$WT" ]; then
	git -C "$MAIN" worktree prune
	git -C "$MAIN" worktree add -q --detach "$WT" pristine || die "cannot create $WT"
fi
(cd "$WT" && git am --abort 2>/dev/null; git checkout -q -f --detach pristine) ||
	die "cannot reset $WT to pristine"
# The overlay folders (new files only: the Rust abstractions, tests) are
# there from the first prefix on; they are compiled only once a patch
# refers to them (the Rust bindings patch declares the Rust modules), which
# is the point.
for d in $OVERLAY_DIRS; do
	[ -d "$TOP/$d" ] || continue
	(cd "$TOP" && find "$d" -type f) | while IFS= read -r f; do
		[ -e "$WT/$f" ] &&
			git -C "$WT" ls-files --error-unmatch "$f" > /dev/null 2>&1 &&
			die "overlay file $f exists in the pristine tree: the overlay must only add files"
		mkdir -p "$WT/$(dirname "$f")"
		cp "$TOP/$f" "$WT/$f"
	done || exit 1
done
first_bad=
for k in $(seq 1 "$n"); do
	p=${patches[$((k - 1))]}
	say "[$k/$n] $p"
	# One patch more each round: files it does not touch keep their mtimes,
	# so make rebuilds only what depends on what it touches.
	if ! (cd "$WT" && git -c user.name=bisect -c user.email=bisect@localhost \
		am -q "$TOP/patches/$p"); then
		(cd "$WT" && git am --abort 2>/dev/null)
		first_bad=${first_bad:-"$p (does not apply)"}
		break
	fi
	cp "$MAIN/.config" "$WT/.config"
	if ! TREE=$WT STEP="bisect $k/$n" kmake -s olddefconfig > /dev/null ||
		! TREE=$WT BUILD_LOG=$BUILD/build-bisect.log STEP="bisect $k/$n" \
			bash "$TOP/host/build.sh"; then
		first_bad=${first_bad:-"$p (does not build)"}
		break
	fi
	out=$BUILD/out/bisect/$k
	rm -rf "$out"
	mkdir -p "$out"
	TREE=$WT boot_guest 600 "$out/console.log" "$out" -- \
		bash -c "'$MAIN/tools/testing/memblock/probe.sh' > '$out/results.tap' 2>&1; touch '$out/finished'" > /dev/null
	if [ -f "$out/finished" ] && ! grep -q '^not ok' "$out/results.tap" &&
		grep -q '^ok' "$out/results.tap"; then
		say "[$k/$n] builds, boots, probe smoke test: $(grep -c '^ok' "$out/results.tap") ok"
	else
		first_bad=${first_bad:-"$p (does not boot or pass the probe smoke test: see $out)"}
		break
	fi
done
if [ -n "$first_bad" ]; then
	say "first bad patch: $first_bad"
	exit 1
fi
say "all $n patches build and boot on their own"
