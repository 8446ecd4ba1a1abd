#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The Rust driver's load and unload, with blocks in every state:
#  - blocks offline, online (boot memory, in no single zone), online
#    movable, online in a virtio-mem memory group, one with a page
#    soft-offlined: modprobe changes nothing in the sysfs dump;
#  - a second copy of the module is refused (EEXIST), and so is a second
#    provider (EBUSY), with nothing changed;
#  - rmmod while a writer hammers state, online and probe completes, and
#    every write gives the result the built-in driver gives for it in the
#    block's state then; after the rmmod the built-in driver serves them;
#  - the soft-offlined page is unpoisoned, HardwareCorrupted is back.
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
DRV=rust_memory_block
UNPOISON=/sys/kernel/debug/hwpoison/unpoison-pfn
progress "rust-lifecycle: $DRV loaded and unloaded with blocks in every state"
modprobe hwpoison_inject 2> /dev/null
served_setup
hwc0=$(hw_corrupted_kb)
bs=$(block_size)
auto0=$(cat $MEM/auto_online_blocks)

# The states: a virtio-mem block online in its group, a page soft-offlined
# in an online movable block, and whatever the suite left (offline and
# online movable probed blocks, boot memory).
before=$(memory_blocks)
echo online_movable > $MEM/auto_online_blocks
expect "rust-lifecycle: virtio-mem plugs one block" "$(virtio_mem_request $bs)" '{"return": {}}'
vm_block() { [ -n "$(blocks_added "$before")" ] && [ "$(cat $MEM/$(blocks_added "$before" | head -1)/state)" = online ]; }
wait_for 120 vm_block
vmb=$(blocks_added "$before" | head -1)
movable=
for b in $(memory_blocks); do
	zones=
	read -r zones < $MEM/$b/valid_zones
	[ "$b" != "$vmb" ] && [ "$zones" = Movable ] && { movable=$b; break; }
done
pfn=$(( 16#$(cat $MEM/$movable/phys_index 2>/dev/null || echo 0) * bs / 4096 + 7 ))
expect "rust-lifecycle: soft_offline_page in $movable" \
	"$(sysfs_write $MEM/soft_offline_page "$(printf '0x%x' $((pfn * 4096)))")" OK
# The block the writers toggle: a probed one (memory32-39) offline, or
# offlined now; not the poisoned one (a block with a poisoned page cannot be
# onlined again).
hblock=
for i in $(seq $((0x100000000 / bs)) $((0x13fffffff / bs))); do
	b=memory$i
	[ -e "$MEM/$b" ] && [ "$b" != "$movable" ] || continue
	[ "$(cat $MEM/$b/state)" = offline ] || [ "$(sysfs_write $MEM/$b/state offline)" = OK ] || continue
	hblock=$b
	break
done
states=$(block_files state valid_zones)
kinds=$(awk '$2 == "offline" { o = 1 } $2 == "online" && $3 == "none" { n = 1 }
	$2 == "online" && $3 == "Movable" { m = 1 } END { print o + 0, n + 0, m + 0 }' <<< "$states")
expect "rust-lifecycle: blocks offline, online in no single zone, online movable; $vmb in a virtio-mem group" \
	"$kinds $vmb $(cat $MEM/$vmb/state)" "1 1 1 $vmb online"

if [ -z "$hblock" ]; then
	tap_not_ok "rust-lifecycle: an offline probed block (memory32-39) to toggle" "$states"
	exit 0
fi
dump0=$(bash "$DIR/dump.sh")
expect "rust-lifecycle: modprobe $DRV" "$(modprobe $DRV 2>&1; echo "rc=$?")" "rc=0"
served_mark
got=$(bash "$DIR/dump.sh")
served "rust-lifecycle: the sysfs dump after modprobe" rust $SERVED_DUMP
if [ "$got" = "$dump0" ]; then
	tap_ok "rust-lifecycle: the sysfs dump is the same after modprobe ($(wc -l <<< "$got") lines)"
else
	tap_not_ok "rust-lifecycle: the sysfs dump is the same after modprobe" "$(diff <(echo "$dump0") <(echo "$got") | head -20)"
fi
ko=$(modinfo -n $DRV)
r=$(insmod "$ko" 2>&1; echo "rc=$?")
case "$r" in
*"File exists"*"rc=1") tap_ok "rust-lifecycle: a second insmod of $DRV is refused (EEXIST)" ;;
*) tap_not_ok "rust-lifecycle: a second insmod of $DRV is refused (EEXIST)" "$r" ;;
esac
r=$(modprobe test_memory_block_provider 2>&1; echo "rc=$?")
case "$r" in
*"Device or resource busy"*"rc=1") tap_ok "rust-lifecycle: a second provider (test_memory_block_provider) gets EBUSY" ;;
*) tap_not_ok "rust-lifecycle: a second provider gets EBUSY" "$r" ;;
esac
expect "rust-lifecycle: $DRV still serves, the dump unchanged" "$(lsmod | grep -c "^$DRV ") $(bash "$DIR/dump.sh" | cmp -s - <(echo "$dump0") && echo same)" "1 same"

