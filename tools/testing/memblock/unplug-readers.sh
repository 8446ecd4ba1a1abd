#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Memory hot-remove while the removed blocks' files are being read, under
# the built-in driver.  virtio-mem plugs 256 MiB with auto_online_blocks
# offline; writes to each new block's state online it (so lockdep has seen
# a write to "state" take mem_hotplug_lock, through the trylock of
# device_hotplug_lock before it); readers keep reading the blocks' state,
# valid_zones and online files from open descriptors while virtio-mem
# unplugs them (offline_and_remove_memory() from its workqueue).  Removing
# a file waits for its reads in flight (kernfs_drain()), which lockdep
# records as a dependency of whatever lock the removal holds on the file.
# Under mem_hotplug_lock (6.8's 6b8f0798b85a) that closes a cycle and
# lockdep reports it: the harness's splat scan of this test fails.  The
# series' first patch removes the devices before taking the lock.
#
# Results: each cycle plugged, onlined through state and unplugged; the
# readers read and got no errno but ENODEV (a removed file); lockdep
# recorded at least one new dependency on a file's kn->active (a removal
# did wait for a read in flight: otherwise this test showed nothing) and
# is still on.
. "$(dirname "$0")/lib.sh"
T=${1:-unplug-readers}
CYCLES=${UNPLUG_CYCLES:-4}
DEV=${VIRTIO_MEM_ID:-vm0}
SIZE=$((256 << 20))

request() {
	qmp '{"execute": "qom-set", "arguments": {"path": "/machine/peripheral/'$DEV'", "property": "requested-size", "value": '$1'}}'
}
# The dependencies lockdep recorded on a kernfs file's active reference,
# "LOCK -> kn->active#N" a line each (/proc/lockdep: a class's line, then
# " -> [KEY] NAME" for each lock taken right after it).
kn_deps() {
	awk '/^[0-9a-f]/ { from = $0; sub(/^[^ ]+( OPS: *[0-9]+)? FD: *[0-9]+ BD: *[0-9]+ [^ ]*: /, "", from); next }
		/^ -> \[[0-9a-f]+\] kn->active/ { to = $0; sub(/^ -> \[[0-9a-f]+\] /, "", to); print from " -> " to }' \
		/proc/lockdep | sort -u
}
debug_locks() {
	awk '/debug_locks:/ { print $2 }' /proc/lockdep_stats
}
# readers SECONDS FILE...: read each FILE (pread from one descriptor) until
# it is gone (ENODEV) or SECONDS passed; prints "READS LEFT ERRORS".
readers() {
	/usr/bin/python3 - "$@" <<'PY'
import errno, os, sys, time
end = time.monotonic() + float(sys.argv[1])
fds = {f: os.open(f, os.O_RDONLY) for f in sys.argv[2:]}
reads, bad = 0, []
while fds and time.monotonic() < end:
    for f in list(fds):
        try:
            os.pread(fds[f], 4096, 0)
            reads += 1
        except OSError as e:
            if e.errno != errno.ENODEV:
                bad.append("%s: %s" % (f, errno.errorcode.get(e.errno, e.errno)))
            os.close(fds.pop(f))
print(reads, len(fds), ";".join(bad) or "-")
PY
}

progress "$T: $CYCLES cycles of virtio-mem plug, online through state, unplug while readers read the blocks' files"
if ! dmesg | grep -q 'virtio_mem virtio[0-9]*: start address'; then
	tap_not_ok "$T: virtio-mem driver bound to the device" "no 'virtio_mem ... start address' in dmesg"
	exit 0
fi
expect "$T: lockdep is on" "$(debug_locks)" 1
auto0=$(cat $MEM/auto_online_blocks)
deps0=$(kn_deps)
ok_cycles=0 reads=0 why=() rbad=()
for c in $(seq "$CYCLES"); do
	before=$(memory_blocks)
	total0=$(mem_total_kb)
	echo offline > $MEM/auto_online_blocks
	r=$(request $SIZE)
	grown() { [ "$(mem_total_kb)" -gt "$total0" ] && [ -n "$(blocks_added "$before")" ]; }
	if [ "$r" != '{"return": {}}' ] || ! wait_for 180 grown; then
		why+=("cycle $c: plug: QMP said '$r'; MemTotal $(mem_total_kb) kB, was $total0 kB")
		break
	fi
	plugged=$(blocks_added "$before")
	# virtio-mem adds the whole 256 MiB before the first block is onlined.
	wait_for 60 bash -c "[ \$(awk '/^MemTotal:/ { print \$2 }' /proc/meminfo) = $((total0 + SIZE / 1024)) ]" 2> /dev/null
	files=()
	for b in $plugged; do
		r=$(sysfs_write $MEM/$b/state online_movable)
		[ "$r" = OK ] || why+=("cycle $c: $b: state <- online_movable: $r")
		files+=("$MEM/$b/state" "$MEM/$b/valid_zones" "$MEM/$b/online")
	done
	# One reader per block (two CPUs: the unplug's kworker and the
	# readers share them), started before the unplug request.
	rdir=$(mktemp -d)
	for b in $plugged; do
		readers 200 $MEM/$b/state $MEM/$b/valid_zones $MEM/$b/online > "$rdir/$b" &
	done
	sleep 1
	r=$(request 0)
	back() { [ "$(mem_total_kb)" = "$total0" ] && [ -z "$(blocks_added "$before")" ]; }
	if [ "$r" != '{"return": {}}' ] || ! wait_for 180 back; then
		why+=("cycle $c: unplug: QMP said '$r'; MemTotal $(mem_total_kb) kB, was $total0 kB; left: $(blocks_added "$before" | tr '\n' ' ')")
	fi
	wait
	for b in $plugged; do
		read -r n left bad < "$rdir/$b"
		reads=$((reads + n))
		[ "$left" = 0 ] || rbad+=("cycle $c: $b: $left file(s) still readable after the unplug")
		[ "$bad" = - ] || rbad+=("cycle $c: $b: $bad")
	done
	rm -rf "$rdir"
	[ ${#why[@]} -gt 0 ] && break
	ok_cycles=$c
done
echo "$auto0" > $MEM/auto_online_blocks
if [ ${#why[@]} = 0 ]; then
	tap_ok "$T: $CYCLES cycles: virtio-mem plugged 256 MiB, each block onlined through state, unplugged while read"
else
	tap_not_ok "$T: $CYCLES cycles of plug, online, unplug while read ($ok_cycles done)" "${why[@]}" \
		"$(dmesg | grep -i virtio_mem | tail -5)"
fi
if [ "$reads" -gt 0 ] && [ ${#rbad[@]} = 0 ]; then
	tap_ok "$T: the readers read $reads times, and got no errno but ENODEV once a file was removed"
else
	tap_not_ok "$T: the readers read, and got no errno but ENODEV" "reads: $reads" "${rbad[@]}"
fi
new=$(comm -13 <(printf '%s\n' "$deps0") <(kn_deps))
if [ -n "$new" ]; then
	tap_ok "$T: a removal waited for reads in flight: lockdep recorded $(grep -c . <<< "$new") new dependencies on a file's kn->active, from: $(awk -F ' -> ' '{ print $1 }' <<< "$new" | sort | uniq -c | awk '{ print $2 " (" $1 ")" }' | paste -sd ' ')"
else
	tap_not_ok "$T: a removal waited for reads in flight (a new lockdep dependency on a file's kn->active)" \
		"none: no file was removed while it was read, and this test showed nothing"
fi
expect "$T: lockdep is still on (no report turned it off)" "$(debug_locks)" 1
