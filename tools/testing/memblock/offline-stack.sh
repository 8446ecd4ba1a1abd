#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Who offlines a block: the kernel stack of a task writing "offline" to it.
# A page of an online movable block is pinned (vmsplice() into a pipe
# nobody reads), so offline_pages() retries its migration until the writer
# gets a signal; in the meantime /proc/PID/stack shows the writer's kernel
# stack, with the frames of whatever driver serves the block.  Then the
# writer is killed (offline_pages() returns EINTR), the pin released, and
# the block onlined movable again, as it was.
#
# usage: offline-stack.sh [N...]: prints "block memoryN", then the stack's
# symbols, one a line ("error: ..." if it could not get there).  The block
# is one of memoryN... (default: every block) online in ZONE_MOVABLE
# (valid_zones "Movable") that holds a page of a helper process, which
# allocates on their nodes until it has one.  With IN_FLIGHT set, the
# command it holds is run (bash -c) while the writer is in offline_pages(),
# before the writer is killed; its output is printed, each line prefixed
# with "in-flight: ".  With OFFLINER set, that command (bash -c) offlines
# the block instead of a writer, and is in flight once the block's state
# is going-offline; IN_FLIGHT runs then, and the pin is released for it
# to finish (no stack: the offliner may be a kworker).
. "$(dirname "$0")/lib.sh"
bs=$(block_size)
stop=$(mktemp -u /tmp/offline-stack.XXXXXX)
movable=() nodes=()
for b in $(movable_blocks ${*:-$(memory_blocks)}); do
	movable+=("$((16#$(cat $MEM/$b/phys_index)))")
	for n in $MEM/$b/node*; do nodes+=("${n##*/node}"); done
done
# The pinning helper allocates only on the blocks' nodes (MPOL_BIND), where
# the zonelist starts with ZONE_MOVABLE, in 8 MiB steps until a page lands
# in one of the blocks (at most 256 MiB, never below 192 MiB free: an
# offline under memory pressure can stall in reclaim; node 1 has about
# 512 MiB free beside the blocks, less under KASAN, whose first floor of
# 512 MiB made the helper give up before its first step); it keeps only
# the step with the pinned page.
/usr/bin/python3 - "$((bs / 4096))" "$stop" "${nodes[*]}" "${movable[@]}" <<'PY' &
import ctypes, mmap, os, struct, sys, time
per, stop = int(sys.argv[1]), sys.argv[2]
nodes = {int(n) for n in sys.argv[3].split()}
blocks = {int(b) for b in sys.argv[4:]}
libc = ctypes.CDLL(None, use_errno=True)
class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
def done(text):
    with open(stop + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(stop + ".tmp", stop + ".pinned")
if not blocks:
    done("error: no block is online in ZONE_MOVABLE")
    sys.exit(1)
mask = ctypes.c_ulong(sum(1 << n for n in nodes))
if libc.syscall(238, 2, ctypes.byref(mask), 64) != 0:  # set_mempolicy(MPOL_BIND)
    done("error: set_mempolicy errno %d" % ctypes.get_errno())
    sys.exit(1)
step = 8 << 20
def free_kb():
    kb = 0
    for n in nodes:
        with open("/sys/devices/system/node/node%d/meminfo" % n) as f:
            kb += int(next(l for l in f if "MemFree:" in l).split()[3])
    return kb
bufs = []
while len(bufs) < 32 and free_kb() > 192 << 10:  # never near memory pressure
    buf = mmap.mmap(-1, step, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
    bufs.append(buf)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(addr // 4096 * 8)
        entries = struct.unpack("<%dQ" % (step // 4096), f.read(step // 4096 * 8))
    for i, e in enumerate(entries):
        pfn = e & ((1 << 55) - 1)
        if e >> 63 and pfn // per in blocks:
            r, w = os.pipe()
            iov = Iovec(addr + i * 4096, 4096)
            if libc.vmsplice(w, ctypes.byref(iov), 1, 0) != 4096:
                done("error: vmsplice errno %d" % ctypes.get_errno())
                sys.exit(1)
            for other in bufs[:-1]:
                try:
                    other.close()
                except BufferError:
                    pass
            done("%d" % (pfn // per))
            while not os.path.exists(stop):
                time.sleep(0.1)
            os._exit(0)
done("error: no page in the movable blocks %s among %d MiB on nodes %s (%d MiB free there)"
     % (sorted(blocks), len(bufs) * step >> 20, sorted(nodes), free_kb() >> 10))
PY
helper=$!
wait_for 60 test -e "$stop.pinned"
pinned=$(cat "$stop.pinned" 2> /dev/null)
case "$pinned" in
[0-9]*)
	n=$pinned
	echo "block memory$n"
	if [ -n "${OFFLINER:-}" ]; then
		# Another offliner (an ACPI eject: a kworker offlines the
		# block): in flight once the block is going-offline.
		bash -c "$OFFLINER" > /dev/null 2>&1 &
		offliner=$!
		if wait_for 60 grep -qx going-offline "$MEM/memory$n/state"; then
			echo "in flight: memory$n going-offline"
			[ -z "${IN_FLIGHT:-}" ] || bash -c "$IN_FLIGHT" 2>&1 | sed 's/^/in-flight: /'
			echo "in-flight: memory$n $(cat "$MEM/memory$n/state" 2>&1)"
		else
			echo "error: memory$n did not go offline in 60 s (state: $(cat $MEM/memory$n/state))"
		fi
		touch "$stop"
		wait $helper 2> /dev/null
		wait $offliner 2> /dev/null
		rm -f "$stop" "$stop.pinned"
		exit 0
	fi
	taskset -c 0 /usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, b"offline")' "$MEM/memory$n/state" 2> /dev/null &
	writer=$!
	# The writer loops in offline_pages(): its stack can be read only
	# while it is off the CPU (it is empty otherwise). A busy loop on its
	# CPU takes turns with it; read until the writer is caught off it.
	taskset -c 0 bash -c 'while :; do :; done' &
	burner=$!
	stack=
	for i in $(seq 600); do
		stack=$(cat /proc/$writer/stack 2>&1)
		grep -q '\] offline_pages+' <<< "$stack" && break
		sleep 0.05
	done
	kill $burner
	wait $burner 2> /dev/null
	if [ -n "${IN_FLIGHT:-}" ] && grep -q '\] offline_pages+' <<< "$stack"; then
		bash -c "$IN_FLIGHT" 2>&1 | sed 's/^/in-flight: /'
		echo "in-flight: writer $(kill -0 $writer 2> /dev/null && echo still in flight || echo gone)"
	fi
	kill -TERM $writer 2> /dev/null
	wait $writer 2> /dev/null
	sed -n 's/^\[<[0-9a-f]*>\] \([^+]*\)+.*/\1/p' <<< "$stack"
	grep -q '\] offline_pages+' <<< "$stack" ||
		echo "error: the writer was not seen in offline_pages() in 30 s (state: $(cat $MEM/memory$n/state))"
	;;
*) echo "${pinned:-error: the helper pinned nothing}" ;;
esac
touch "$stop"
wait $helper 2> /dev/null
rm -f "$stop" "$stop.pinned"
# As it was: online movable.
case "$pinned" in
[0-9]*) [ "$(cat $MEM/memory$n/state)" = online ] || sysfs_write $MEM/memory$n/state online_movable > /dev/null ;;
esac
