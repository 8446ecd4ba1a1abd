#!/usr/bin/env bash
# Host-side checks of the Rust code, printed as TAP lines for host/check.sh:
#  - make rustfmtcheck, make CLIPPY=1 and make rustdoc on the kernel tree
#    (the kernel crate with rust/kernel/memory* and rust/kernel/sysfs.rs):
#    no warning, no error;
#  - the test modules of tools/testing/memblock/rust build out of tree
#    (clippy clean): memblock_rust_test.ko (the functional test and the
#    control of the compile-fail cases), memblock_lock_inversion.ko,
#    memblock_rust_leak.ko and memblock_rust_init_fails.ko, and the C test
#    helper memblock_unprobe.ko (the fuzz boot's restore);
#  - every compile-fail case builds as it is (its control, the locks in the
#    right order) and fails to build with --cfg wrong, with exactly the
#    errors its "// expect:" lines name and no other.
# The modules land in $BUILD/rust-ext/modules for the guest tests.
set -uo pipefail
STEP=rust
. "$(dirname "$0")/env.sh"

# Warnings and errors of a kbuild log, with the lines that locate them.
diagnostics() { grep -E -A4 '^(warning|error)(\[|:)' "$1" | head -40; }

EXT=$BUILD/rust-ext
SRC=$TOP/tools/testing/memblock/rust
rm -rf "$EXT"
mkdir -p "$EXT"

say "make rustfmtcheck"
if kmake rustfmtcheck > "$EXT/rustfmt.log" 2>&1; then
	tap_ok "rust: make rustfmtcheck is clean"
else
	tap_not_ok "rust: make rustfmtcheck is clean" "$(head -30 "$EXT/rustfmt.log")"
fi

# clippy-driver compiles what it checks: the objects it leaves are the same
# code, and the next plain build rebuilds them (kbuild sees the command change).
say "make CLIPPY=1 (the Rust code of the kernel)"
if kmake CLIPPY=1 > "$EXT/clippy.log" 2>&1 && ! grep -qE '^(warning|error)(\[|:)' "$EXT/clippy.log"; then
	tap_ok "rust: make CLIPPY=1 builds with no warning"
else
	tap_not_ok "rust: make CLIPPY=1 builds with no warning" "$(diagnostics "$EXT/clippy.log")"
fi

say "make rustdoc"
if kmake rustdoc > "$EXT/rustdoc.log" 2>&1 && ! grep -qE '^(warning|error)(\[|:)' "$EXT/rustdoc.log"; then
	tap_ok "rust: make rustdoc builds with no warning (no broken intra-doc link)"
else
	tap_not_ok "rust: make rustdoc builds with no warning (no broken intra-doc link)" \
		"$(diagnostics "$EXT/rustdoc.log")"
fi
# Nothing below builds in $TREE itself (the modules are built out of
# tree): host/check.sh may boot it from here on.
touch "$EXT/tree-done"

say "the test modules (out of tree, clippy)"
mkdir -p "$EXT/modules"
cp "$SRC"/*.rs "$SRC"/*.c "$SRC/Kbuild" "$EXT/modules/"
if kmake M="$EXT/modules" CLIPPY=1 modules > "$EXT/modules.log" 2>&1 &&
	! grep -qE '^(warning|error)(\[|:)' "$EXT/modules.log"; then
	tap_ok "rust: test modules build with no clippy warning ($(cd "$EXT/modules" && echo *.ko))"
else
	tap_not_ok "rust: test modules build with no clippy warning" "$(diagnostics "$EXT/modules.log")"
fi

# build_case NAME DIR [--cfg wrong]: build one case as compile_fail_case.ko
# (the case's file with the module around it, compile-fail/module.rs).
build_case() {
	local name=$1 dir=$2 flags=${3:-}
	mkdir -p "$dir"
	cp "$SRC/compile-fail/$name.rs" "$dir/compile_fail_case.rs"
	cp "$SRC/compile-fail/module.rs" "$dir/"
	{
		echo "obj-m := compile_fail_case.o"
		[ -n "$flags" ] && echo "RUSTFLAGS_compile_fail_case.o := $flags"
	} > "$dir/Kbuild"
	kmake M="$dir" modules > "$dir/build.log" 2>&1
}

for src in "$SRC"/compile-fail/*.rs; do
	[ "$(basename "$src")" != module.rs ] || continue
	name=$(basename "$src" .rs)
	# The case's description: its first doc paragraph, on one line.
	what=$(awk '/^\/\/! Must not compile/ { on = 1 } on && /^\/\/!$/ { exit }
		on { sub(/^\/\/! ?/, ""); printf "%s%s", sep, $0; sep = " " }' "$src" |
		sed 's|^Must not compile with `--cfg wrong`: ||')
	say "compile-fail case $name"
	if build_case "$name" "$EXT/cf/$name/control"; then
		tap_ok "compile-fail control $name: builds without --cfg wrong"
	else
		tap_not_ok "compile-fail control $name: builds without --cfg wrong" \
			"$(diagnostics "$EXT/cf/$name/control/build.log")"
	fi
	dir=$EXT/cf/$name/wrong
	mapfile -t expects < <(sed -n 's|^// expect: ||p' "$src")
	label="compile-fail $name: $what"
	if build_case "$name" "$dir" "--cfg wrong"; then
		tap_not_ok "$label" "it built"
		continue
	fi
	missing=()
	for e in "${expects[@]}"; do
		grep -qF -- "$e" "$dir/build.log" || missing+=("$e")
	done
	# Exactly the expected error codes, nothing else.
	want=$(printf '%s\n' "${expects[@]}" | grep -oE '^error\[E[0-9]+\]' | sort -u)
	got=$(grep -oE '^error\[E[0-9]+\]' "$dir/build.log" | sort -u)
	if [ ${#expects[@]} -gt 0 ] && [ ${#missing[@]} = 0 ] && [ "$want" = "$got" ]; then
		tap_ok "$label (${got:+$(echo $got)}${got:-an error without a code})"
	else
		tap_not_ok "$label" "expected: ${expects[*]}" "missing: ${missing[*]:-none}" \
			"error codes: $(echo $got)" "$(diagnostics "$dir/build.log")"
	fi
done
