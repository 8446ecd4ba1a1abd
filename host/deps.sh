#!/usr/bin/env bash
# Install what `make run` and `make check` need on a fresh machine.
# Idempotent: each part is skipped when already present, so a second run
# takes a second or two.
#
# usage: deps.sh [trinity]
#   trinity: also Debian's trinity, for make trinity only.
set -euo pipefail

say() { printf '[deps] %s\n' "$*"; }
die() { printf '[deps] ERROR: %s\n' "$*" >&2; exit 1; }

APT_PKGS=(
	linux-source-6.12
	clang lld llvm libclang-dev
	rustc-web rust-web-src rust-web-clippy rustfmt-web
	flex bison bc libelf-dev libssl-dev cpio kmod zstd xz-utils
	ccache make perl procps python3 rsync
	qemu-system-x86 udev util-linux
	python3-matplotlib
)
[ "${1:-}" != trinity ] || APT_PKGS+=(trinity)
BINDGEN_VERSION=0.69.5
VIRTME_NG_VERSION=1.42

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "apt: installing ${missing[*]}"
	$SUDO apt-get update -qq ||
		die "apt-get update failed: check that Debian's package mirror is reachable"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]} (see the apt output above; retry 'make deps')"
else
	say "apt: all ${#APT_PKGS[@]} packages present"
fi

CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
if "$CARGO_BIN/bindgen" --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	say "bindgen-cli $BINDGEN_VERSION present"
else
	command -v cargo >/dev/null || [ -x "$CARGO_BIN/cargo" ] ||
		die "cargo not found: install a Rust toolchain with cargo, then retry 'make deps'"
	say "cargo: building bindgen-cli $BINDGEN_VERSION (about 2 minutes)"
	CARGO=$(command -v cargo || echo "$CARGO_BIN/cargo")
	"$CARGO" install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION" ||
		die "cargo install bindgen-cli failed: is crates.io reachable? retry 'make deps'"
fi

if command -v vng >/dev/null && vng --version 2>/dev/null | grep -q "$VIRTME_NG_VERSION"; then
	say "virtme-ng $VIRTME_NG_VERSION present"
else
	say "pip: installing virtme-ng $VIRTME_NG_VERSION"
	PIP="python3 -m pip"
	$PIP install --quiet --disable-pip-version-check --break-system-packages \
		"virtme-ng==$VIRTME_NG_VERSION" 2>/dev/null ||
		$PIP install --quiet --disable-pip-version-check "virtme-ng==$VIRTME_NG_VERSION" ||
		die "pip install virtme-ng failed: is PyPI reachable? retry 'make deps'"
	command -v vng >/dev/null || die "vng not on PATH after pip install (pip's bin folder: $(python3 -m site --user-base)/bin)"
fi
say "done"
