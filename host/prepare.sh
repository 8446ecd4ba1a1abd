#!/usr/bin/env bash
# Lay out the kernel tree we build: Debian's linux-source-6.12, made a git
# repository whose first commit is the pristine source (tag "pristine"), with
# our patch series and overlay folders applied on top.
#
# Re-running is cheap and exact: the wanted tree is computed in a scratch
# git index (pristine + every patch in patches/series + every overlay file),
# and only files whose content differs are written, so unchanged files keep
# their mtimes and the kernel build stays incremental.  Files we added or
# changed earlier and no longer do are restored to pristine (or deleted).
set -euo pipefail

STEP=prepare
. "$(dirname "$0")/env.sh"
TREE=$BUILD/linux
TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

[ -r "$TARBALL" ] || die "$TARBALL not found: run 'make deps' (Debian package linux-source-6.12)"
mkdir -p "$BUILD"

src_id=$(stat -c '%s %Y' "$TARBALL")
if [ ! -f "$TREE/.pristine-id" ] || [ "$(cat "$TREE/.pristine-id")" != "$src_id" ]; then
	say "extracting $TARBALL into $TREE"
	rm -rf "$TREE" "$BUILD/applied.list"
	mkdir -p "$TREE"
	tar -xJf "$TARBALL" -C "$TREE" --strip-components=1
	say "recording the pristine source as git tag 'pristine' (for git am and diffs)"
	git -C "$TREE" init -q
	git -C "$TREE" config user.name "build"
	git -C "$TREE" config user.email "build@localhost"
	git -C "$TREE" config core.autocrlf false
	git -C "$TREE" add -A -f
	git -C "$TREE" commit -q -m "Linux $(make -s -C "$TREE" kernelversion) (Debian linux-source-6.12)"
	git -C "$TREE" tag pristine
	echo "$src_id" > "$TREE/.pristine-id"
	# Build products and our bookkeeping are not part of the source.
	printf '.pristine-id\n' >> "$TREE/.git/info/exclude"
fi
say "kernel $(make -s -C "$TREE" kernelversion)"

# Compute the wanted tree in a scratch index.
export GIT_DIR=$TREE/.git GIT_WORK_TREE=$TREE
export GIT_INDEX_FILE=$BUILD/apply.index
git read-tree pristine
npatch=0
if [ -f "$TOP/patches/series" ]; then
	while read -r p _; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which does not exist"
		git apply --cached --whitespace=error-all "$TOP/patches/$p" ||
			die "patch $p does not apply on top of the pristine tree and the patches before it"
		npatch=$((npatch + 1))
	done < "$TOP/patches/series"
fi
nover=0
for d in $OVERLAY_DIRS; do
	[ -d "$TOP/$d" ] || continue
	while IFS= read -r -d '' f; do
		rel=${f#"$TOP"/}
		mode=100644
		[ -x "$f" ] && mode=100755
		blob=$(git hash-object -w -- "$f")
		git update-index --add --cacheinfo "$mode,$blob,$rel"
		nover=$((nover + 1))
	done < <(find "$TOP/$d" -type f -print0)
done
want=$(git write-tree)

# Bring the work tree to the wanted tree, touching only what differs.
new_list=$(git diff --name-only --no-renames pristine "$want")
old_list=$(cat "$BUILD/applied.list" 2>/dev/null || true)
written=0
while IFS= read -r path; do
	[ -n "$path" ] || continue
	entry=$(git ls-tree "$want" -- "$path")
	if [ -z "$entry" ]; then
		if [ -e "$TREE/$path" ]; then rm -f "$TREE/$path"; written=$((written + 1)); fi
		continue
	fi
	mode=${entry%% *}
	tmp=$(mktemp "$BUILD/.apply.XXXXXX")
	git cat-file blob "$want:$path" > "$tmp"
	if cmp -s "$tmp" "$TREE/$path"; then
		rm -f "$tmp"
	else
		mkdir -p "$(dirname "$TREE/$path")"
		mv "$tmp" "$TREE/$path"
		written=$((written + 1))
	fi
	if [ "$mode" = 100755 ]; then chmod 755 "$TREE/$path"; else chmod 644 "$TREE/$path"; fi
done <<< "$new_list"
# Paths we changed last time but not this time: back to pristine.
while IFS= read -r path; do
	[ -n "$path" ] || continue
	grep -qxF -- "$path" <<< "$new_list" && continue
	if git cat-file -e "pristine:$path" 2>/dev/null; then
		git cat-file blob "pristine:$path" > "$TREE/$path"
	else
		rm -f "$TREE/$path"
	fi
	written=$((written + 1))
done <<< "$old_list"
printf '%s\n' "$new_list" > "$BUILD/applied.list"
rm -f "$GIT_INDEX_FILE"
say "$npatch patch(es), $nover overlay file(s); $written file(s) written"