# rmmod under a writer, each of whose writes has the one result the
# built-in driver gives for it in the block's state then (this writer is
# the only one writing to the block: the state it reads before a write is
# the state the write meets):
#   state online_movable: offline -> OK, online -> EINVAL
#   state offline:        online -> OK (or EBUSY: pages not migrated just
#                         then, counted), offline -> EINVAL
#   online 0:             online -> OK (or EBUSY), offline -> OK (nothing to do)
#   probe of a present block -> EEXIST, probe of 0x1001 -> EINVAL
# It says when it runs (a first round done); its successes are counted per
# write before the rmmod, during it and after it (each write that can
# succeed must have succeeded before and after), the EBUSYs against a
# budget (one per 50 writes), and after the rmmod the built-in driver
# serves them (served-by).
stop=$(mktemp -u /tmp/lifecycle.XXXXXX)
served_mark
/usr/bin/python3 - "$MEM" "$stop" "$hblock" "$(printf '0x%x' $((16#$(cat $MEM/$hblock/phys_index) * bs)))" <<'PY' > "$stop.out" &
import errno, os, sys
mem, stop, block, present = sys.argv[1:5]
def name(e):
    return "OK" if e is None else errno.errorcode.get(e, str(e))
def expected(f, data, state):
    if f == "probe":
        return {"EEXIST"} if data == present.encode() else {"EINVAL"}
    if data == b"online_movable":
        return {"OK"} if state == "offline" else {"EINVAL"}
    if state == "offline":
        return {"EINVAL"} if f.endswith("state") else {"OK"}
    return {"OK", "EBUSY"}
writes = [("%s/state" % block, b"online_movable"), ("%s/state" % block, b"offline"),
          ("%s/state" % block, b"online_movable"), ("%s/online" % block, b"0"),
          ("probe", present.encode()), ("probe", b"0x1001")]
ok = {"before": 0, "during": 0, "after": 0}
# Successes per write (its index in writes) and phase.
each = {}
n, busy, bad, rounds = 0, 0, [], 0
while not os.path.exists(stop):
    for i, (f, data) in enumerate(writes):
        phase = ("after" if os.path.exists(stop + ".done") else
                 "during" if os.path.exists(stop + ".rmmod") else "before")
        with open(os.path.join(mem, block, "state")) as s:
            state = s.read().strip()
        try:
            fd = os.open(os.path.join(mem, f), os.O_WRONLY)
            try:
                os.write(fd, data)
                e = None
            finally:
                os.close(fd)
        except OSError as x:
            e = x.errno
        n += 1
        if name(e) not in expected(f, data, state):
            bad.append("%s %s in state %s: %s, want %s" % (f, data.decode(), state, name(e),
                                                           "/".join(sorted(expected(f, data, state)))))
        elif e is None:
            ok[phase] += 1
            each[(i, phase)] = each.get((i, phase), 0) + 1
        elif e == errno.EBUSY:
            busy += 1
    rounds += 1
    if rounds == 1:
        open(stop + ".running", "w").close()
    if phase == "after":
        with open(stop + ".after.t", "w") as a:
            a.write("%d\n" % ok["after"])
        os.rename(stop + ".after.t", stop + ".after")
