#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The race of commit 30467e0b3be8 ("mm, hotplug: fix concurrent memory
# hot-add deadlock"), with the Rust driver (rust_memory_block) serving:
#  - real systemd-udevd runs with a rule that onlines every memory block
#    added offline (the setup that hit the deadlock in 2015);
#  - first the probes: every free block of memory32-39 is probed with
#    auto_online_blocks online_movable (the kernel onlines the new block
#    under the hotplug locks, inside the probe), while udevd's rule writes
#    the block's state: the kernel trace shows udevd's write entering the
#    driver's state store while a probe runs;
#  - then for RACE_SECONDS (30 by default) the kworker: virtio-mem plugs
#    256 MiB (add_memory_driver_managed() from its workqueue; every other
#    cycle auto_online_blocks is offline and udevd onlines the blocks, the
#    others online_movable and the kernel onlines them) and unplugs it
#    again (offline_and_remove_memory()), in a loop; meanwhile writers
#    offline and online the probed blocks through state and online, and
#    readers read every block's state and valid_zones.
# Counted, and each must be above zero: the successful onlines and
# offlines of each file, udevd's onlines (virtio-mem blocks the test never
# writes to), the kernel's auto-onlines.  Then: every block accounted for,
# no write failed with an errno the built-in driver would not give, every
# wait ended in time (a timeout is a named failure), only the Rust
# driver's functions ran (served-by), no splat (the harness's scan;
# lockdep would report a wrong order there).
. "$(dirname "$0")/lib.sh"
DRV=rust_memory_block
SECS=${RACE_SECONDS:-30}
SIZE=$((256 << 20))
progress "rust-race: probe, virtio-mem and systemd-udevd under $DRV"

served_setup
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
served_mark

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

