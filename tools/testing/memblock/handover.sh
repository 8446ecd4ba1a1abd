#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Hand-overs: HANDOVERS (200) insmod/rmmod cycles of rust_memory_block
# with blocks in every state:
#  - O offline, M online movable with a soft-offlined (poisoned) page, K
#    online in Normal, a virtio-mem block online in its memory group, and
#    T, which a writer offlines and onlines all along (an offline of T is
#    in flight at the time of some rmmods: counted);
#  - every 10th cycle a probe of a free block, every 10th + 5 an offline
#    or online of O, while the module is loaded;
#  - a reader of every file of every block and of the root all along.
# Then: every insmod and rmmod succeeded (cycles per second), no read
# failed, the writer got only what the built-in driver gives, every
# block's state is what the writes made it, MemTotal and HardwareCorrupted
# are exact, kmemleak finds nothing, and the module's memory did not grow
# (/proc/vmallocinfo: its areas while loaded are the same at the last load
# as at the first, and none is left after the last rmmod).
. "$(dirname "$0")/lib.sh"
DRV=rust_memory_block
N=${HANDOVERS:-200}
UNPOISON=/sys/kernel/debug/hwpoison/unpoison-pfn
KMEMLEAK=/sys/kernel/debug/kmemleak
progress "handover: $N insmod/rmmod cycles of $DRV with blocks in every state, a reader and a writer"
modprobe hwpoison_inject 2> /dev/null
served_setup
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null
bs=$(block_size)
auto0=$(cat $MEM/auto_online_blocks)
hwc0=$(hw_corrupted_kb)
ko=$(modinfo -n $DRV)

# The blocks: a virtio-mem one (plugged with auto_online_blocks
# online_movable), then O, M, K and T from memory32-39 (free ones probed
# offline, present ones offline or online movable taken), the rest free
# for the probes.
before=$(memory_blocks)
echo online_movable > $MEM/auto_online_blocks
r=$(virtio_mem_request $bs)
vm_block() { [ -n "$(blocks_added "$before")" ] && [ "$(cat $MEM/$(blocks_added "$before" | head -1)/state)" = online ]; }
wait_for 120 vm_block
vmb=$(blocks_added "$before" | head -1)
echo offline > $MEM/auto_online_blocks
roles=() free=()
for i in $(seq $((0x100000000 / bs)) $((0x13fffffff / bs))); do
	b=$MEM/memory$i
	if [ ${#roles[@]} -ge 4 ]; then
		[ -e "$b" ] || free+=("$i")
		continue
	fi
	[ -e "$b" ] || [ "$(sysfs_write $MEM/probe "$(printf '0x%x' $((i * bs)))")" = OK ] || continue
	case "$(cat $b/state) $(cat $b/valid_zones)" in
	offline*) roles+=("memory$i") ;;
	"online Movable") [ "$(sysfs_write $b/state offline)" = OK ] && roles+=("memory$i") ;;
	esac
done
O=${roles[0]:-} M=${roles[1]:-} K=${roles[2]:-} T=${roles[3]:-}
if [ -z "$T" ]; then
	tap_not_ok "handover: four blocks of memory32-39 offline or online movable, a virtio-mem block" \
		"roles: ${roles[*]}; virtio-mem: $r ${vmb:-none}"
	virtio_mem_request 0 > /dev/null
	echo "$auto0" > $MEM/auto_online_blocks
	exit 0
