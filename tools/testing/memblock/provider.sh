#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The memory block provider interface (patches/), through its test module:
# while test_memory_block_provider is loaded it serves every file of the
# blocks and of the memory root, and every online and offline, with the
# built-in driver's code, and counts each call in debugfs.  Checked here:
#  - the hand-over changes nothing userspace can see: a reader of every
#    file sees no error across 20 load/unload cycles, a listener sees no
#    uevent, descriptors opened before it read and write after it, a mode
#    set with chmod stays, the sysfs dump is the same;
#  - every origin of an online or offline (state, the driver core's online
#    file, auto-online after a probe, virtio-mem plug and unplug through
#    offline_and_remove_memory()) reaches the provider's operation, and
#    every root file its attribute;
#  - file callbacks in flight when the module is unloaded finish, and the
#    unload waits for them;
#  - memory failure's lock-free lookups of blocks (hard and soft offline,
#    unpoison) race a load/unload loop with no splat (SLUB debug, KFENCE and
#    kmemleak watch: the harness's splat scan);
#  - with fault injection armed, the hand-over allocates nothing and rmmod
#    cannot fail.
. "$(dirname "$0")/lib.sh"

MOD=test_memory_block_provider
DBG=/sys/kernel/debug/$MOD
DIR=$(cd "$(dirname "$0")" && pwd)
progress "provider: $MOD serves the blocks, nothing visible changes"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

