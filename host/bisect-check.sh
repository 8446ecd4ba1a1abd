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
# rebuilds only what its patch touches.  Before the patch that adds the
# provider option, "off" is the same configuration as "on" and is not
# built twice.
#
# A run resumes after the last patch whose result is on record: a prefix
# whose patches (by git patch-id) are those a previous run built, booted
# and recorded in build/bisect-out/K/ok-on|off (outside build/out, which
# make check empties) is not built again, so that
# editing the last patches rebuilds only from there.  BISECT_FRESH=1
# starts from pristine.
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
# The patch-id of each patch, and of each prefix (its patches' ids).
declare -a PATCH_ID=() PREFIX_ID=()
acc=
for k in $(seq 1 "$n"); do
	PATCH_ID[$k]=$(git patch-id --stable < "$SERIES/${patches[$((k - 1))]}" | cut -d' ' -f1)
	acc=$(printf '%s %s' "$acc" "${PATCH_ID[$k]}" | sha1sum | cut -d' ' -f1)
	PREFIX_ID[$k]=$acc
done
# The first done_k prefixes are on record, for both variants.
done_k=0
if [ "${BISECT_FRESH:-0}" != 1 ]; then
	for k in $(seq 1 "$n"); do
		[ "$(cat "$BUILD/bisect-out/$k/ok-on" 2>/dev/null)" = "${PREFIX_ID[$k]}" ] &&
			[ "$(cat "$BUILD/bisect-out/$k/ok-off" 2>/dev/null)" = "${PREFIX_ID[$k]}" ] || break
		done_k=$k
	done
fi

# The commit of a worktree that has exactly the first $2 patches applied,
# or nothing.
applied_base() {
	local wt=$1 k=$2 i c
	local -a commits
	mapfile -t commits < <(git -C "$wt" rev-list --reverse pristine..HEAD 2>/dev/null)
	[ "${#commits[@]}" -ge "$k" ] || return 0
	for i in $(seq 1 "$k"); do
		c=${commits[$((i - 1))]}
		[ "$(git -C "$wt" show "$c" | git patch-id --stable | cut -d' ' -f1)" = "${PATCH_ID[$i]}" ] || return 0
	done
	echo "$c"
}

for v in on off; do
	wt=${WT[$v]}
	if [ ! -d "$wt" ]; then
		git -C "$MAIN" worktree prune
		git -C "$MAIN" worktree add -q --detach "$wt" pristine || die "cannot create $wt"
	fi
	(cd "$wt" && git am --abort 2>/dev/null)
	base=pristine
	if [ "$done_k" -gt 0 ]; then
		base=$(applied_base "$wt" "$done_k")
		[ -n "$base" ] || { done_k=0; base=pristine; }
	fi
	(cd "$wt" && git checkout -q -f --detach "$base" && git clean -q -f -d -- rust samples Documentation lib) ||
		die "cannot reset $wt to $base"
done
# "on" may have reset done_k after "off" was kept: start both from there.
if [ "$done_k" -eq 0 ]; then
	for v in on off; do
		(cd "${WT[$v]}" && git checkout -q -f --detach pristine && git clean -q -f -d -- rust samples Documentation lib) ||
			die "cannot reset ${WT[$v]} to pristine"
	done
fi
[ "$done_k" -eq 0 ] || say "patches 1-$done_k: as built, booted and recorded by an earlier run (build/bisect-out/1-$done_k); resuming at $((done_k + 1))"

first_bad=
for k in $(seq $((done_k + 1)) "$n"); do
	p=${patches[$((k - 1))]}
	out=$BUILD/bisect-out/$k
	rm -rf "$out"
	mkdir -p "$out"
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
		# Until the provider option exists, "off" is the "on" configuration.
		if [ "$v" = off ] && ! grep -q '^config MEMORY_BLOCK_PROVIDER$' "$wt/mm/Kconfig"; then
			say "[$k/$n off] no provider option yet: same configuration as on, not built twice"
			echo "${PREFIX_ID[$k]}" > "$out/ok-off"
			continue
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
		if [ "$v" = off ]; then
			echo "${PREFIX_ID[$k]}" > "$out/ok-off"
			continue
		fi
		TREE=$wt boot_guest 600 "$out/console.log" "$out" -- \
			bash -c "'$MAIN/tools/testing/memblock/probe.sh' > '$out/results.tap' 2>&1; touch '$out/finished'" > /dev/null
		if [ -f "$out/finished" ] && ! grep -q '^not ok' "$out/results.tap" &&
			grep -q '^ok' "$out/results.tap"; then
			say "[$k/$n on] boots, probe smoke test: $(grep -c '^ok' "$out/results.tap") ok"
			echo "${PREFIX_ID[$k]}" > "$out/ok-on"
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
say "all $n patches build (with the provider option on and off once it exists) and boot"
