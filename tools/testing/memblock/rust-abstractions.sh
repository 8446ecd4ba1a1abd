#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The Rust abstractions (kernel::memory, kernel::sysfs) at work, through
# memblock_rust_test.ko (tools/testing/memblock/rust, built by
# host/rust-check.sh): while loaded it is the memory block provider and
# serves every block's phys_index and state (online and offline in the
# order device hotplug lock -> memory hotplug lock -> block lock, as the
# types allow), the root's probe, and the online and offline operations,
# counting what it served (logged at unload).  The files must give what
# the built-in ones give, and the errno the built-in driver gives for bad
# input; a second provider must get EBUSY.
. "$(dirname "$0")/lib.sh"
EXT=${1:?usage: rust-abstractions.sh MODULE_DIR}
MOD=memblock_rust_test
progress "rust: the Rust abstractions through $MOD"

if [ ! -f "$EXT/$MOD.ko" ]; then
	tap_not_ok "rust: $MOD.ko was built" "not found in $EXT: host/rust-check.sh builds it"
	exit 0
fi
bs=$(block_size)
auto=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
# A block of the RAM past mem= (memory32-39) that is not present.
id=
for i in $(seq $((0x100000000 / bs)) $((0x13fffffff / bs))); do
	[ -e "$MEM/memory$i" ] || { id=$i; break; }
done
if [ -z "$id" ]; then
	tap_not_ok "rust: a free block in memory32-39 to probe" "all present: $(memory_blocks | tr '\n' ' ')"
	exit 0
fi
addr=$(printf '0x%x' $((id * bs)))

# What the built-in files say, before.
declare -A phys state
for b in $(memory_blocks); do
	read_text "phys[$b]" "$MEM/$b/phys_index"
	read_text "state[$b]" "$MEM/$b/state"
done

mark=$(dmesg | wc -l)
expect "rust: insmod $MOD" "$(insmod "$EXT/$MOD.ko" 2>&1; echo "rc=$?")" "rc=0"
expect "rust: $MOD says it serves the blocks" \
	"$(dmesg_since "$mark" | grep -c "$MOD: serving the memory blocks")" 1
expect "rust: memory block devices served by $MOD" \
	"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by $MOD\$")" 1
# Its init first registers a provider and unregisters it while holding the
# memory hotplug lock, which the C side refuses (a page offline store in
# flight could be waiting for the lock): the registration comes back, and
# is dropped after the lock.
expect "rust: a provider unregistered under the memory hotplug lock -> EDEADLK, then unregistered after it" \
	"$(dmesg_since "$mark" | grep -c "$MOD: unregister under the memory hotplug lock: EDEADLK\$") $(dmesg_since "$mark" | grep -c "memory: memory block devices served by $MOD""_temp\$")" "1 1"
# Its auto_online_blocks store registers a provider from a provider's
# callback, which the C side refuses before anything else.
aob=$(cat $MEM/auto_online_blocks)
expect "rust: a provider registered from a provider's callback -> EDEADLK" \
	"$(sysfs_write $MEM/auto_online_blocks online_movable)" EDEADLK
# (Were it registered, the store would set the policy.)
expect "rust: auto_online_blocks unchanged by the refused write" "$(cat $MEM/auto_online_blocks)" "$aob"

r=$(modprobe test_memory_block_provider 2>&1; echo "rc=$?")
case "$r" in
*"Device or resource busy"*"rc=1") tap_ok "rust: a second provider (test_memory_block_provider) gets EBUSY" ;;
*) tap_not_ok "rust: a second provider (test_memory_block_provider) gets EBUSY" "$r" ;;
esac

# Every block: the files Rust serves show what the built-in ones showed.
nblocks=$(memory_blocks | wc -l)
bad=()
for b in $(memory_blocks); do
	read_text p "$MEM/$b/phys_index"
	read_text s "$MEM/$b/state"
	[ "$p" = "${phys[$b]}" ] || bad+=("$b: phys_index '$p', was '${phys[$b]}' under C")
	[ "$s" = "${state[$b]}" ] || bad+=("$b: state '$s', was '${state[$b]}' under C")