count() { provider_count "$@"; }
# expect_count NAME KEY [show|store] BEFORE DELTA: the count grew by DELTA.
expect_count() {
	local name=$1 key=$2 what=$3 before=$4 delta=$5 now
	now=$(count "$key" "$what")
	expect "$name ($key${what:+ $what}: $before -> $now)" "$((now - before))" "$delta"
}
# fdread FD / fdwrite FD WORD: read a descriptor opened before, from its
# start, or write WORD to it: the contents, or OK, or the errno's name.
fdread() { /usr/bin/python3 -c 'import os, sys
fd = int(sys.argv[1]); os.lseek(fd, 0, 0)
try: print(os.read(fd, 4096).decode().strip())
except OSError as e: print("error", e.errno)' "$1"; }
fdwrite() { /usr/bin/python3 -c 'import errno, os, sys
fd = int(sys.argv[1]); os.lseek(fd, 0, 0)
try: os.write(fd, (sys.argv[2] + "\n").encode()); print("OK")
except OSError as e: print(errno.errorcode.get(e.errno, str(e.errno)))' "$1" "$2"; }
load() { modprobe $MOD 2>&1; echo "rc=$?"; }
unload() { rmmod_retry $MOD 2>&1; echo "rc=$?"; }

bs=$(block_size)
b32=$MEM/memory$((0x100000000 / bs))
expect "provider: memory32 is there and offline (probed by probe.sh)" "$(cat "$b32/state" 2>&1)" offline

# Descriptors opened and a mode set before the first load.
exec 7< "$MEM/memory0/state" 8> "$b32/state"
chmod 0400 "$MEM/memory0/phys_device"
before=$(bash "$DIR/dump.sh") || echo "dump.sh exited with status $?" >&2

expect "provider: modprobe $MOD" "$(load)" "rc=0"
expect "provider: memory0/state read through a descriptor opened before the load" "$(fdread 7)" online
s0=$(count state store) on0=$(count online) off0=$(count offline)
expect "provider: online_movable memory32 through a descriptor opened before the load" "$(fdwrite 8 online_movable)" OK
expect "provider: memory32 is online" "$(cat "$b32/state")" online
expect_count "provider: the write reached the provider's state file" state store "$s0" 1
expect_count "provider: and its online operation" online "" "$on0" 1
expect "provider: offline memory32 through the same descriptor" "$(fdwrite 8 offline)" OK
expect_count "provider: the offline reached the provider's offline operation" offline "" "$off0" 1
expect "provider: rmmod $MOD" "$(unload)" "rc=0"
expect "provider: memory0/state read through the descriptor after the unload" "$(fdread 7)" online
expect "provider: online_movable memory32 through the descriptor after the unload" "$(fdwrite 8 online_movable)" OK
expect "provider: offline memory32 through the descriptor after the unload" "$(fdwrite 8 offline)" OK
expect "provider: memory0/phys_device keeps the mode chmod gave it" "$(stat -c %a "$MEM/memory0/phys_device")" 400
expect_same_dump() {
	local now
	now=$(bash "$DIR/dump.sh") || echo "dump.sh exited with status $?" >&2
	if [ "$now" = "$2" ]; then
		tap_ok "$1 ($(echo "$now" | wc -l) lines)"
	else
		tap_not_ok "$1" "$(diff <(echo "$2") <(echo "$now") | head -20)"
	fi
}
expect_same_dump "provider: sysfs dump the same after a load and an unload" "$before"

# 20 load/unload cycles while a reader reads every file of every block and
# of the root, and a listener records uevents of the memory subsystem.
progress "provider: 20 load/unload cycles under a reader and a uevent listener"
events=$(mktemp) stop=$(mktemp -u) reads=$(mktemp)
udevadm monitor --kernel --subsystem-match=memory > "$events" 2>&1 &
monitor=$!
wait_for 10 grep -q 'monitor will print' "$events"
/usr/bin/python3 - "$MEM" "$stop" > "$reads" <<'PY' &
import collections, glob, os, sys
mem, stop = sys.argv[1], sys.argv[2]
files = [f for f in glob.glob(mem + "/memory*/*") + glob.glob(mem + "/*")
         if os.path.isfile(f) and os.stat(f).st_mode & 0o444 and not f.endswith("/uevent")]
seen = collections.Counter()
while not os.path.exists(stop):
    for f in files:
        try:
            with open(f) as fh:
                fh.read()
            seen["ok"] += 1
        except OSError as e:
            seen["%s errno %d" % (f, e.errno)] += 1
print(" ".join("%s=%d" % kv for kv in sorted(seen.items())))
PY
reader=$!
bad=
for i in $(seq 20); do
	r=$(load)
	[ "$r" = rc=0 ] || bad="$bad load $i: $r;"
	r=$(unload)
	[ "$r" = rc=0 ] || bad="$bad unload $i: $r;"
done
touch "$stop"
wait "$reader"
# The control: a block onlined and offlined while the listener runs.
sysfs_write "$b32/state" online_movable > /dev/null
sysfs_write "$b32/state" offline > /dev/null
wait_for 10 grep -q "offline .*/memory32 (memory)" "$events"
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
expect "provider: 20 loads and unloads" "$bad" ""
res=$(cat "$reads")
if [[ "$res" =~ ^ok=[0-9]+$ ]]; then
	tap_ok "provider: a reader of every file saw no error across the 20 cycles ($res)"
else
	tap_not_ok "provider: a reader of every file saw no error across the 20 cycles" "$res"
fi
expect "provider: no uevent across the 20 cycles, only the control's online and offline after them" \
	"$(sed -nE 's/^KERNEL\[[0-9. ]+\] ([a-z]+) +(\/[^ ]+) \(memory\)$/\1 \2/p' "$events" | tr '\n' ' ')" \
	"online /devices/system/memory/memory32 offline /devices/system/memory/memory32 "
rm -f "$events" "$stop" "$reads"
expect "provider: memory0/phys_device still has the mode chmod gave it" "$(stat -c %a "$MEM/memory0/phys_device")" 400
expect_same_dump "provider: sysfs dump the same after the 20 cycles" "$before"
exec 7<&- 8>&-
chmod 0444 "$MEM/memory0/phys_device"

# Every origin reaches the provider.
progress "provider: each origin of an online or offline reaches the provider"
expect "provider: modprobe $MOD" "$(load)" "rc=0"
a0=$(count auto_online_blocks store)
bash "$DIR/virtio-mem.sh" plug "provider: virtio-mem" || echo "virtio-mem.sh plug exited with status $?" >&2
expect_count "provider: auto_online_blocks written through the provider" auto_online_blocks store "$a0" 1
on0=$(count online) p0=$(count probe store)
addr=$(printf '0x%x' $((0x100000000 + bs)))
n=$(( (0x100000000 + bs) / bs ))
expect "provider: probe $addr (auto_online_blocks=$(cat $MEM/auto_online_blocks))" \
	"$(sysfs_write $MEM/probe "$addr")" OK
expect_count "provider: the probe reached the provider's probe file" probe store "$p0" 1
expect "provider: memory$n was auto-onlined" "$(cat $MEM/memory$n/state 2>&1)" online
expect_count "provider: auto-online after the probe reached its online operation" online "" "$on0" 1
expect "provider: memory$n has a node link" "$(ls -d $MEM/memory$n/node* 2>/dev/null | wc -l)" 1
off0=$(count offline) s0=$(count state store)
expect "provider: offline memory$n through the driver core's online file" "$(sysfs_write $MEM/memory$n/online 0)" OK
expect_count "provider: the online file reached the offline operation" offline "" "$off0" 1
expect_count "provider: and not the state file" state store "$s0" 0
expect "provider: probe $addr again -> EEXIST" "$(sysfs_write $MEM/probe "$addr")" EEXIST
off0=$(count offline)
nplugged=$(. /tmp/virtio-mem.state 2>/dev/null; echo $plugged | wc -w)
bash "$DIR/virtio-mem.sh" unplug "provider: virtio-mem" || echo "virtio-mem.sh unplug exited with status $?" >&2
expect_count "provider: virtio-mem's offline_and_remove_memory() reached the offline operation for its $nplugged blocks" \
	offline "" "$off0" "$nplugged"
on0=$(count online)
expect "provider: online memory$n through the driver core's online file" "$(sysfs_write $MEM/memory$n/online 1)" OK
expect_count "provider: the online file reached the online operation" online "" "$on0" 1
# (Onlined by the driver core's file, memory$n is in ZONE_NORMAL now: it
# stays online.)
p0=$(count phys_index show) v0=$(count valid_zones show)
cat "$MEM/memory0/phys_index" "$MEM/memory0/valid_zones" > /dev/null
if [ "$(count phys_index show)" = "$((p0 + 1))" ] && [ "$(count valid_zones show)" = "$((v0 + 1))" ]; then
	tap_ok "provider: a read of phys_index and of valid_zones reached the provider's files"
else
	tap_not_ok "provider: a read of phys_index and of valid_zones reached the provider's files" \
		"before: phys_index show $p0, valid_zones show $v0" "$(cat "$DBG/counts")"
fi

# A read and a write in flight (delayed 5 s by the provider) while it is
# unloaded: each holds a reference on the module (the provider's owner),
# so rmmod fails at once with EBUSY ("in use") rather than wait for them:
# when it returns, both are still in flight (a time limit would not do:
# rmmod alone takes 0.4 s here, 2.2 s under KASAN); both succeed, and
# rmmod succeeds once they are done.
progress "provider: a show and a store in flight while $MOD is unloaded"
addr=$(printf '0x%x' $((0x100000000 + 2 * bs)))
n=$(( (0x100000000 + 2 * bs) / bs ))
expect "provider: probe $addr" "$(sysfs_write $MEM/probe "$addr")" OK
echo 5000 > "$DBG/delay_ms"
out=$(mktemp)
cat "$MEM/memory0/state" > "$out.show" 2>&1 &
reader=$!
sysfs_write "$MEM/memory$n/state" online_movable > "$out.store" &
writer=$!
sleep 1
t0=$(date +%s%N)
r=$(rmmod $MOD 2>&1; echo "rc=$?")
t1=$(date +%s%N)
inflight=$(kill -0 $reader 2> /dev/null && kill -0 $writer 2> /dev/null && echo yes)
case "$r" in
*"in use"*rc=1|*"temporarily unavailable"*rc=1) tap_ok "provider: rmmod $MOD with a show and a store in flight fails: in use" ;;
*) tap_not_ok "provider: rmmod $MOD with a show and a store in flight fails: in use" "got: $r" ;;
esac
if [ "$inflight" = yes ]; then
	tap_ok "provider: at once ($(( (t1 - t0) / 1000000 )) ms, the show and the store still in flight), without waiting for them"
