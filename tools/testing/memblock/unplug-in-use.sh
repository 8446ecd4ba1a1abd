#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Memory hot-remove while the removed blocks' files are in use.  virtio-mem
# (or, with UNPLUG_SOURCE=dimm, an ACPI pc-dimm) plugs 256 MiB with
# auto_online_blocks offline; each new block is onlined
# through state, offlined through online and onlined again through state.
# Then, while virtio-mem unplugs them (offline_and_remove_memory() from its
# workqueue; the ACPI eject: acpi_device_hotplug() offlines them, then
# __remove_memory(); device_hotplug_lock held throughout), a writer keeps writing
# 1 to each block's online file and a reader keeps reading its state and
# valid_zones.  A write to online that finds device_hotplug_lock taken
# sleeps 5 ms in the callback before it restarts (lock_device_hotplug_sysfs()),
# so the removal of the file finds a write in flight and waits for it
# (kernfs_drain()), which lockdep records as a dependency of the lock the
# removal holds on the file.  An earlier write to online took
# mem_hotplug_lock after the trylock of device_hotplug_lock: lockdep has
# the file -> mem_hotplug_lock dependency, so a removal under
# mem_hotplug_lock (6.8's 6b8f0798b85a) closes a cycle, and lockdep
# reports it (the harness's splat scan of this test fails).  The series'
# first patch removes the devices before taking the lock.  The ACPI DIMM
# in the boot with memmap_on_memory=force takes the patch's other branch
# (each block with its own altmap).
#
# Results: each cycle plugged, onlined, offlined and onlined, unplugged;
# the writers and readers got no errno but ENODEV (a removed file);
# lockdep recorded a new dependency on a file's kn->active (a removal did
# wait for a callback in flight: otherwise this test showed nothing), and
# is still on.
. "$(dirname "$0")/lib.sh"
T=${1:-unplug-in-use}
CYCLES=${UNPLUG_CYCLES:-2}
SOURCE=${UNPLUG_SOURCE:-virtio-mem}
SIZE=$((256 << 20))

# plug CYCLE, unplug CYCLE: ask QEMU to add or remove the memory; print
# QMP's replies.
plug() {
	case "$SOURCE" in
	dimm) qmp_ram_backend_add inuse$1 $SIZE && qmp_dimm_add inuse$1 1 ;;
	*) virtio_mem_request $SIZE ;;
	esac
}
unplug() {
	case "$SOURCE" in
	dimm) qmp_dimm_del inuse$1 ;;
	*) virtio_mem_request 0 ;;
	esac
}
# ok_replies REPLIES: QMP said {"return": {}} each time (and said something).
ok_replies() { [ -n "$1" ] && [ -z "$(sed 's/{"return": {}}//g' <<< "$1" | tr -d '[:space:]')" ]; }
# The dependencies lockdep recorded on a kernfs file's active reference,
# "LOCK -> kn->active#N" a line each (/proc/lockdep: a class's line, then
# " -> [KEY] NAME" for each lock taken right after it).
kn_deps() {
	awk '/^[0-9a-f]/ { from = $0; sub(/^[^ ]+( OPS: *[0-9]+)? FD: *[0-9]+ BD: *[0-9]+ [^ ]*: /, "", from); next }
		/^ -> \[[0-9a-f]+\] kn->active/ { to = $0; sub(/^ -> \[[0-9a-f]+\] /, "", to); print from " -> " to }' \
		/proc/lockdep | sort -u
}
# users SECONDS READY read|write FILE...: read each FILE, or write 1 to it
# (one descriptor each), until it is gone (ENODEV) or SECONDS passed;
# prints "CALLS LEFT ERRORS".  READY is created once the files are open
# and each had a call (the unplug waits for it: under load a user started
# late would find the files gone).
users() {
	/usr/bin/python3 - "$@" <<'PY'
import errno, os, sys, time
end = time.monotonic() + float(sys.argv[1])
ready = sys.argv[2]
write = sys.argv[3] == "write"
fds = {f: os.open(f, os.O_WRONLY if write else os.O_RDONLY) for f in sys.argv[4:]}
calls, bad = 0, []
passes = 0
while fds and time.monotonic() < end:
    if passes == 1:
        open(ready, "w").close()
    passes += 1
    for f in list(fds):
        try:
            if write:
                os.pwrite(fds[f], b"1\n", 0)
            else:
                os.pread(fds[f], 4096, 0)
            calls += 1
        except OSError as e:
            if e.errno != errno.ENODEV:
                bad.append("%s: %s" % (f, errno.errorcode.get(e.errno, e.errno)))
            os.close(fds.pop(f))
print(calls, len(fds), ";".join(bad) or "-")
PY
}

progress "$T: $CYCLES cycles of $SOURCE plug, online, unplug while the blocks' files are written and read"
if [ "$SOURCE" = virtio-mem ] && ! dmesg | grep -q 'virtio_mem virtio[0-9]*: start address'; then
	tap_not_ok "$T: virtio-mem driver bound to the device" "no 'virtio_mem ... start address' in dmesg"
	exit 0
