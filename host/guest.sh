# Sourced by the host scripts: boot the built kernel under virtme-ng.
# shellcheck shell=bash

# The guest's memory: QEMU gives 3 GiB (q35 puts 1 GiB of it above 4 GiB),
# the kernel takes only what lies below 4 GiB (mem=4G), so 0x100000000-
# 0x13fffffff is RAM that blocks memory32-memory39 can probe and online.
GUEST_MEMORY=${GUEST_MEMORY:-3G}
GUEST_APPEND=${GUEST_APPEND:-mem=4G}

# boot_guest TIMEOUT LOG RWDIR -- COMMAND...: boot, run COMMAND as root in
# the guest (over the host's root filesystem, read-only but for RWDIR),
# power off.  The console goes to LOG and, while it runs, to stdout.
boot_guest() {
	local timeout=$1 log=$2 rwdir=$3
	shift 4
	[ -f "$TREE/arch/x86/boot/bzImage" ] || die "no kernel at $TREE/arch/x86/boot/bzImage: run 'make build'"
	(cd "$TREE" && timeout --kill-after=30 "$timeout" \
		vng --disable-kvm --run . --cpus 2 --memory "$GUEST_MEMORY" \
			--append "$GUEST_APPEND" --rwdir "$rwdir" -- "$@") \
		< /dev/null 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}