else
	tap_not_ok "provider: at once, without waiting for them" \
		"it took $(( (t1 - t0) / 1000000 )) ms, and the show or the store had ended when it returned"
fi
wait "$reader" "$writer"
echo 0 > "$DBG/delay_ms"
expect "provider: rmmod $MOD once they are done" "$(unload)" "rc=0"
expect "provider: the show in flight read memory0's state" "$(cat "$out.show")" online
expect "provider: the store in flight onlined memory$n" "$(cat "$out.store") $(cat $MEM/memory$n/state)" "OK online"
rm -f "$out" "$out.show" "$out.store"

# Memory failure counts poisoned pages per block with lock-free lookups
# (memblk_nr_poison_inc/sub): hard-offline and soft-offline pages, and
# unpoison them, while the provider is loaded and unloaded in a loop.
# Soft offline takes pages of memory$n (online movable): free ones are taken
# off the free lists, used ones migrated first.  Hard offline
# (memory_failure()) needs pages that no task can take between their
# unpoisoning and their poisoning (a task that did would be killed): a
# helper's own anonymous pages, not huge, mlocked, with compaction of mlocked
# pages and NUMA balancing off so that they keep their frames, and late kill
# (memory_failure() unmaps them and kills nobody: only an access would).
# The helper never touches them again; it checks, in its page table, that
# each page was replaced by a poison entry of the frame it had (so that the
# frames poisoned were its pages), and they are unpoisoned once it has exited.
progress "provider: hwpoison (hard and soft offline) under a load/unload loop"
modprobe hwpoison_inject 2>/dev/null
UNPOISON=/sys/kernel/debug/hwpoison/unpoison-pfn
hwc() { awk '/^HardwareCorrupted:/ { print $2 }' /proc/meminfo; }
h0=$(hwc)
stop=$(mktemp -u)
nhard=16
errs=() nh=0 hretries=0 retries=0 ns=0 pfns=() cycles= rounds=0 skipped=0
if [ ! -w $UNPOISON ]; then
	errs+=("$UNPOISON is missing (hwpoison_inject): nothing poisoned")
