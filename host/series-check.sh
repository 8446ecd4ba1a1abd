#!/usr/bin/env bash
# Checks of the patch series (patches/), printed as TAP lines for
# host/check.sh: it applies with git am onto the pristine tree with the
# overlay's kernel files added to the patches that need them
# (host/series.sh), and scripts/checkpatch.pl --strict finds nothing in
# any patch of that series as sent.
#
# checkpatch runs with --ignore UNKNOWN_COMMIT_ID: our tree is Debian's
# source without upstream history, so every upstream commit a message
# cites (30467e0b3be8 ...) is unknown to it.
set -uo pipefail
STEP=series
. "$(dirname "$0")/env.sh"


if [ ! -r "$TOP/patches/series" ]; then
	tap_not_ok "series: patches/series is readable" "$TOP/patches/series is missing"
	exit 1
fi
mapfile -t patches < <(grep -vE '^\s*(#|$)' "$TOP/patches/series")
if [ ${#patches[@]} = 0 ]; then
	tap_ok "series: no patches"
	exit 0
fi

# host/series.sh applies every patch with git am onto the pristine tree and
# adds to each the overlay files patches/overlay gives it: the series as
# sent, which checkpatch reads.
name="series: all ${#patches[@]} patches apply with git am onto the pristine tree, each with the overlay files it needs (host/series.sh)"
if out=$(bash "$TOP/host/series.sh" "$BUILD/series" 2>&1); then
	tap_ok "$name"
else
	tap_not_ok "$name" "$out"
	exit 1
fi

for p in "${patches[@]}"; do
	out=$("$TREE/scripts/checkpatch.pl" --strict --no-tree --ignore UNKNOWN_COMMIT_ID \
		"$BUILD/series/$p" 2>&1)
	if grep -q '^total: 0 errors, 0 warnings, 0 checks' <<< "$out"; then
		tap_ok "checkpatch --strict: $p"
	else
		tap_not_ok "checkpatch --strict: $p" "$(grep -E '^(ERROR|WARNING|CHECK|total|#)' <<< "$out" | head -20)"
	fi
done
