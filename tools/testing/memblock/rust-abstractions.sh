#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The Rust abstractions (kernel::memory, kernel::sysfs) at work, through
# memblock_rust_test.ko (tools/testing/memblock/rust, built by
# host/rust-check.sh): while loaded it serves every block with two files of
# its own, rust_phys_index (read-only) and rust_state (read-write, online
# and offline in the order device hotplug lock -> memory hotplug lock ->
# block lock, as the types allow), and adds rust_probe (write-only, hot-add)
# to the memory root.  They must give what the built-in files give, and
# the errno the built-in driver gives for bad input.
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
	phys[$b]=$(cat "$MEM/$b/phys_index")
	state[$b]=$(cat "$MEM/$b/state")
done

mark=$(dmesg | wc -l)
expect "rust: insmod $MOD" "$(insmod "$EXT/$MOD.ko" 2>&1; echo "rc=$?")" "rc=0"
expect "rust: $MOD says it serves the blocks" \
	"$(dmesg_since "$mark" | grep -c "$MOD: serving the memory blocks")" 1
expect "rust: memory block devices served by $MOD" \
	"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by $MOD")" 1

# Every block: the Rust files show what the built-in ones showed; the
# built-in files are gone (the provider's groups replace them).
bad=()
for b in $(memory_blocks); do
	p=$(cat "$MEM/$b/rust_phys_index" 2>&1)
	s=$(cat "$MEM/$b/rust_state" 2>&1)
	[ "$p" = "${phys[$b]}" ] || bad+=("$b: rust_phys_index '$p', phys_index was '${phys[$b]}'")
	[ "$s" = "${state[$b]}" ] || bad+=("$b: rust_state '$s', state was '${state[$b]}'")
	[ -e "$MEM/$b/phys_index" ] && bad+=("$b: the built-in phys_index is still there")
done
if [ ${#bad[@]} = 0 ]; then
	tap_ok "rust: rust_phys_index and rust_state of all $(memory_blocks | wc -l) blocks match the built-in files"
else
	tap_not_ok "rust: rust_phys_index and rust_state of all blocks match the built-in files" "${bad[@]}"
fi
expect "rust: modes (rust_phys_index, rust_state, rust_probe)" \
	"$(stat -c %a $MEM/memory0/rust_phys_index $MEM/memory0/rust_state $MEM/rust_probe | tr '\n' ' ')" \
	"444 644 200 "

# rust_probe: bad input, then a hot-add, then the same block again.
before=$(memory_blocks)
expect "rust: rust_probe 'foo' -> EINVAL" "$(sysfs_write $MEM/rust_probe foo)" EINVAL
expect "rust: rust_probe $addr+4096 (not block-aligned) -> EINVAL" \
	"$(sysfs_write $MEM/rust_probe "$(printf '0x%x' $((id * bs + 4096)))")" EINVAL
expect "rust: no block added by the rejected writes" "$(blocks_added "$before")" ""
expect "rust: rust_probed is 0" "$(cat $MEM/rust_probed)" 0
expect "rust: rust_probe $addr" "$(sysfs_write $MEM/rust_probe "$addr")" OK
expect "rust: memory$id added" "$(blocks_added "$before")" "memory$id"
expect "rust: rust_probe $addr again -> EEXIST" "$(sysfs_write $MEM/rust_probe "$addr")" EEXIST
expect "rust: rust_probed is 1 (the failed writes did not count)" "$(cat $MEM/rust_probed)" 1
b=$MEM/memory$id
rust_phys=$(cat $b/rust_phys_index)
expect "rust: memory$id is offline" "$(cat $b/rust_state)" offline

# rust_state: bad words, then online_movable and offline, seen in MemTotal
# and in the driver core's online file.
t0=$(mem_total_kb)
for w in bogus Online "online_movable x" ""; do
	expect "rust: rust_state '$w' -> EINVAL" "$(sysfs_write $b/rust_state "$w")" EINVAL
done
expect "rust: offline memory$id while offline -> EINVAL" "$(sysfs_write $b/rust_state offline)" EINVAL
expect "rust: memory$id unchanged by the rejected writes" "$(cat $b/rust_state) $(mem_total_kb)" "offline $t0"
# A uevent listener sees the ONLINE and OFFLINE the block lock's online()
# and offline() send.
events=$(mktemp)
udevadm monitor --kernel --subsystem-match=memory > "$events" 2>&1 &
monitor=$!
wait_for 10 grep -q 'monitor will print' "$events"
expect "rust: online_movable memory$id through rust_state" "$(sysfs_write $b/rust_state online_movable)" OK
expect "rust: memory$id is online (rust_state, online)" "$(cat $b/rust_state) $(cat $b/online)" "online 1"
expect "rust: MemTotal grew by one block" "$(( ($(mem_total_kb) - t0) * 1024 ))" "$bs"
expect "rust: online memory$id while online -> EINVAL" "$(sysfs_write $b/rust_state online)" EINVAL
expect "rust: offline memory$id through rust_state" "$(sysfs_write $b/rust_state offline)" OK
wait_for 10 grep -q "offline .*/memory$id (memory)" "$events"
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
expect "rust: uevents seen for memory$id" \
	"$(sed -nE "s/^KERNEL\[[0-9. ]+\] ([a-z]+) +\/devices\/system\/memory\/memory$id \(memory\)$/\1/p" "$events" | tr '\n' ' ')" \
	"online offline "
rm -f "$events"
expect "rust: memory$id is offline (rust_state, online)" "$(cat $b/rust_state) $(cat $b/online)" "offline 0"
expect "rust: MemTotal back" "$(mem_total_kb)" "$t0"

# Contention: one task onlines and offlines memory$id through rust_state
# while another reads every block's rust_state; both take the device hotplug
# lock with lock_device_hotplug_sysfs(), so each sees it taken by the other
# at times and restarts its system call (ERESTARTNOINTR), which userspace
# must never see: every write succeeds, every read gives a state.
res=$(/usr/bin/python3 - "$b/rust_state" "$MEM" <<'PY'
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
        for f in glob.glob(mem + "/memory*/rust_state"):
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
	tap_ok "rust: 5 s of rust_state writes and reads at once, no error seen ($res)"
else
	tap_not_ok "rust: 5 s of rust_state writes and reads at once, no error seen" "$res"
fi
expect "rust: memory$id offline after it, MemTotal back" "$(cat $b/rust_state) $(mem_total_kb)" "offline $t0"

mark=$(dmesg | wc -l)
expect "rust: rmmod $MOD" "$(rmmod $MOD 2>&1; echo "rc=$?")" "rc=0"
expect "rust: the built-in driver serves the blocks again" \
	"$(dmesg_since "$mark" | grep -c 'memory: memory block devices served by the built-in driver')" 1
expect "rust: rust_probe is gone" "$(ls $MEM/rust_probe 2>&1 | grep -c 'No such file')" 1
expect "rust: memory$id is offline under the built-in driver" "$(cat $b/state 2>&1)" offline
expect "rust: memory$id rust_phys_index was the built-in phys_index" "$rust_phys" "$(cat $b/phys_index 2>&1)"
echo "$auto" > $MEM/auto_online_blocks