fi
expect "$T: lockdep is on" "$(debug_locks)" 1
auto0=$(cat $MEM/auto_online_blocks)
bs=$(block_size)
deps0=$(kn_deps)
ok_cycles=0 reads=0 writes=0 why=() rbad=()
for c in $(seq "$CYCLES"); do
	before=$(memory_blocks)
	total0=$(mem_total_kb)
	echo offline > $MEM/auto_online_blocks
	r=$(plug "$c")
	added() { [ "$(blocks_added "$before" | grep -c .)" -ge $((SIZE / bs)) ]; }
	if ! ok_replies "$r" || ! wait_for 180 added; then
		why+=("cycle $c: plug: QMP said '$r'; new blocks: $(blocks_added "$before" | tr '\n' ' ')")
		break
	fi
	plugged=$(blocks_added "$before")
	for b in $plugged; do
		for w in state:online_movable online:0 state:online_movable; do
			r=$(sysfs_write $MEM/$b/${w%%:*} ${w#*:})
			[ "$r" = OK ] || why+=("cycle $c: $b: ${w%%:*} <- ${w#*:}: $r")
		done
	done
	# (With memmap_on_memory, the memmap's pages are not in MemTotal.)
	grown() { [ "$(mem_total_kb)" -gt "$total0" ]; }
	if ! wait_for 60 grown; then
		why+=("cycle $c: MemTotal $(mem_total_kb) kB after the onlines, was $total0 kB")
		break
	fi
	# A writer and a reader per block, started before the unplug request.
	rdir=$(mktemp -d)
	for b in $plugged; do
		users 200 "$rdir/$b.online.ready" write $MEM/$b/online > "$rdir/$b.online" &
		users 200 "$rdir/$b.sv.ready" read $MEM/$b/state $MEM/$b/valid_zones > "$rdir/$b.state+valid_zones" &
	done
	all_ready() { [ "$(ls "$rdir" | grep -c '\.ready$')" = "$((2 * $(wc -w <<< "$plugged")))" ]; }
	wait_for 120 all_ready || why+=("cycle $c: the writers and readers did not all start in 120 s")
	r=$(unplug "$c")
	back() { [ "$(mem_total_kb)" = "$total0" ] && [ -z "$(blocks_added "$before")" ]; }
	if ! ok_replies "$r" || ! wait_for 180 back; then
		why+=("cycle $c: unplug: QMP said '$r'; MemTotal $(mem_total_kb) kB, was $total0 kB; left: $(blocks_added "$before" | tr '\n' ' ')")
	fi
	if [ "$SOURCE" = dimm ]; then
		r=$(qmp_object_del inuse$c)
		ok_replies "$r" || why+=("cycle $c: QMP object-del said '$r'")
	fi
	wait
	for f in "$rdir"/*; do
		case "$f" in *.ready) continue ;; esac
		read -r n left bad < "$f"
		case "$f" in *.online) writes=$((writes + n)) ;; *) reads=$((reads + n)) ;; esac
		[ "$left" = 0 ] || rbad+=("cycle $c: ${f##*/} still readable after the unplug")
		[ "$bad" = - ] || rbad+=("cycle $c: $bad")
	done
	rm -rf "$rdir"
	[ ${#why[@]} -gt 0 ] && break
	ok_cycles=$c
done
echo "$auto0" > $MEM/auto_online_blocks
if [ ${#why[@]} = 0 ]; then
	tap_ok "$T: $CYCLES cycles: $SOURCE plugged 256 MiB, each block onlined (state), offlined (online), onlined (state), unplugged while in use"
else
	tap_not_ok "$T: $CYCLES cycles of plug, online, offline, online, unplug while in use ($ok_cycles done)" "${why[@]}" \
		"$(dmesg | tail -8)"
fi
if [ "$reads" -gt 0 ] && [ "$writes" -gt 0 ] && [ ${#rbad[@]} = 0 ]; then
	tap_ok "$T: $writes writes of 1 to online and $reads reads of state and valid_zones succeeded, and then gave ENODEV (the file removed), no other errno"
else
	tap_not_ok "$T: the writers and readers got no errno but ENODEV" "writes: $writes, reads: $reads" "${rbad[@]}"
fi
new=$(comm -13 <(printf '%s\n' "$deps0") <(kn_deps))
if [ -n "$new" ]; then
	tap_ok "$T: a removal waited for a callback in flight: lockdep recorded $(grep -c . <<< "$new") new dependencies on a file's kn->active, from: $(awk -F ' -> ' '{ print $1 }' <<< "$new" | sort | uniq -c | awk '{ print $2 " (" $1 ")" }' | paste -sd ' ')"
else
	tap_not_ok "$T: a removal waited for a callback in flight (a new lockdep dependency on a file's kn->active)" \
		"none: no file was removed while a callback was in flight, and this test showed nothing"
fi
expect "$T: lockdep is still on (no report turned it off)" "$(debug_locks)" 1
