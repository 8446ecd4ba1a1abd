#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The race of commit 30467e0b3be8 ("mm, hotplug: fix concurrent memory
# hot-add deadlock"), with the Rust driver (rust_memory_block) serving, for
# RACE_SECONDS (60 by default):
#  - real systemd-udevd runs with a rule that onlines every memory block
#    added offline (the setup that hit the deadlock in 2015: a kworker
#    adding memory while udevd onlines it);
#  - the kworker: virtio-mem plugs 256 MiB (add_memory_driver_managed()
#    from its workqueue; auto_online_blocks offline, udevd onlines the
#    blocks, and every other cycle online_movable, the kernel onlines them)
#    and unplugs it again (offline_and_remove_memory()), in a loop;
#  - one task probes the free blocks of memory32-39 (udevd onlines them);
#  - writers offline and online the probed blocks through state and
#    online, and readers read every block's state and valid_zones.
# Then: every block accounted for (the probed ones online, the virtio-mem
# ones gone, MemTotal as expected), no write failed with an errno the
# built-in driver would not give, no hang (the loops end on time), no splat
# (the harness's scan), and /proc/lockdep has mem_hotplug_lock before the
# block lock class and never after it.
. "$(dirname "$0")/lib.sh"
DRV=rust_memory_block
SECS=${RACE_SECONDS:-60}
DEV=${VIRTIO_MEM_ID:-vm0}
SIZE=$((256 << 20))
progress "rust-race: probe, virtio-mem and systemd-udevd for $SECS s under $DRV"

bs=$(block_size)
auto0=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
total0=$(mem_total_kb)
before=$(memory_blocks)
free=()
for i in $(seq $((0x100000000 / bs)) $((0x13fffffff / bs))); do
	[ -e "$MEM/memory$i" ] || free+=("$i")
done
expect "rust-race: modprobe $DRV" "$(modprobe $DRV 2>&1; echo "rc=$?")" "rc=0"

# systemd-udevd, with the onlining rule of the distributions.
mkdir -p /run/udev/rules.d
echo 'SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline", ATTR{state}="online_movable"' \
	> /run/udev/rules.d/99-memblock-race.rules
/lib/systemd/systemd-udevd --daemon 2> /tmp/udevd.err
if wait_for 10 udevadm control --ping 2> /dev/null; then
	tap_ok "rust-race: systemd-udevd runs, with a rule onlining added memory blocks"
else
	tap_not_ok "rust-race: systemd-udevd runs" "$(cat /tmp/udevd.err)"
fi

out=$(mktemp -d /tmp/race.XXXXXX)
end=$(( $(date +%s) + SECS ))
request() {
	qmp '{"execute": "qom-set", "arguments": {"path": "/machine/peripheral/'$DEV'", "property": "requested-size", "value": '$1'}}'
}
plugged_is() {
	[ "$(qmp '{"execute": "qom-get", "arguments": {"path": "/machine/peripheral/'$DEV'", "property": "size"}}')" = '{"return": '$1'}' ]
}

# The kworker's hot-adds: virtio-mem plug and unplug cycles. Every other
# cycle the kernel onlines the blocks itself (auto_online_blocks, written
# through the driver's file: the auto-online after a hot-add), the others
# are udevd's.
(
	n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		if [ $((n % 2)) = 1 ]; then auto=online_movable; else auto=offline; fi
		r=$(sysfs_write $MEM/auto_online_blocks $auto)
		[ "$r" = OK ] || echo "auto_online_blocks $auto: $r" >> "$out/errors"
		[ "$(request $SIZE)" = '{"return": {}}' ] || { echo "qom-set $SIZE failed" >> "$out/errors"; break; }
		wait_for 120 plugged_is $SIZE || { echo "cycle $n: not plugged in 120 s" >> "$out/errors"; break; }
		[ "$(request 0)" = '{"return": {}}' ] || { echo "qom-set 0 failed" >> "$out/errors"; break; }
		wait_for 120 plugged_is 0 || { echo "cycle $n: not unplugged in 120 s" >> "$out/errors"; break; }
		n=$((n + 1))
	done
	echo "$n" > "$out/cycles"
	echo offline > $MEM/auto_online_blocks
) &
cycler=$!

# The prober: one free block every few seconds.
(
	for i in "${free[@]}"; do
		[ "$(date +%s)" -lt "$end" ] || break
		r=$(sysfs_write $MEM/probe "$(printf '0x%x' $((i * bs)))")
		if [ "$r" = OK ]; then echo "memory$i" >> "$out/probed"; else echo "probe memory$i: $r" >> "$out/errors"; fi
		sleep 5
	done
) &
prober=$!

