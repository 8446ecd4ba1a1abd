#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Who offlines a block: the kernel stack of a task writing "offline" to it.
# A page of the block is pinned (vmsplice() into a pipe nobody reads), so
# offline_pages() retries its migration until the writer gets a signal; in
# the meantime /proc/PID/stack shows the writer's kernel stack, with the
# frames of whatever driver serves the block.  Then the writer is killed
# (offline_pages() returns EINTR), the pin released, and the block offlined.
#
# usage: offline-stack.sh BLOCK_NUMBER: prints the stack's symbols, one a
# line ("error: ..." if it could not get there); BLOCK_NUMBER is an online
# movable block, offline at the end.
. "$(dirname "$0")/lib.sh"
n=${1:?usage: offline-stack.sh BLOCK_NUMBER}
bs=$(block_size)
stop=$(mktemp -u /tmp/offline-stack.XXXXXX)
# The pinning helper runs on CPU 1 (node 1, where the hot-added blocks are)
# and allocates until it has a page in the block.
taskset -c 1 /usr/bin/python3 - "$((n * bs / 4096))" "$((bs / 4096))" "$stop" <<'PY' &
import ctypes, mmap, os, struct, sys, time
first, count, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
bufs = []
for _ in range(32):
    buf = mmap.mmap(-1, 16 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    bufs.append(buf)
    for off in range(0, len(buf), 4096):
        buf[off] = 1
    addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(addr // 4096 * 8)
        entries = struct.unpack("<%dQ" % (len(buf) // 4096), f.read(len(buf) // 4096 * 8))
    for i, e in enumerate(entries):
        if e >> 63 and first <= e & ((1 << 55) - 1) < first + count:
            r, w = os.pipe()
            iov = Iovec(addr + i * 4096, 4096)
            if libc.vmsplice(w, ctypes.byref(iov), 1, 0) != 4096:
                open(stop + ".pinned", "w").write("error: vmsplice errno %d\n" % ctypes.get_errno())
                sys.exit(1)
            open(stop + ".pinned", "w").write("%#x\n" % (e & ((1 << 55) - 1)))
            while not os.path.exists(stop):
                time.sleep(0.1)
            os._exit(0)
open(stop + ".pinned", "w").write("error: no page of the block among 512 MiB\n")
PY
helper=$!
wait_for 120 test -e "$stop.pinned"
pinned=$(cat "$stop.pinned" 2> /dev/null)
case "$pinned" in
0x*)
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
[ "$(cat $MEM/memory$n/state)" = offline ] || sysfs_write $MEM/memory$n/state offline > /dev/null
