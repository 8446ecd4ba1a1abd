# Sourced by the host scripts: where things are and how the kernel is built.
# shellcheck shell=bash
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TREE=${TREE:-$BUILD/linux}
OUT=$BUILD/out
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
JOBS=${JOBS:-$(nproc)}

# Debian's Rust 1.96 (rustc-web) matches the rust-src the kernel needs;
# rustup's rustc earlier on PATH does not, so every Rust tool is named
# explicitly.  The compilers go through ccache; its base directory makes
# hits independent of where the clone lives.
export CCACHE_BASEDIR=$BUILD
export PATH=/usr/bin:$PATH
KMAKE_VARS=(
	LLVM=1
	"CC=ccache clang"
	RUSTC=/usr/bin/rustc
	RUSTDOC=/usr/bin/rustdoc
	HOSTRUSTC=/usr/bin/rustc
	CLIPPY_DRIVER=/usr/bin/clippy-driver
	RUSTFMT=/usr/bin/rustfmt
	BINDGEN="$CARGO_BIN/bindgen"
)

kmake() {
	make -C "$TREE" "${KMAKE_VARS[@]}" -j"$JOBS" "$@"
}

# The folders of this repository that are copied into the kernel tree as
# they are (new files only; changes to existing files are patches).
OVERLAY_DIRS="rust samples Documentation tools/testing"

say() { printf '[%s] %s\n' "${STEP:-host}" "$*"; }
die() { printf '[%s] ERROR: %s\n' "${STEP:-host}" "$*" >&2; exit 1; }

# TAP result lines of the host-side checks, for host/check.sh to number.
tap_ok() { echo "ok - $*"; }
tap_not_ok() { echo "not ok - $1"; shift; printf '%s\n' "$@" | sed 's/^/# /'; }

# patched_worktree DIR NAME: DIR, a git worktree of build/linux at tag
# "pristine", patched as build/linux is: its patched and overlay files
# (build/applied.list) copied when they differ, and the files it changed
# before and no longer does put back to pristine (build/applied-NAME.list
# is what DIR had last time).
patched_worktree() {
	local dir=$1 name=$2 want written=0 path
	want=$(git -C "$TREE" rev-parse pristine)
	if [ "$(git -C "$dir" rev-parse HEAD 2>/dev/null)" != "$want" ]; then
		say "creating $dir (git worktree of the pristine source, patched from $TREE)"
		rm -rf "$dir" "$BUILD/applied-$name.list"
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$dir" pristine
	fi
	while IFS= read -r path; do
		[ -n "$path" ] || continue
		if [ -e "$TREE/$path" ]; then
			if ! cmp -s "$TREE/$path" "$dir/$path"; then
				mkdir -p "$(dirname "$dir/$path")"
				cp -p "$TREE/$path" "$dir/$path"
				written=$((written + 1))
			fi
		elif [ -e "$dir/$path" ]; then
			rm -f "$dir/$path"
			written=$((written + 1))
		fi
	done < "$BUILD/applied.list"
	while IFS= read -r path; do
		[ -n "$path" ] || continue
		grep -qxF -- "$path" "$BUILD/applied.list" && continue
		if git -C "$dir" cat-file -e "pristine:$path" 2>/dev/null; then
			git -C "$dir" cat-file blob "pristine:$path" > "$dir/$path"
		else
			rm -f "$dir/$path"
		fi
		written=$((written + 1))
	done < <(cat "$BUILD/applied-$name.list" 2>/dev/null)
	cp "$BUILD/applied.list" "$BUILD/applied-$name.list"
	say "$dir: $written file(s) written"
}

# configure_tree DIR NAME PATTERN [LINE...]: DIR configured with the
# fragment less the lines matching PATTERN, plus LINEs, written to
# build/NAME.config; configured again when that changed.
configure_tree() {
	local dir=$1 name=$2 frag=$BUILD/$2.config pattern=$3
	shift 3
	{ grep -vE "$pattern" "$TOP/configs/guest.config"; [ $# = 0 ] || printf '%s\n' "$@"; } > "$frag.new"
	if ! cmp -s "$frag.new" "$frag" || [ ! -f "$dir/.config" ]; then
		mv "$frag.new" "$frag"
		TREE=$dir FRAG=$frag STEP=$name-config bash "$TOP/host/config.sh"
	else
		rm -f "$frag.new"
	fi
}