# A reader of every block's state and valid_zones, and a writer that
# offlines and onlines the probed blocks through state and online. EINVAL
# (already in that state: udevd or the other file was first) and EBUSY (the
# pages could not be migrated) are what the built-in driver gives too;
# anything else is an error.
/usr/bin/python3 - "$MEM" "$end" "$out" <<'PY' &
import errno, glob, os, sys, time
mem, end, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
reads = writes = 0
bad = []
while time.time() < end:
    for f in glob.glob(mem + "/memory*/state") + glob.glob(mem + "/memory*/valid_zones"):
        try:
            with open(f) as fh:
                fh.read()
            reads += 1
        except OSError as e:
            # A virtio-mem block removed meanwhile: ENOENT before the
            # open, ENODEV after it (kernfs, whoever serves the file).
            if e.errno not in (errno.ENOENT, errno.ENODEV):
                bad.append("read %s: %s" % (f, errno.errorcode.get(e.errno)))
    try:
        probed = open(out + "/probed").read().split()
    except FileNotFoundError:
        probed = []
    for b in probed:
        for name, what in (("state", b"offline"), ("state", b"online_movable"),
                           ("online", b"0"), ("online", b"1")):
            try:
                fd = os.open("%s/%s/%s" % (mem, b, name), os.O_WRONLY)
                try:
                    os.write(fd, what)
                finally:
                    os.close(fd)
            except OSError as e:
                if e.errno not in (errno.EINVAL, errno.EBUSY):
                    bad.append("write %s/%s %s: %s" % (b, name, what.decode(),
                                                      errno.errorcode.get(e.errno)))
            writes += 1
with open(out + "/py", "w") as fh:
    fh.write("%d %d\n" % (reads, writes))
    fh.write("".join(x + "\n" for x in bad[:20]))
PY
py=$!

wait $prober $py
if wait_for 200 sh -c "! kill -0 $cycler 2>/dev/null"; then
	tap_ok "rust-race: the loops ended on time (no hang)"
else
	tap_not_ok "rust-race: the loops ended on time (no hang)" "the virtio-mem cycler is still running"
	kill $cycler
fi
wait $cycler 2>/dev/null
cycles=$(cat "$out/cycles" 2>/dev/null || echo 0)
probed=$(cat "$out/probed" 2>/dev/null | tr '\n' ' ')
read -r reads writes < <(head -1 "$out/py")
errs=$(cat "$out/errors" 2>/dev/null; tail -n +2 "$out/py")

# Everything settles: the virtio-mem blocks gone, the probed ones online
# (udevd's rule, or a writer's last online: each ends on an online).
request 0 > /dev/null
for b in $probed; do
	[ "$(cat $MEM/$b/state)" = online ] || sysfs_write $MEM/$b/state online_movable > /dev/null
done
settled() { [ "$(mem_total_kb)" = "$(( total0 + $(wc -w <<< "$probed") * bs / 1024 ))" ]; }
wait_for 120 settled
udevadm settle --timeout=30
udevadm control --exit
rm -f /run/udev/rules.d/99-memblock-race.rules

if [ -z "$errs" ] && [ "$cycles" -ge 2 ] && [ -n "$probed" ]; then
	tap_ok "rust-race: $SECS s: $cycles virtio-mem plug/unplug cycles of $((SIZE >> 20)) MiB (onlined by udevd, and by the kernel every other one), probed $(wc -w <<< "$probed") blocks ($probed), $writes writes and $reads reads, no unexpected errno"
else
	tap_not_ok "rust-race: virtio-mem cycles, probes, writes and reads with no unexpected errno" \
		"cycles $cycles, probed: $probed, writes $writes, reads $reads" "$errs"
fi
left=$(blocks_added "$before" | tr '\n' ' ')
expect "rust-race: every block accounted for: the probed ones present and online, the virtio-mem ones gone" \
	"$left|$(for b in $probed; do cat $MEM/$b/state; done | sort -u | tr '\n' ' ')" "$probed|online "
expect "rust-race: MemTotal grew by the probed blocks only" "$(mem_total_kb)" \
	"$(( total0 + $(wc -w <<< "$probed") * bs / 1024 ))"
# The lock order lockdep saw: mem_hotplug_lock -> memory_block_lock, and no
# dependency from memory_block_lock to mem_hotplug_lock.
after_hp=$(awk '/: mem_hotplug_lock$/, /^$/' /proc/lockdep)
after_blk=$(awk '/: memory_block_lock$/, /^$/' /proc/lockdep)
if grep -q ' memory_block_lock$' <<< "$after_hp" && ! grep -q ' mem_hotplug_lock$' <<< "$(tail -n +2 <<< "$after_blk")"; then
	tap_ok "rust-race: /proc/lockdep: mem_hotplug_lock -> memory_block_lock, never the other way"
else
	tap_not_ok "rust-race: /proc/lockdep: mem_hotplug_lock -> memory_block_lock, never the other way" \
		"mem_hotplug_lock's entry:" "$after_hp" "memory_block_lock's entry:" "$after_blk"
fi
expect "rust-race: rmmod $DRV" "$(rmmod $DRV 2>&1; echo "rc=$?")" "rc=0"
echo "$auto0" > $MEM/auto_online_blocks
rm -rf "$out"
