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
