#!/usr/bin/env bash
# host/series.sh [OUT_DIR]: the patch series as sent upstream, in OUT_DIR
# (default build/series/): each patch of patches/series, with the overlay
# files that patches/overlay gives it added, so that each patch carries
# every file it needs (a "pub mod" and its .rs file, a Makefile rule and
# its source, a toctree entry and its page).  Fails if a kernel file of
# the overlay folders is in no patch, or named twice.
set -euo pipefail
STEP=series
. "$(dirname "$0")/env.sh"
OUT=${1:-$BUILD/series}
MAP=$TOP/patches/overlay
git -C "$TREE" rev-parse -q --verify pristine > /dev/null || die "no pristine tag in $TREE: run 'make prepare'"
mapfile -t patches < <(grep -vE '^\s*(#|$)' "$TOP/patches/series")

declare -A owner=()
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	p=${line%%:*}
	printf '%s\n' "${patches[@]}" | grep -qxF -- "$p" ||
		die "patches/overlay names $p, which is not in patches/series"
	for f in ${line#*:}; do
		[ -f "$TOP/$f" ] || die "patches/overlay names $f, which does not exist"
		[ -z "${owner[$f]:-}" ] || die "patches/overlay gives $f to two patches"
		owner[$f]=$p
	done
done < "$MAP"
# Every kernel file of the overlay (tools/testing/ is ours) is in a patch.
while IFS= read -r f; do
	[ -n "${owner[$f]:-}" ] || die "$f is in no patch: add it to patches/overlay"
done < <(cd "$TOP" && find rust samples Documentation -type f 2>/dev/null | sort)

wt=$(mktemp -d "$BUILD/series.XXXXXX")
rmdir "$wt"
trap 'git -C "$TREE" worktree remove --force "$wt" 2>/dev/null' EXIT
git -C "$TREE" worktree add -q --detach "$wt" pristine
for p in "${patches[@]}"; do
	(cd "$wt" && git -c user.name=series -c user.email=series@localhost am -q "$TOP/patches/$p") ||
		die "$p does not apply"
	added=0
	for f in "${!owner[@]}"; do
		[ "${owner[$f]}" = "$p" ] || continue
		if git -C "$wt" cat-file -e "HEAD:$f" 2>/dev/null; then
			die "$f exists before $p adds it (in the pristine tree or an earlier patch)"
		fi
		mkdir -p "$wt/$(dirname "$f")"
		cp "$TOP/$f" "$wt/$f"
		git -C "$wt" add -f -- "$f"
		added=$((added + 1))
	done
	[ "$added" = 0 ] || git -C "$wt" -c user.name=series -c user.email=series@localhost \
		commit -q --amend --no-edit
done
rm -rf "$OUT"
mkdir -p "$OUT"
git -C "$wt" format-patch -q --no-signature -o "$OUT" pristine..HEAD
say "${#patches[@]} patches in $OUT (overlay files added: ${#owner[@]})"