fi
r1=$(sysfs_write $MEM/$K/state online_kernel) r2=$(sysfs_write $MEM/$M/state online_movable)
r3=$(sysfs_write $MEM/$T/state online_movable)
pfn=$(( 16#$(cat $MEM/$M/phys_index) * bs / 4096 + 7 ))
r4=$(sysfs_write $MEM/soft_offline_page "$(printf '0x%x' $((pfn * 4096)))")
expect "handover: $O offline, $M online movable with page $(printf '0x%x' $pfn) soft-offlined, $K online in Normal, $T online movable, $vmb online in a virtio-mem group" \
	"$r1 $r2 $r3 $r4 $(cat $MEM/$O/state $MEM/$M/state $MEM/$K/state $MEM/$K/valid_zones $MEM/$T/state $MEM/$vmb/state | tr '\n' ' ')" \
	"OK OK OK OK offline online online Normal online online "
hwc1=$(hw_corrupted_kb)
total1=$(mem_total_kb)
declare -A want
for b in $(memory_blocks); do want[$b]=$(cat $MEM/$b/state); done
online_delta=0   # blocks onlined (+) and offlined (-) by the cycles' writes

tmp=$(mktemp -d /tmp/handover.XXXXXX)
# The reader: every file of every block and of the root; no read may fail
# (no block is removed while it runs).
/usr/bin/python3 - "$MEM" "$tmp" <<'PY' &
import glob, os, sys
mem, tmp = sys.argv[1:3]
n, bad = 0, []
while not os.path.exists(tmp + "/stop"):
    for p in [mem + "/auto_online_blocks", mem + "/block_size_bytes"] + glob.glob(mem + "/memory*/*"):
        if os.path.basename(p) not in ("state", "valid_zones", "phys_index", "phys_device", "removable",
                                       "online", "auto_online_blocks", "block_size_bytes"):
            continue
        try:
            with open(p) as f:
                f.read()
            n += 1
        except OSError as e:
            if len(bad) < 10:
                bad.append("%s: %s" % (p, os.strerror(e.errno)))
with open(tmp + "/reader", "w") as f:
    f.write("%d %d %s\n" % (n, len(bad), "; ".join(bad)))
PY
reader=$!
# The writer: T offline and online_movable in turn through state; the
# file TMP/offline exists while its offline write is in flight.
/usr/bin/python3 - "$MEM/$T/state" "$tmp" <<'PY' &
import errno, os, sys
path, tmp = sys.argv[1:3]
flag = tmp + "/offline"
n, busy, ok, bad, state = 0, 0, 0, [], "online"
while not os.path.exists(tmp + "/stop"):
    data = b"offline" if state == "online" else b"online_movable"
    if data == b"offline":
        open(flag, "w").close()
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        state = "offline" if data == b"offline" else "online"
        ok += 1
    except OSError as e:
        if e.errno == errno.EBUSY and data == b"offline":
            busy += 1
        elif len(bad) < 10:
            bad.append("%s: %s" % (data.decode(), os.strerror(e.errno)))
    if data == b"offline":
        os.unlink(flag)
    n += 1
with open(tmp + "/writer", "w") as f:
    f.write("%d %d %d %s %s\n" % (n, ok, busy, state, "; ".join(bad)))
PY
writer=$!

# The module's areas in /proc/vmallocinfo (its text and data: execmem).
mod_areas() { grep -E 'execmem|module_alloc|load_module' /proc/vmallocinfo | awk '{ n++; s += $2 } END { print n + 0, s + 0 }'; }
areas0=$(mod_areas)
echo clear > $KMEMLEAK 2> /dev/null
served_mark
fails=() inflight=0 probed=() first= last=
t0=$(date +%s%N)
for ((c = 1; c <= N; c++)); do
	r=$(insmod "$ko" 2>&1) || fails+=("cycle $c: insmod: $r")
	if [ $c = 1 ]; then first=$(mod_areas); fi
	last=$(mod_areas)
	if [ $((c % 10)) = 0 ] && [ ${#free[@]} -gt 0 ]; then
		i=${free[0]}
		free=("${free[@]:1}")
		r=$(sysfs_write $MEM/probe "$(printf '0x%x' $((i * bs)))")
		[ "$r" = OK ] && { want[memory$i]=offline; probed+=("memory$i"); } || fails+=("cycle $c: probe memory$i: $r")
	elif [ $((c % 10)) = 5 ]; then
		if [ "${want[$O]}" = offline ]; then w=online_movable s=online d=1; else w=offline s=offline d=-1; fi
		r=$(sysfs_write $MEM/$O/state $w)
		[ "$r" = OK ] && { want[$O]=$s; online_delta=$((online_delta + d)); } || fails+=("cycle $c: $O $w: $r")
	fi
	[ -e "$tmp/offline" ] && inflight=$((inflight + 1))
	r=$(rmmod_retry $DRV 2>&1) || fails+=("cycle $c: rmmod: $r")
	[ $((c % 50)) != 0 ] || [ $c = "$N" ] ||
		progress "handover: $c of $N cycles, $(((($(date +%s%N) - t0) / 1000000000))) s, ${#fails[@]} failed"
done
t1=$(date +%s%N)
rust_ran "handover: the Rust driver's code ran in the cycles" \
	state_store online offline state_show valid_zones_show phys_index_show ${probed:+probe_store}
touch "$tmp/stop"
wait $reader $writer
read -r reads rbad rwhy < "$tmp/reader"
read -r writes wok wbusy tstate wwhy < "$tmp/writer"
ms=$(( (t1 - t0) / 1000000 ))
if [ ${#fails[@]} = 0 ]; then
	tap_ok "handover: $N insmod/rmmod cycles in $ms ms ($(awk -v n=$N -v ms=$ms 'BEGIN { printf "%.2f", n * 1000 / ms }') cycles/s); $inflight rmmods began with an offline of $T in flight; ${#probed[@]} probes, $(( (N + 5) / 10 )) writes to $O between them"
else
	tap_not_ok "handover: $N insmod/rmmod cycles, each insmod, probe, write and rmmod successful" "${fails[@]:0:10}"
fi
expect "handover: $reads reads of every file, none failed ${rwhy:-}" "${rbad:-?}" 0
if [ -z "${wwhy:-}" ] && [ "${wok:-0}" -gt 1 ]; then
	tap_ok "handover: the writer's $writes writes to $T: $wok successful, $wbusy offlines refused with EBUSY, no other error"
else
	tap_not_ok "handover: the writer's writes to $T succeeded, or EBUSY for an offline" "writes ${writes:-?}, ok ${wok:-?}, EBUSY ${wbusy:-?}: ${wwhy:-}"
fi
want[$T]=$tstate
[ "$tstate" = online ] || online_delta=$((online_delta - 1))
wrong=
for b in $(memory_blocks); do
	[ "$(cat $MEM/$b/state)" = "${want[$b]:-absent}" ] || wrong="$wrong$b $(cat $MEM/$b/state) want ${want[$b]:-absent}; "
done
expect "handover: every block's state is what the writes made it ($(memory_blocks | wc -l) blocks)" "$wrong" ""
expect "handover: MemTotal exact, HardwareCorrupted as before" "$(mem_total_kb) $(hw_corrupted_kb)" \
	"$((total1 + online_delta * bs / 1024)) $hwc1"
# (kmemleak reports an object only once it is 5 s old.)
sleep 6
echo scan > $KMEMLEAK 2> /dev/null
echo scan > $KMEMLEAK 2> /dev/null
leaks=$(cat $KMEMLEAK 2> /dev/null)
if [ -w $KMEMLEAK ] && [ -z "$leaks" ]; then
	tap_ok "handover: kmemleak finds nothing after the cycles"
else
	tap_not_ok "handover: kmemleak finds nothing after the cycles" "$(head -30 <<< "${leaks:-no $KMEMLEAK}")"
fi
expect "handover: the module's memory did not grow (/proc/vmallocinfo's module areas, count and bytes: $first at the first load and at the last, $areas0 before the first and after the last rmmod)" \
	"$first $last $(mod_areas)" "$first $first $areas0"

# Back: the page unpoisoned, virtio-mem unplugged, the probed blocks and
# T offline (the suite's later tests take what they find).
sysfs_write $UNPOISON "$(printf '0x%x' $pfn)" > /dev/null
[ "$(cat $MEM/$T/state)" = offline ] || sysfs_write $MEM/$T/state offline > /dev/null
virtio_mem_request 0 > /dev/null
gone() { [ ! -e "$MEM/$vmb" ]; }
wait_for 120 gone
echo "$auto0" > $MEM/auto_online_blocks
expect "handover: after: the page unpoisoned, $vmb unplugged" "$(hw_corrupted_kb) $([ -e $MEM/$vmb ] && echo present || echo gone)" "$hwc0 gone"
rm -rf "$tmp"
