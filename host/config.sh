#!/usr/bin/env bash
# Write the kernel .config: allnoconfig + configs/guest.config, then check
# that Kconfig kept every symbol of the fragment.
set -euo pipefail
STEP=${STEP:-config}
. "$(dirname "$0")/env.sh"
FRAG=${FRAG:-$TOP/configs/guest.config}

say "allnoconfig + $(basename "$FRAG")"
kmake -s allnoconfig >/dev/null
"$TREE/scripts/kconfig/merge_config.sh" -m -O "$TREE" "$TREE/.config" "$FRAG" >/dev/null
kmake -s olddefconfig >/dev/null

lost=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line ;;
	'# CONFIG_'*' is not set') want=$line ;;
	*) continue ;;
	esac
	if ! grep -qxF -- "$want" "$TREE/.config"; then
		sym=${want#\# }; sym=${sym%%[= ]*}
		have=$(grep -E "^(# )?$sym[= ]" "$TREE/.config" || echo "$sym absent")
		printf '[config] ERROR: wanted "%s", Kconfig gave "%s"\n' "$want" "$have" >&2
		lost=$((lost + 1))
	fi
done < "$FRAG"
[ "$lost" = 0 ] || die "$lost symbol(s) of $(basename "$FRAG") were dropped by Kconfig: fix their dependencies in the fragment (see 'make -C build/linux menuconfig', search with /)"
say "all $(grep -c '^CONFIG_' "$FRAG") symbols of the fragment are set"
