# Sourced by the host scripts: boot the built kernel under virtme-ng.
# shellcheck shell=bash

# The guest's memory layout.  QEMU gives 3 GiB over two NUMA nodes of
# 1536 MiB (node0: 0-0x5fffffff; node1: 0x60000000-0x7fffffff plus, as q35
# maps RAM past 2 GiB above 4 GiB, 0x100000000-0x13fffffff).  The kernel
# takes only what lies below 4 GiB (mem=4G), so memory32-memory39 are RAM
# that "probe" can add and online.  Four DIMM slots and 8 GiB of maxmem make
# room for ACPI DIMM hot-add, and a virtio-mem device (1 GiB, on node1,
# requested-size 0) waits for QMP to ask it to plug memory.  One CPU per
# socket: two cores of one socket on two nodes make the scheduler WARN
# ("llc-sibling ... is not on the same node").  9p, not virtio-fs: vng
# tries virtiofsd first and, where it fails to start (as Debian's does
# here: "fuse: invalid argument"), waits 3.1 s for each of the two shares
# before it falls back to 9p.
GUEST_VNG_OPTS=(--cpus 2,sockets=2,cores=1,threads=1 --memory 3072,slots=4,maxmem=8192
	--numa 1536M,cpus=0 --numa 1536M,cpus=1 --force-9p)
#
# The command line: mem=4G (above); SLUB debugging on every cache
# (slub_debug=FZP: sanity and free-pointer checks, red zones, poisoning;
# not owner tracking, U, which stores a stack trace at every allocation and
# free and cost the most under TCG; KFENCE is on by its config and its
# reports have both traces); loglevel=5 puts warnings and
# worse on the console, which vng shows (--verbose) and
# host/check.sh reads for what happens after the tests, up to the power-off.
GUEST_APPEND=${GUEST_APPEND:-mem=4G slub_debug=FZP loglevel=5}
GUEST_QEMU_OPTS="-object memory-backend-ram,id=vmem0,size=1G"
GUEST_QEMU_OPTS+=" -device virtio-mem-pci,id=vm0,memdev=vmem0,node=1,requested-size=0"

# boot_guest TIMEOUT LOG RWDIR -- COMMAND...: boot, run COMMAND as root in
# the guest (over the host's root filesystem, read-only but for RWDIR),
# power off.  The console goes to LOG and, while it runs, to stdout.
# host/qmp-relay.py serves the guest's QMP requests (RWDIR/qmp) meanwhile.
boot_guest() {
	local timeout=$1 log=$2 rwdir=$3 sockdir rc
	shift 4
	[ -f "$TREE/arch/x86/boot/bzImage" ] || die "no kernel at $TREE/arch/x86/boot/bzImage: run 'make build'"
	sockdir=$(mktemp -d /tmp/memblock-qmp.XXXXXX)
	mkdir -p "$rwdir/qmp"
	python3 "$TOP/host/qmp-relay.py" "$sockdir/qmp.sock" "$rwdir/qmp" \
		--timeout "$timeout" 2> "${log%.log}-qmp.log" &
	local relay=$!
	(cd "$TREE" && timeout --kill-after=30 "$timeout" \
		vng --disable-kvm --verbose --run . "${GUEST_VNG_OPTS[@]}" \
			--append "$GUEST_APPEND" --rwdir "$rwdir" \
			--qemu-opts="$GUEST_QEMU_OPTS -qmp unix:$sockdir/qmp.sock,server=on,wait=off" \
			-- "$@") < /dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	kill "$relay" 2>/dev/null
	wait "$relay" 2>/dev/null
	rm -rf "$sockdir"
	return "$rc"
}