# Two probes back to back, against udevd's online: the first with
# auto_online_blocks offline (quick: udevd onlines its block), the second
# with online_movable (the kernel onlines its block inside the probe,
# under the hotplug locks: the auto-online after a hot-add, with its
# served-by result), started when udevd's rule reads the first block's
# state (a hit of the Rust state show), so that udevd's online of the
# first block comes while the second probe runs.  The kernel trace has
# every entry into the driver's state and probe stores and its online
# (task name, time stamp), and every return from its probe store (a
# kretprobe): a udevd worker's state store or online between a probe
# store's entry and its return is a udevd online overlapping that probe
# (whichever takes the locks first, the other restarts its write until
# they are free).
progress "rust-race: two probes back to back while udevd onlines the first"
sym=$(awk '$1 == "rs_probe_store" { print $2 }' "$SERVED_SYMS")
echo "r:$SERVED_GROUP/rsr_probe_store $sym" >> $TRACEFS/kprobe_events 2>/dev/null
echo 1 > $TRACEFS/events/$SERVED_GROUP/rsr_probe_store/enable 2>/dev/null
# One clock for both CPUs' time stamps, room for the whole race.
echo global > $TRACEFS/trace_clock
echo 8192 > $TRACEFS/buffer_size_kb
echo > $TRACEFS/trace
echo 1 > $TRACEFS/tracing_on
probed= r="fewer than two free blocks"
if [ ${#free[@]} -ge 2 ]; then
	first=memory${free[0]} second=memory${free[1]}
	r=$(/usr/bin/python3 - "$MEM" $((free[0] * bs)) $((free[1] * bs)) <<'PY'
import os, sys, time
mem, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def write(name, data):
    fd = os.open(os.path.join(mem, name), os.O_WRONLY)
    try:
        os.write(fd, data)
        return "OK"
    except OSError as e:
        return str(e.errno)
    finally:
        os.close(fd)
def state_shows():
    with open("/sys/kernel/tracing/kprobe_profile") as f:
        return sum(int(w[1]) for w in (l.split() for l in f) if w and w[0] == "rs_state_show")
r = [write("auto_online_blocks", b"offline")]
n = state_shows()
r += [write("probe", b"%#x" % a), write("auto_online_blocks", b"online_movable")]
# The second probe starts when udevd's rule reads the first block's state
# (ATTR{state}=="offline"), right before it writes it: at most 5 s.
end = time.time() + 5
while state_shows() == n and time.time() < end:
    pass
r += [write("probe", b"%#x" % b), write("auto_online_blocks", b"offline")]
print(*r)
PY
)
	[ "$r" = "OK OK OK OK OK" ] && probed="$first $second "
fi
on() { for b in $probed; do [ "$(cat $MEM/$b/state)" = online ] || return 1; done; }
wait_for 30 on
udevadm settle --timeout=30
served "rust-race: the two probes, the second with auto-online" rust probe_store auto_online_blocks_store online
trace=$(grep -E ' (rs_state_store|rs_probe_store|rsr_probe_store|rs_online): ' $TRACEFS/trace)
echo 0 > $TRACEFS/events/$SERVED_GROUP/rsr_probe_store/enable 2>/dev/null
echo "-:$SERVED_GROUP/rsr_probe_store" >> $TRACEFS/kprobe_events 2>/dev/null
# One pass over the trace ("TASK-PID [CPU] FLAGS SECONDS: EVENT: ..."):
# the probe store calls (entry to return), and in them the Rust onlines of
# the prober's task (python3: the second probe onlined its block itself)
# and the udev workers' state stores and onlines (the overlaps).
read -r inside n_overlap n_probe n_udev < <(awk '{ t = $0; sub(/:.*/, "", t); nw = split(t, w, " "); ts = w[nw]
		task = $1; sub(/-[0-9]+$/, "", task) }
	/ rs_probe_store: / { start = ts; next }
	/ rsr_probe_store: / { if (start != "") { s[++np] = start; e[np] = ts }; start = ""; next }
	/ rs_online: / && task == "python3" { o[++no] = ts }
	/ (rs_state_store|rs_online): / && task ~ /udev/ { u[++nu] = ts }
	function in_call(x,   j) { for (j = 1; j <= np; j++) if (x + 0 >= s[j] + 0 && x + 0 <= e[j] + 0) return 1; return 0 }
	END { for (i = 1; i <= no; i++) ni += in_call(o[i])
		for (j = 1; j <= np; j++) for (i = 1; i <= nu; i++)
			if (u[i] + 0 >= s[j] + 0 && u[i] + 0 <= e[j] + 0) { n++; break }
		print ni + 0, n + 0, np + 0, nu + 0 }' <<< "$trace")
if [ -n "$probed" ] && [ "$inside" -gt 0 ]; then
	tap_ok "rust-race: the second probe onlined its block inside the probe (the Rust online in the prober's task, during the probe)"
else
	tap_not_ok "rust-race: the second probe onlined its block inside the probe (auto-online)" \
		"Rust onlines inside the second probe: $inside" "$(head -n 20 <<< "$trace")"
fi
# (Tracing stays on through the race: who onlined each block is counted
# from the trace after it.)
if [ -n "$probed" ] && [ "$(on && echo yes)" = yes ] && [ "${n_overlap:-0}" -gt 0 ]; then
	tap_ok "rust-race: probed $probed(the second with auto-online): $n_overlap of the $n_probe probe store calls (a call restarts while the locks are taken) ran while udevd's write to state or its online ran in the driver ($n_udev udevd events)"
else
	tap_not_ok "rust-race: two probes, udevd's online of the first overlapping the second (the kernel trace)" \
		"free: ${free[*]}; probed: '$probed' ($r), states: $(for b in $probed; do cat $MEM/$b/state; done | tr '\n' ' ')" \
		"probes traced: ${n_probe:-?}, udevd state writes: ${n_udev:-?}, overlapping a probe: ${n_overlap:-?}" \
		"tasks in the trace: $(awk '{ print $1 }' <<< "$trace" | sed 's/-[0-9]*$//' | sort | uniq -c | tr '\n' ' ')" \
		"$(head -n 20 <<< "$trace")"
fi

out=$(mktemp -d /tmp/race.XXXXXX)
end=$(( $(date +%s) + SECS ))
plugged_is() {
	[ "$(qmp '{"execute": "qom-get", "arguments": {"path": "/machine/peripheral/'$VIRTIO_MEM_DEV'", "property": "size"}}')" = '{"return": '$1'}' ]
}
# The virtio-mem blocks: present now and not before the test.
vm_blocks() { blocks_added "$before" | grep -vxF -f <(tr ' ' '\n' <<< "$probed" | grep .); }
vm_online() {
	local b n=0
	for b in $(vm_blocks); do
		[ "$(cat $MEM/$b/state 2>/dev/null)" = online ] && n=$((n + 1))
	done
	[ "$n" = $((SIZE / bs)) ]
}

# The kworker's hot-adds: virtio-mem plug and unplug cycles.  Every other
# cycle the kernel onlines the blocks itself (auto_online_blocks, written
# through the driver's file: the auto-online after a hot-add), the others
# are udevd's: nobody else writes to these blocks, so each of them online
# is an online udevd made; the Rust online's task in the trace tells udevd's
# (a udev worker) from the kernel's (virtio-mem's kworker).  At least two
# cycles (one of each), even past the end, but not past 180 s after it.
progress "rust-race: $SECS s of virtio-mem cycles, writers and readers"
(
	n=0 udevd=0 kernel=0
	while [ "$(date +%s)" -lt "$end" ] || { [ $n -lt 2 ] && [ "$(date +%s)" -lt $((end + 180)) ]; }; do
		if [ $((n % 2)) = 1 ]; then auto=online_movable; else auto=offline; fi
		r=$(sysfs_write $MEM/auto_online_blocks $auto)
		[ "$r" = OK ] || echo "auto_online_blocks $auto: $r" >> "$out/errors"
		[ "$(virtio_mem_request $SIZE)" = '{"return": {}}' ] || { echo "qom-set $SIZE failed" >> "$out/errors"; break; }
		wait_for 120 plugged_is $SIZE || { echo "cycle $n: not plugged in 120 s" >> "$out/errors"; break; }
		if ! wait_for 60 vm_online; then
			echo "cycle $n ($auto): the virtio-mem blocks were not all online 60 s after the plug: $(vm_blocks | tr '\n' ' ')" >> "$out/errors"
			break
		fi
		if [ $auto = offline ]; then udevd=$((udevd + SIZE / bs)); else kernel=$((kernel + SIZE / bs)); fi
		[ "$(virtio_mem_request 0)" = '{"return": {}}' ] || { echo "qom-set 0 failed" >> "$out/errors"; break; }
		wait_for 120 plugged_is 0 || { echo "cycle $n: not unplugged in 120 s" >> "$out/errors"; break; }
		n=$((n + 1))
	done
	echo "$n $udevd $kernel" > "$out/cycles"
	echo offline > $MEM/auto_online_blocks
) &
cycler=$!

# A reader of every block's state and valid_zones, and a writer that
# offlines and onlines the probed blocks through state and online. EINVAL
# (already in that state: udevd or the other file was first) and EBUSY (the
# pages could not be migrated) are what the built-in driver gives too;
# anything else is an error.  Successes are counted per file and request.
/usr/bin/python3 - "$MEM" "$end" "$out" $probed <<'PY' &
import errno, glob, os, sys, time
mem, end, out, probed = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
reads = writes = 0
bad = []
writes_of = (("state", b"offline"), ("state", b"online_movable"), ("online", b"0"), ("online", b"1"))
ok = {w: 0 for w in writes_of}
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
    for b in probed:
        for w in writes_of:
            try:
                fd = os.open("%s/%s/%s" % (mem, b, w[0]), os.O_WRONLY)
                try:
                    os.write(fd, w[1])
                finally:
                    os.close(fd)
                ok[w] += 1
            except OSError as e:
                if e.errno not in (errno.EINVAL, errno.EBUSY):
                    bad.append("write %s/%s %s: %s" % (b, w[0], w[1].decode(),
                                                      errno.errorcode.get(e.errno)))
            writes += 1
with open(out + "/py", "w") as fh:
    fh.write("%d %d %s\n" % (reads, writes, " ".join(str(ok[w]) for w in writes_of)))
    fh.write("".join(x + "\n" for x in bad[:20]))
PY
py=$!

wait $py
pyrc=$?
if wait_for 400 sh -c "! kill -0 $cycler 2>/dev/null"; then
	tap_ok "rust-race: the loops ended on time (no hang)"
else
	tap_not_ok "rust-race: the loops ended on time (no hang)" "the virtio-mem cycler is still running 400 s after the writers' end"
	kill $cycler
fi
wait $cycler 2>/dev/null
read -r cycles udevd_on kernel_on < <(cat "$out/cycles" 2>/dev/null || echo "0 0 0")
if [ "$pyrc" = 0 ] && [ -s "$out/py" ]; then
	read -r reads writes s_off s_on o_off o_on < <(head -1 "$out/py")
else
	echo "the writers and readers exited with status $pyrc and left no counts" >> "$out/errors"
	reads=0 writes=0 s_off=0 s_on=0 o_off=0 o_on=0
fi
[ "$reads" -gt 0 ] && [ "$writes" -gt 0 ] || echo "no read or no write was made ($reads, $writes)" >> "$out/errors"
errs=$(cat "$out/errors" 2>/dev/null; tail -n +2 "$out/py" 2>/dev/null)
# Who onlined: the Rust online's task in the trace of the race.
race_trace=$(grep ' rs_online: ' $TRACEFS/trace)
echo 0 > $TRACEFS/tracing_on
echo > $TRACEFS/trace
echo 1408 > $TRACEFS/buffer_size_kb
by_udevd=$(grep -c '^ *(udev-worker)-' <<< "$race_trace")
by_kworker=$(grep -c '^ *kworker/' <<< "$race_trace")

if [ -z "$errs" ] && [ "$cycles" -ge 2 ] && [ -n "$probed" ]; then
	tap_ok "rust-race: $SECS s: $cycles virtio-mem plug/unplug cycles of $((SIZE >> 20)) MiB, $writes writes and $reads reads, no unexpected errno, every wait in time"
else
	tap_not_ok "rust-race: virtio-mem cycles, writes and reads with no unexpected errno, every wait in time" \
		"cycles $cycles, probed: $probed, writes $writes, reads $reads" "$errs"
fi
counts="state offline $s_off, state online_movable $s_on, online 0 $o_off, online 1 $o_on; virtio-mem blocks online after udevd's cycles $udevd_on, after the kernel's $kernel_on; Rust onlines run by udev workers $by_udevd, by kworkers (virtio-mem's hot-add) $by_kworker"
if [ "${s_off:-0}" -gt 0 ] && [ "${s_on:-0}" -gt 0 ] && [ "${o_off:-0}" -gt 0 ] && [ "${o_on:-0}" -gt 0 ] &&
	[ "${udevd_on:-0}" -gt 0 ] && [ "${kernel_on:-0}" -gt 0 ] && [ "$by_udevd" -gt 0 ] && [ "$by_kworker" -gt 0 ]; then
	tap_ok "rust-race: successful writes: $counts"
else
	tap_not_ok "rust-race: every file's online and offline, udevd's onlines and the kernel's succeeded at least once" "$counts"
fi

# Everything settles: the virtio-mem blocks gone, the probed ones online
# (a writer's last online, or now).
virtio_mem_request 0 > /dev/null
for b in $probed; do
	[ "$(cat $MEM/$b/state)" = online ] || sysfs_write $MEM/$b/state online_movable > /dev/null
done
settled() { [ "$(mem_total_kb)" = "$(( total0 + $(wc -w <<< "$probed") * bs / 1024 ))" ]; }
wait_for 120 settled || echo "rust-race: MemTotal did not settle in 120 s" >&2
udevadm settle --timeout=30
udevadm control --exit
rm -f /run/udev/rules.d/99-memblock-race.rules
served "rust-race: the probes, the virtio-mem cycles, udevd, the writers and readers" rust \
	probe_store auto_online_blocks_store state_store state_show valid_zones_show online offline

left=$(blocks_added "$before" | tr '\n' ' ')
expect "rust-race: every block accounted for: the probed ones present and online, the virtio-mem ones gone" \
	"$left|$(for b in $probed; do cat $MEM/$b/state; done | sort -u | tr '\n' ' ')" "$probed|online "
expect "rust-race: MemTotal grew by the probed blocks only" "$(mem_total_kb)" \
	"$(( total0 + $(wc -w <<< "$probed") * bs / 1024 ))"
expect "rust-race: rmmod $DRV" "$(rmmod_retry $DRV 2>&1; echo "rc=$?")" "rc=0"
echo "$auto0" > $MEM/auto_online_blocks
rm -rf "$out"