else
	saved=()
	for knob in /proc/sys/vm/compact_unevictable_allowed /proc/sys/kernel/numa_balancing \
		/proc/sys/vm/memory_failure_early_kill; do
		[ -w "$knob" ] || continue
		saved+=("$knob=$(cat "$knob")")
		echo 0 > "$knob"
	done
	/usr/bin/python3 - "$nhard" "$stop" <<'PY' &
import ctypes, mmap, os, struct, sys, time
n, stop = int(sys.argv[1]), sys.argv[2]
PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE = 33, 1, 0
libc = ctypes.CDLL(None, use_errno=True)
def fail(why):
    with open(stop + ".check", "w") as f:
        f.write(why + "\n")
    os._exit(1)
if libc.prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0):
    fail("prctl(PR_MCE_KILL): errno %d" % ctypes.get_errno())
buf = mmap.mmap(-1, n * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
# Not huge pages (a kernel without them refuses the advice).
if os.path.exists("/sys/kernel/mm/transparent_hugepage"):
    buf.madvise(mmap.MADV_NOHUGEPAGE)
addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
if libc.mlock(ctypes.c_void_p(addr), ctypes.c_size_t(n * 4096)):
    fail("mlock: errno %d" % ctypes.get_errno())
for i in range(n):
    buf[i * 4096] = 0x5a
def entries():
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(addr // 4096 * 8)
        return struct.unpack("<%dQ" % n, f.read(8 * n))
PFN = (1 << 55) - 1
pfns = []
for i, e in enumerate(entries()):
    if not e >> 63 or not e & PFN:
        fail("page %d not present or without a frame: %#x" % (i, e))
    pfns.append(e & PFN)
with open(stop + ".tmp", "w") as f:
    f.write("".join("%#x\n" % p for p in pfns))
os.rename(stop + ".tmp", stop + ".pfns")
# From here on the pages are not touched: an access would be killed.
while not os.path.exists(stop + ".release"):
    time.sleep(0.1)
# Each page: a swap entry (bit 62, not present) whose offset is the frame the
# page had (a hwpoison entry: type in bits 0-4, frame above).
bad = ["page %d: %#x" % (i, e) for i, e in enumerate(entries())
       if e >> 63 or not (e >> 62) & 1 or (e & PFN) >> 5 != pfns[i]]
if bad:
    fail("not replaced by a poison entry of their frame: " + ", ".join(bad))
os._exit(0)
PY
	helper=$!
	for i in $(seq 300); do [ -e "$stop.pfns" ] || ! kill -0 $helper 2>/dev/null && break; sleep 0.1; done
	mapfile -t pfns < "$stop.pfns" 2>/dev/null
	# The loop publishes its count of completed cycles, atomically (rename),
	# in $stop.n.
	( i=0; while [ ! -e "$stop" ]; do
		if modprobe $MOD && rmmod_retry $MOD > /dev/null; then i=$((i + 1)); else echo "cycle $i failed" >&2; fi
		echo "$i" > "$stop.t"; mv "$stop.t" "$stop.n"
	done ) &
	loop=$!
	[ ${#pfns[@]} = $nhard ] || errs+=("the helper gave ${#pfns[@]} page frames, not $nhard")
	# The writes, each checked, from one process (a process each would
	# take most of the time under TCG).
	write_pages() {
		/usr/bin/python3 - "$@" <<'PY'
import errno, os, sys, time
# usage: FILE UNPOISON ADDRESS...: write each address to FILE, then (if
# UNPOISON is not "-") its frame to UNPOISON; print how many went through
# and how many writes were tried again, then a line per error.
path, unpoison, addrs = sys.argv[1], sys.argv[2], [int(a, 0) for a in sys.argv[3:]]
def write(p, data):
    fd = os.open(p, os.O_WRONLY)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
n, retries, errs = 0, 0, []
# Only a soft offline is tried again: a hard offline is not.
tries = 4 if os.path.basename(path) == "soft_offline_page" else 1
for a in addrs:
    # EBUSY is the kernel's answer for a page in use that could not be
    # migrated just then (pinned for a moment): tried again, three times,
    # each retry counted.
    for t in range(tries):
        retries += t > 0
        try:
            write(path, b"%#x\n" % a)
            err = None
            break
        except OSError as e:
            err = e
            if e.errno != errno.EBUSY:
                break
            time.sleep(0.05)
    if err:
        errs.append("%s %#x: %s" % (os.path.basename(path), a, errno.errorcode.get(err.errno, err.errno)))
        continue
    if unpoison != "-":
        try:
            write(unpoison, b"%#x" % (a // 4096))
        except OSError:
            errs.append("unpoison %#x failed" % (a // 4096))
            continue
    n += 1
print(n, retries)
for e in errs:
    print(e)
PY
	}
	# The loop's cycles while the writes run (from the first to the last).
	wait_for 30 test -e "$stop.n"
	c0=$(cat "$stop.n" 2> /dev/null || echo 0)
	out=$(write_pages $MEM/hard_offline_page - $(for p in "${pfns[@]}"; do printf '0x%x ' $((p * 4096)); done))
	read -r nh hretries <<< "$(head -1 <<< "$out")"
	while IFS= read -r e; do [ -z "$e" ] || errs+=("$e"); done < <(tail -n +2 <<< "$out")
	for kv in "${saved[@]}"; do echo "${kv#*=}" > "${kv%%=*}"; done
	[ "$(( $(hwc) - h0 ))" = $((nh * 4)) ] ||
		errs+=("HardwareCorrupted grew by $(( $(hwc) - h0 )) kB for $nh hard-offlined pages")
	base=$(( n * bs + bs / 2 )) soft=() skipped=0
	for i in $(seq 0 63); do
		a=$(( base + i * 4096 ))
		# Not one of the helper's pages (poisoned already: soft offline
		# would succeed and the unpoison after it would take it).
		case " ${pfns[*]} " in *" $(printf '0x%x' $((a / 4096))) "*) skipped=$((skipped + 1)); continue ;; esac
		soft+=("$(printf '0x%x' $a)")
	done
	# Rounds of the 64 pages until the loop has made 20 cycles (at most 40).
	rounds=0 ns=0 retries=0
	while :; do
		rounds=$((rounds + 1))
		out=$(write_pages $MEM/soft_offline_page $UNPOISON "${soft[@]}")
		read -r k r <<< "$(head -1 <<< "$out")"
		ns=$((ns + k)) retries=$((retries + r))
		while IFS= read -r e; do [ -z "$e" ] || errs+=("$e"); done < <(tail -n +2 <<< "$out")
		{ [ $(( $(cat "$stop.n" 2> /dev/null || echo "$c0") - c0 )) -ge 20 ] || [ $rounds -ge 40 ]; } && break
	done
	cycles=$(( $(cat "$stop.n" 2> /dev/null || echo "$c0") - c0 ))
	touch "$stop.release"
	wait "$helper"
	rc=$?
	[ $rc = 0 ] || errs+=("the helper exited with status $rc: $(cat "$stop.check" 2>/dev/null || echo killed?)")
	for p in "${pfns[@]}"; do
		{ printf '%s' "$p" > $UNPOISON; } 2>/dev/null || errs+=("unpoison $p (hard-offlined) failed")
	done
	touch "$stop"
	wait "$loop"
	rm -f "$stop" "$stop".*
fi
# The retries of a soft offline refused with EBUSY: at most one in 50
# writes (run 24 saw 3 in about 900).
budget=$(( (64 - ${skipped:-0}) * ${rounds:-0} / 50 + 1 ))
[ "${retries:-0}" -le "$budget" ] || errs+=("$retries soft offlines tried again after EBUSY, over the budget of $budget")
if [ ${#errs[@]} = 0 ] && [ "$nh" = $nhard ] && [ "$ns" = $(((64 - skipped) * rounds)) ] && [ "${cycles:-0}" -ge 20 ]; then
	tap_ok "provider: $nh of a helper's pages hard-offlined (the helper saw its pages replaced by their poison) and $((64 - skipped)) pages soft-offlined $rounds times ($retries tried again after EBUSY, budget $budget), all unpoisoned, while the loop made $cycles load/unload cycles"
else
	tap_not_ok "provider: $nhard pages hard-offlined and 64 soft-offlined (in rounds, at most $budget retries after EBUSY), all unpoisoned, while the loop made at least 20 load/unload cycles" \
		"${errs[@]}" "hard: $nh, soft: $ns in $rounds rounds, retries: $retries, cycles: $cycles"
fi
expect "provider: HardwareCorrupted back to its value (every poison counted and uncounted)" "$(( $(hwc) - h0 ))" 0
if lsmod | grep -q "^$MOD "; then rmmod_retry $MOD; fi

# Fault injection: the take-over and the give-back allocate nothing, and
# rmmod cannot fail.  /proc/self/fail-nth makes the Nth allocation of the
# writing task fail (failslab, GFP_KERNEL included); a write to the test
# module's reregister file gives the blocks back and takes them over again.
progress "provider: the hand-over with fault injection armed"
{ echo N > /sys/kernel/debug/failslab/ignore-gfp-wait; echo 0 > /sys/kernel/debug/failslab/verbose; } 2>/dev/null
expect "provider: modprobe $MOD" "$(load)" "rc=0"
res=$(/usr/bin/python3 - "$DBG/reregister" <<'PY'
import os, sys
# fail-nth is read and written through one descriptor, opened before it is
# armed: opening it would be an allocation.
nth = os.open("/proc/self/fail-nth", os.O_RDWR)
def arm(n):
    os.pwrite(nth, str(n).encode(), 0)
def left():
    n = os.pread(nth, 16, 0).decode().strip()
    arm(0)
    return n
# The control: creating a pipe allocates, so an armed fault fires.
arm(1)
try:
    os.close(os.pipe()[0])
    control = "pipe created"
except OSError as e:
    control = "pipe failed errno %d" % e.errno
control += ", fail-nth left " + left()
fd = os.open(sys.argv[1], os.O_WRONLY)
arm(1)
try:
    os.write(fd, b"1")
    hand = "reregistered"
except OSError as e:
    hand = "reregister failed errno %d" % e.errno
hand += ", fail-nth left " + left()
os.close(fd)
print(control + "; " + hand)
PY
)
case "$res" in
"pipe failed errno 12, fail-nth left 0; "*|"pipe failed errno 23, fail-nth left 0; "*) tap_ok "provider: fail-nth works (control: ${res%%;*})" ;;
*) tap_not_ok "provider: fail-nth works (control: a pipe with its first allocation failing)" "$res" ;;
esac
expect "provider: give-back and take-over with fail-nth 1 armed: no allocation" "${res#*; }" \
	"reregistered, fail-nth left 1"
# rmmod with its Nth allocation failing, N = 1, 2, ...: it succeeds every
# time and the built-in driver serves; until an N is not reached.
bad=() n=0 out=
while [ $n -lt 64 ]; do
	n=$((n + 1))
	[ "$n" = 1 ] || load > /dev/null
	out=$(/usr/bin/python3 - "$MOD" "$n" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
name = sys.argv[1].encode()
nth = os.open("/proc/self/fail-nth", os.O_RDWR)
os.pwrite(nth, sys.argv[2].encode(), 0)
r = libc.syscall(176, name, os.O_NONBLOCK)   # delete_module
e = ctypes.get_errno()
left = os.pread(nth, 16, 0).decode().strip()
os.pwrite(nth, b"0", 0)
print("ok" if r == 0 else "errno %d" % e, "injected" if left == "0" else "not-reached")
PY
)
	case "$out" in
	"ok injected") ;;
	"ok not-reached") break ;;
	*) bad+=("N=$n: rmmod: $out") ; break ;;
	esac
	lsmod | grep -q "^$MOD " && bad+=("N=$n: $MOD still loaded")
	[ "$(cat $MEM/memory0/state 2>&1)" = online ] || bad+=("N=$n: memory0/state: $(cat $MEM/memory0/state 2>&1)")
done
if [ ${#bad[@]} = 0 ] && [ "$out" = "ok not-reached" ]; then
	tap_ok "provider: rmmod with its Nth allocation failing succeeded for N = 1..$((n - 1)) (N = $n is past its last allocation)"
else
	tap_not_ok "provider: rmmod with its Nth allocation failing succeeds for every N" "${bad[@]}" "last: N=$n $out"
fi
if lsmod | grep -q "^$MOD "; then rmmod_retry $MOD; fi
