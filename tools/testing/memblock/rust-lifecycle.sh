#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The Rust driver's load and unload, with blocks in every state:
#  - blocks offline, online (boot memory, in no single zone), online
#    movable, online in a virtio-mem memory group, one with a page
#    soft-offlined: modprobe changes nothing in the sysfs dump;
#  - a second copy of the module is refused (EEXIST), and so is a second
#    provider (EBUSY), with nothing changed;
#  - rmmod while writers hammer state, online and probe completes, and no
#    write fails with an errno the built-in driver would not give (EINVAL:
#    already in that state or a bad address, EBUSY: pages not migrated,
#    EEXIST: a present block).
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
DRV=rust_memory_block
DEV=${VIRTIO_MEM_ID:-vm0}
UNPOISON=/sys/kernel/debug/hwpoison/unpoison-pfn
progress "rust-lifecycle: $DRV loaded and unloaded with blocks in every state"
modprobe hwpoison_inject 2> /dev/null
bs=$(block_size)
auto0=$(cat $MEM/auto_online_blocks)
request() {
	qmp '{"execute": "qom-set", "arguments": {"path": "/machine/peripheral/'$DEV'", "property": "requested-size", "value": '$1'}}'
}

# The states: a virtio-mem block online in its group, a page soft-offlined
# in an online movable block, and whatever the suite left (offline and
# online movable probed blocks, boot memory).
before=$(memory_blocks)
echo online_movable > $MEM/auto_online_blocks
expect "rust-lifecycle: virtio-mem plugs one block" "$(request $bs)" '{"return": {}}'
vm_block() { [ -n "$(blocks_added "$before")" ] && [ "$(cat $MEM/$(blocks_added "$before" | head -1)/state)" = online ]; }
wait_for 120 vm_block
vmb=$(blocks_added "$before" | head -1)
movable=
for b in $(memory_blocks); do
	[ "$b" != "$vmb" ] && [ "$(cat $MEM/$b/valid_zones)" = Movable ] && { movable=$b; break; }
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
states=$(for b in $(memory_blocks); do printf '%s %s %s\n' "$b" "$(cat $MEM/$b/state)" "$(cat $MEM/$b/valid_zones)"; done)
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
got=$(bash "$DIR/dump.sh")
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

# rmmod under writers.
stop=$(mktemp -u /tmp/lifecycle.XXXXXX)
/usr/bin/python3 - "$MEM" "$stop" "$hblock" "$(printf '0x%x' $((16#$(cat $MEM/$hblock/phys_index) * bs)))" <<'PY' > "$stop.out" &
import errno, os, sys
mem, stop, block, present = sys.argv[1:5]
ok = {errno.EINVAL, errno.EBUSY, errno.EEXIST}
n, bad = 0, []
# online through "online" would pick the default zone, Normal: a later
# offline could fail for good (kernel allocations); onlines go to Movable.
writes = [("%s/state" % block, b"online_movable"), ("%s/state" % block, b"offline"),
          ("%s/state" % block, b"online_movable"), ("%s/online" % block, b"0"),
          ("probe", present.encode()), ("probe", b"0x1001")]
while not os.path.exists(stop):
    for name, data in writes:
        try:
            fd = os.open(os.path.join(mem, name), os.O_WRONLY)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as e:
            if e.errno not in ok:
                bad.append("%s %s: %s" % (name, data.decode(), errno.errorcode.get(e.errno)))
        n += 1
print(n, len(bad), *bad[:10])
PY
hammer=$!
sleep 3
t0=$(date +%s%N)
r=$(rmmod $DRV 2>&1; echo "rc=$?")
t1=$(date +%s%N)
sleep 3
touch "$stop"
wait $hammer
read -r n nbad rest < "$stop.out"
expect "rust-lifecycle: rmmod $DRV while writers hammer state, online and probe ($(( (t1 - t0) / 1000000 )) ms)" "$r" "rc=0"
if [ "${nbad:-x}" = 0 ] && [ "${n:-0}" -gt 0 ]; then
	tap_ok "rust-lifecycle: $n writes around the rmmod, none failed but with EINVAL, EBUSY or EEXIST"
else
	tap_not_ok "rust-lifecycle: writes around the rmmod failed only with EINVAL, EBUSY or EEXIST" \
		"writes: ${n:-?}, other errnos: ${nbad:-?}: ${rest:-}"
fi
rm -f "$stop" "$stop.out"

# Back: $hblock offline, the page unpoisoned, virtio-mem unplugged.
[ "$(cat $MEM/$hblock/state)" = offline ] || sysfs_write $MEM/$hblock/state offline > /dev/null
expect "rust-lifecycle: $hblock offline again, $movable still online" "$(cat $MEM/$hblock/state $MEM/$movable/state | tr '\n' ' ')" "offline online "
{ printf '0x%x' $pfn > $UNPOISON; } 2> /dev/null
expect "rust-lifecycle: virtio-mem unplugs" "$(request 0)" '{"return": {}}'
gone() { [ ! -e "$MEM/$vmb" ]; }
wait_for 120 gone
expect "rust-lifecycle: $vmb removed" "$(ls -d $MEM/$vmb 2>&1 | grep -c 'No such')" 1
echo "$auto0" > $MEM/auto_online_blocks
