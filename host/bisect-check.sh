#!/usr/bin/env bash
# make bisect-check: build the kernel at every patch of the series as sent
# (host/series.sh: each patch with the overlay files it needs; nothing of
# the overlay is copied in), each prefix twice, with CONFIG_RUST=y and the
# provider option on (the test config, build/linux/.config) and off (the
# config of build/linux-nop), and boot each "on" build to run the probe
# smoke test in it.  Reports the first patch that does not build or boot.
# Slow: patches that touch widely included headers rebuild most of the
# kernel.
#
# The trees are build/linux-bisect (on) and build/linux-bisect-off, git
# worktrees of build/linux; each keeps its config, so that a prefix
# rebuilds only what its patch touches.
set -uo pipefail
STEP=bisect
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/guest.sh"
MAIN=$TREE
SERIES=$BUILD/series
t0=$SECONDS
bash "$TOP/host/series.sh" "$SERIES" || die "host/series.sh failed"
mapfile -t patches < <(cd "$SERIES" && ls -1 *.patch)
n=${#patches[@]}
[ "$n" -gt 0 ] || { say "no patches"; exit 0; }
[ -f "$MAIN/.config" ] || die "no $MAIN/.config: run 'make build'"
[ -f "$BUILD/linux-nop/.config" ] || die "no $BUILD/linux-nop/.config: run 'make build-base'"
grep -q '^CONFIG_RUST=y' "$BUILD/linux-nop/.config" || die "the provider-off config has no CONFIG_RUST=y"

declare -A CONFIG=([on]=$MAIN/.config [off]=$BUILD/linux-nop/.config)
declare -A WT=([on]=$BUILD/linux-bisect [off]=$BUILD/linux-bisect-off)
for v in on off; do
	wt=${WT[$v]}
	if [ ! -d "$wt" ]; then
		git -C "$MAIN" worktree prune
		git -C "$MAIN" worktree add -q --detach "$wt" pristine || die "cannot create $wt"
	fi
	(cd "$wt" && git am --abort 2>/dev/null; git checkout -q -f --detach pristine && git clean -q -f -d -- rust samples Documentation lib) ||
		die "cannot reset $wt to pristine"
done

first_bad=
for k in $(seq 1 "$n"); do
	p=${patches[$((k - 1))]}
	for v in on off; do
		wt=${WT[$v]}
		say "[$k/$n $v] $p"
		# One patch more each round: files it does not touch keep their
		# mtimes, so make rebuilds only what depends on what it touches.
		if ! (cd "$wt" && git -c user.name=bisect -c user.email=bisect@localhost \
			am -q "$SERIES/$p"); then
			(cd "$wt" && git am --abort 2>/dev/null)
			first_bad=${first_bad:-"$p (does not apply)"}
			break 2
		fi
		cp "${CONFIG[$v]}" "$wt/.config"
		s0=$SECONDS
		if ! TREE=$wt STEP="bisect $k/$n $v" kmake -s olddefconfig > /dev/null ||
			! TREE=$wt BUILD_LOG=$BUILD/build-bisect-$v.log STEP="bisect $k/$n $v" \
				bash "$TOP/host/build.sh"; then
			first_bad=${first_bad:-"$p (does not build with the provider $v: see $BUILD/build-bisect-$v.log)"}
			break 2
		fi
		prov=$(grep -c '^CONFIG_MEMORY_BLOCK_PROVIDER=y' "$wt/.config")
		say "[$k/$n $v] builds in $((SECONDS - s0)) s (CONFIG_MEMORY_BLOCK_PROVIDER=y: $prov)"
		[ "$v" = on ] || continue
		out=$BUILD/out/bisect/$k
		rm -rf "$out"
		mkdir -p "$out"
		TREE=$wt boot_guest 600 "$out/console.log" "$out" -- \
			bash -c "'$MAIN/tools/testing/memblock/probe.sh' > '$out/results.tap' 2>&1; touch '$out/finished'" > /dev/null
		if [ -f "$out/finished" ] && ! grep -q '^not ok' "$out/results.tap" &&
			grep -q '^ok' "$out/results.tap"; then
			say "[$k/$n on] boots, probe smoke test: $(grep -c '^ok' "$out/results.tap") ok"
		else
			first_bad=${first_bad:-"$p (does not boot or pass the probe smoke test: see $out)"}
			break 2
		fi
	done
done
say "done in $(( (SECONDS - t0) / 60 ))m$(( (SECONDS - t0) % 60 ))s"
if [ -n "$first_bad" ]; then
	say "first bad patch: $first_bad"
	exit 1
fi
say "all $n patches build with the provider on and off, and boot"