# The writes that can succeed (the state and online writes) that never
# succeeded before the rmmod, or after it.
for i, (f, data) in enumerate(writes[:4]):
    for phase in ("before", "after"):
        if not each.get((i, phase)):
            bad.append("%s %s never succeeded %s the rmmod" % (f, data.decode(), phase))
if busy > n // 50 + 1:
    bad.append("%d writes refused with EBUSY, over the budget of %d" % (busy, n // 50 + 1))
print(n, busy, ok["before"], ok["during"], ok["after"], len(bad), *bad[:10])
PY
hammer=$!
started() { [ -e "$stop.running" ]; }
wait_for 30 started || echo "rust-lifecycle: the writer did not say it runs within 30 s" >&2
served "rust-lifecycle: the writes before the rmmod" rust state_store probe_store online offline
t0=$(date +%s%N)
touch "$stop.rmmod"
r=$(rmmod_retry $DRV 2>&1; echo "rc=$?")
touch "$stop.done"
t1=$(date +%s%N)
served_mark
enough() { [ "$(cat "$stop.after" 2>/dev/null || echo 0)" -ge 20 ]; }
wait_for 60 enough || echo "rust-lifecycle: the writer made fewer than 20 successful writes in 60 s after the rmmod" >&2
touch "$stop"
wait $hammer
read -r n busy s_before s_during s_after nbad rest < "$stop.out"
expect "rust-lifecycle: rmmod $DRV while a writer hammers state, online and probe ($(( (t1 - t0) / 1000000 )) ms)" "$r" "rc=0"
if [ "${nbad:-x}" = 0 ] && [ "${s_before:-0}" -gt 0 ] && [ "${s_after:-0}" -gt 0 ]; then
	tap_ok "rust-lifecycle: $n writes around the rmmod, each with the built-in driver's result for the block's state, each state and online write successful before and after it: $s_before successes before the rmmod, $s_during during it, $s_after after it; $busy offlines refused with EBUSY (budget $((n / 50 + 1)))"
else
	tap_not_ok "rust-lifecycle: writes around the rmmod give the built-in driver's result for the block's state, with successes before and after it" \
		"writes: ${n:-?}, successes before/during/after: ${s_before:-?}/${s_during:-?}/${s_after:-?}, EBUSY: ${busy:-?}" \
		"unexpected results: ${nbad:-?}: ${rest:-}"
fi
served "rust-lifecycle: the writes after the rmmod" c state_store probe_store online offline
rm -f "$stop" "$stop".*

# Back: $hblock offline, the page unpoisoned, virtio-mem unplugged.
[ "$(cat $MEM/$hblock/state)" = offline ] || sysfs_write $MEM/$hblock/state offline > /dev/null
expect "rust-lifecycle: $hblock offline again, $movable still online" "$(cat $MEM/$hblock/state $MEM/$movable/state | tr '\n' ' ')" "offline online "
expect "rust-lifecycle: unpoison the soft-offlined page of $movable" \
	"$(sysfs_write $UNPOISON "$(printf '0x%x' $pfn)")" OK
expect "rust-lifecycle: HardwareCorrupted back to its value before the test" "$(hw_corrupted_kb)" "$hwc0"
expect "rust-lifecycle: virtio-mem unplugs" "$(virtio_mem_request 0)" '{"return": {}}'
gone() { [ ! -e "$MEM/$vmb" ]; }
wait_for 120 gone
expect "rust-lifecycle: $vmb removed" "$(ls -d $MEM/$vmb 2>&1 | grep -c 'No such')" 1
echo "$auto0" > $MEM/auto_online_blocks