done
if [ ${#bad[@]} = 0 ]; then
	tap_ok "rust: phys_index and state of all $nblocks blocks, served by Rust, are what C served"
else
	tap_not_ok "rust: phys_index and state of all blocks, served by Rust, are what C served" "${bad[@]}"
fi
expect "rust: modes (phys_index, state, probe) unchanged" \
	"$(stat -c %a $MEM/memory0/phys_index $MEM/memory0/state $MEM/probe | tr '\n' ' ')" \
	"444 644 200 "

# probe: bad input, then a hot-add, then the same block again.
before=$(memory_blocks)
expect "rust: probe 'foo' -> EINVAL" "$(sysfs_write $MEM/probe foo)" EINVAL
expect "rust: probe $addr+4096 (not block-aligned) -> EINVAL" \
	"$(sysfs_write $MEM/probe "$(printf '0x%x' $((id * bs + 4096)))")" EINVAL
# The module's soft_offline_page serves the file as C's does (an address
# with no memory: ENXIO from soft_offline_page(); counted below).
expect "rust: soft_offline_page of an address with no memory -> ENXIO" \
	"$(sysfs_write $MEM/soft_offline_page 0x7ffff0000000)" ENXIO
# The module's hard_offline_page asks for a hard offline with the memory
# hotplug lock held: refused before memory_failure() runs (an address with
# no memory, which memory_failure() would refuse with ENXIO).
hwc0=$(hw_corrupted_kb)
expect "rust: memory_failure() with the memory hotplug lock held -> EDEADLK" \
	"$(sysfs_write $MEM/hard_offline_page 0x7ffff0000000)" EDEADLK
expect "rust: no block added by the rejected writes, no page poisoned" \
	"$(blocks_added "$before") $(( $(hw_corrupted_kb) - hwc0 ))" " 0"
expect "rust: probe $addr" "$(sysfs_write $MEM/probe "$addr")" OK
expect "rust: memory$id added" "$(blocks_added "$before")" "memory$id"
# The module's probe then removed memory$id through the handle probe gave
# (Probed::remove), under another guard, added it again, removed that with
# remove_memory() behind the new handle's back, added the range once more,
# and asked the stale handle to remove it: the device is not the one the
# handle was made for, though the range is, so ENOENT.
expect "rust: Probed::remove of its own block, and ENOENT from a stale handle to the same range" \
	"$(dmesg_since "$mark" | grep -c "$MOD: probe $addr: the stale handle: ENOENT\$")" 1
expect "rust: probe $addr again -> EEXIST" "$(sysfs_write $MEM/probe "$addr")" EEXIST
b=$MEM/memory$id
rust_phys=$(cat $b/phys_index)
expect "rust: memory$id is offline" "$(cat $b/state)" offline

# state: bad words, then online_movable and offline, seen in MemTotal
# and in the driver core's online file.
t0=$(mem_total_kb)
for w in bogus Online "online_movable x" ""; do
	expect "rust: state '$w' -> EINVAL" "$(sysfs_write $b/state "$w")" EINVAL
done
expect "rust: offline memory$id while offline -> EINVAL" "$(sysfs_write $b/state offline)" EINVAL
expect "rust: memory$id unchanged by the rejected writes" "$(cat $b/state) $(mem_total_kb)" "offline $t0"
# A uevent listener sees the ONLINE and OFFLINE the block lock's online()
# and offline() send.
events=$(mktemp)
udevadm monitor --kernel --subsystem-match=memory > "$events" 2>&1 &
monitor=$!
wait_for 10 grep -q 'monitor will print' "$events"
expect "rust: online_movable memory$id through state" "$(sysfs_write $b/state online_movable)" OK
expect "rust: memory$id is online (state, online)" "$(cat $b/state) $(cat $b/online)" "online 1"
expect "rust: MemTotal grew by one block" "$(( ($(mem_total_kb) - t0) * 1024 ))" "$bs"
expect "rust: online memory$id while online -> EINVAL" "$(sysfs_write $b/state online)" EINVAL
expect "rust: offline memory$id through state" "$(sysfs_write $b/state offline)" OK
wait_for 10 grep -q "offline .*/memory$id (memory)" "$events"
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
expect "rust: uevents seen for memory$id" \
	"$(sed -nE "s/^KERNEL\[[0-9. ]+\] ([a-z]+) +\/devices\/system\/memory\/memory$id \(memory\)$/\1/p" "$events" | tr '\n' ' ')" \
	"online offline "
rm -f "$events"
expect "rust: memory$id is offline (state, online)" "$(cat $b/state) $(cat $b/online)" "offline 0"
expect "rust: MemTotal back" "$(mem_total_kb)" "$t0"

# Contention: one task onlines and offlines memory$id through state
# while another reads every block's state; both take the device hotplug
# lock with lock_device_hotplug_sysfs(), so each sees it taken by the other
# at times and restarts its system call (ERESTARTNOINTR), which userspace
# must never see: every write succeeds, every read gives a state.
res=$(/usr/bin/python3 - "$b/state" "$MEM" <<'PY'
import collections, glob, os, sys, threading, time
state, mem = sys.argv[1], sys.argv[2]
end = time.time() + 5
seen = collections.Counter()
def writer():
    words = ["online_movable", "offline"]
    i = 0
    while time.time() < end:
        try:
            fd = os.open(state, os.O_WRONLY)
            try:
                os.write(fd, (words[i % 2] + "\n").encode())
            finally:
                os.close(fd)
            seen["write ok"] += 1
            i += 1
        except OSError as e:
            seen["write errno %d" % e.errno] += 1
def reader():
    while time.time() < end:
        for f in glob.glob(mem + "/memory*/state"):
            try:
                with open(f) as fh:
                    v = fh.read().strip()
                seen["read ok" if v in ("online", "offline", "going-offline") else "read " + v] += 1
            except OSError as e:
                seen["read errno %d" % e.errno] += 1
threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
for t in threads: t.start()
for t in threads: t.join()
# End offline.
if open(state).read().strip() != "offline":
    with open(state, "w") as fh: fh.write("offline\n")
print(" ".join("%s=%d" % kv for kv in sorted(seen.items())))
PY
)
if [[ "$res" =~ ^read\ ok=[0-9]+\ write\ ok=[0-9]+$ ]]; then
	tap_ok "rust: 5 s of state writes and reads at once, no error seen ($res)"
else
	tap_not_ok "rust: 5 s of state writes and reads at once, no error seen" "$res"
fi
expect "rust: memory$id offline after it, MemTotal back" "$(cat $b/state) $(mem_total_kb)" "offline $t0"

mark=$(dmesg | wc -l)
expect "rust: rmmod $MOD" "$(rmmod_retry $MOD 2>&1; echo "rc=$?")" "rc=0"
expect "rust: the built-in driver serves the blocks again" \
	"$(dmesg_since "$mark" | grep -c 'memory: memory block devices served by the built-in driver')" 1
# What the module counted: one probe, the onlines and offlines of memory$id
# through its operations, every block's files read at least once.
served=$(dmesg_since "$mark" | sed -n "s/.*$MOD: served //p")
read -r _ _ pshow _ _ sshow _ sstore _ nprobe _ non _ noff _ nsoft <<< "$served"
if [ "${nprobe:-}" = 1 ] && [ "${pshow:-0}" -ge "$nblocks" ] && [ "${sshow:-0}" -ge "$nblocks" ] &&
	[ "${sstore:-0}" -ge 4 ] && [ "${non:-0}" -ge 2 ] && [ "${noff:-0}" -ge 2 ] &&
	[ "${nsoft:-}" = 1 ]; then
	tap_ok "rust: Rust served the files and operations ($served)"
else
	tap_not_ok "rust: Rust served the files and operations (probe 1, a read of each block, >= 4 state writes, >= 2 onlines and offlines, 1 soft_offline_page)" \
		"served: '$served'"
fi
expect "rust: memory$id is offline under the built-in driver" "$(cat $b/state 2>&1)" offline
expect "rust: memory$id phys_index was the built-in phys_index" "$rust_phys" "$(cat $b/phys_index 2>&1)"
echo "$auto" > $MEM/auto_online_blocks

# A provider whose module goes away registered (the safe-Rust leak: a
# Registration forgotten, or never unregistered): memblock_rust_leak.ko
# serves every block's phys_index and leaves its provider registered at
# rmmod.  The C side unregisters it as the module goes, with a warning, and
# the built-in driver serves the files after: read them all (a call into
# the freed module, whose vmalloc'ed memory is unmapped, would oops: the
# splat scan).
LEAK=memblock_rust_leak
served_setup
mark=$(dmesg | wc -l)
expect "rust: insmod $LEAK" "$(insmod "$EXT/$LEAK.ko" 2>&1; echo "rc=$?")" "rc=0"
expect "rust: memory block devices served by $LEAK" \
	"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by $LEAK\$")" 1
served_mark
bad=()
for b in "${!phys[@]}"; do
	p=$(cat "$MEM/$b/phys_index" 2>&1)
	[ "$p" = "${phys[$b]}" ] || bad+=("$b: phys_index '$p', was '${phys[$b]}' under C")
done
expect "rust: phys_index of the blocks present at the start, served by $LEAK, is what C served" "${bad[*]}" ""
expect "rust: ... and memory.c's phys_index_show did not run" \
	"$(served_since | grep -c '^c_phys_index_show ')" 0
expect "rust: rmmod $LEAK, which leaves its provider registered" \
	"$(rmmod_retry $LEAK 2>&1; echo "rc=$?")" "rc=0"
served=$(dmesg_since "$mark" | sed -n "s/.*$LEAK: served phys_index show \([0-9]*\); going away with the provider registered\$/\1/p")
if [ -n "$served" ] && [ "$served" -ge "${#phys[@]}" ]; then
	tap_ok "rust: $LEAK served the reads ($served phys_index shows) and went away registered"
else
	tap_not_ok "rust: $LEAK served the reads and went away registered" "served: '$served'"
fi
expect "rust: the C side unregistered it as the module went, with a warning" \
	"$(dmesg_since "$mark" | grep -c "memory: module $LEAK went away without unregistering memory block provider $LEAK")" 1
served_mark
mapfile -t bad < <(unreadable_files $MEM/* $MEM/memory*/*)
expect "rust: every readable file of the memory devices reads after it" "${bad[*]}" ""
served "rust: phys_index after $LEAK went" c phys_index_show
mark=$(dmesg | wc -l)
expect "rust: $LEAK loads again (no provider left registered), and goes again" \
	"$(insmod "$EXT/$LEAK.ko" 2>&1; echo "rc=$?") $(rmmod_retry $LEAK 2>&1; echo "rc=$?") $(dmesg_since "$mark" | grep -c "memory: module $LEAK went away without unregistering")" \
	"rc=0 rc=0 1"

# A provider registered for a module going away: memblock_rust_init_fails.ko
# registers its provider (serving every block's state), waits for a write
# to a block's state, and fails its init with that store in flight, which
# the C side's unregistration (its module notifier) waits for; meanwhile a
# work item of the module registers a second provider, from outside any
# callback.  The C side must refuse it (ENODEV), or the second provider
# would outlive the module's memory: the reads after would call freed code.
INITF=memblock_rust_init_fails
mark=$(dmesg | wc -l)
insmod "$EXT/$INITF.ko" > /tmp/$INITF.out 2>&1 &
insmod_pid=$!
wait_for 30 sh -c "dmesg | tail -n +$((mark + 1)) | grep -q '$INITF: registered; waiting'"
expect "rust: $INITF: a write to memory0/state held in its store, refused" \
	"$(sysfs_write $MEM/memory0/state online)" EBUSY
wait "$insmod_pid"
expect "rust: $INITF: insmod fails (its init returns EAGAIN with the store in flight)" \
	"$? $(grep -c 'Resource temporarily unavailable' /tmp/$INITF.out)" "1 1"
expect "rust: $INITF: a second provider registered by a work item of the going module -> ENODEV" \
	"$(dmesg_since "$mark" | grep -c "$INITF: second provider refused: ENODEV\$")" 1
expect "rust: $INITF: the C side unregistered the first as the module went, with a warning" \
	"$(dmesg_since "$mark" | grep -c "memory: module $INITF went away without unregistering memory block provider $INITF;")" 1
served_mark
mapfile -t bad < <(unreadable_files $MEM/* $MEM/memory*/*)
expect "rust: $INITF: every readable file of the memory devices reads after it" "${bad[*]}" ""
served "rust: state after $INITF went" c state_show
