# SPDX-License-Identifier: GPL-2.0
"""Fault injection, one allocation at a time: for each operation (WALKS),
with failslab and fail_page_alloc armed through /proc/thread-self/fail-nth,
the N-th allocation of the writing task fails, for N = 1, 2, ... until the
operation succeeds with no failure injected (fail-nth not reached).

For each N: the result (OK or the errno's name), whether the failure was
injected, the call site of the failed allocation (the kprobe event
failnth/sf on should_fail_ex(), whose stack trace the trace buffer records
for this task only: the allocator called, its caller and that one's caller),
and whether the state is unchanged (a failed operation) or as the
operation makes it (a success: the failure was absorbed, a fallback); after
a success the state is restored (RESTORE).

usage: failnth.py DRIVER OUT WALK=ARG...
  DRIVER c or rust (only a label: the caller loads the driver or not)
  WALK  probe=ADDR, online_movable=BLOCK, online_kernel=BLOCK,
        online_memmap=BLOCK (a block with its memmap on itself),
        offline=BLOCK, valid_zones=BLOCK, soft_offline=PFN,
        insmod=KO, rmmod=KO
Appends to OUT/DRIVER.jsonl: one record per N: walk, n, result, injected,
site, changed (what differs from before: empty if nothing).
Environment: FAILNTH_UNPROBE (memblock_unprobe's remove parameter),
FAILNTH_MAX (the most N of a walk, 3000), FAILNTH_STEP (1: every N).
"""
import ctypes
import json
import os
import re
import sys
import time

from memtest import MEM, errname, write

DRIVER, OUT = sys.argv[1], sys.argv[2]
WALKS = [a.split("=", 1) for a in sys.argv[3:]]
UNPROBE = os.environ.get("FAILNTH_UNPROBE", "/sys/module/memblock_unprobe/parameters/remove")
MAX = int(os.environ.get("FAILNTH_MAX", "3000"))
STEP = int(os.environ.get("FAILNTH_STEP", "1"))
TRACE = "/sys/kernel/tracing"
EVENT = TRACE + "/events/failnth/sf"
UNPOISON = "/sys/kernel/debug/hwpoison/unpoison-pfn"
libc = ctypes.CDLL(None, use_errno=True)
# Frames of the allocators (and of the fault injection itself): the site
# is the first frame after them.
ALLOC = re.compile(r"^(should_fail|__should_fail|should_failslab|fail_dump|slab_|__slab|___slab|"
                   r"kmem_cache_alloc|__kmem_cache|kmalloc|__kmalloc|krealloc|__krealloc|kvmalloc|__kvmalloc|"
                   r"kvrealloc|kzalloc|kcalloc|kmemdup|kstrdup|kstrndup|kvasprintf|kasprintf|"
                   r"alloc_pages|__alloc_pages|alloc_frozen|__alloc_frozen|prepare_alloc_pages|"
                   r"should_fail_alloc_page|alloc_slab|allocate_slab|new_slab|folio_alloc|__folio_alloc|"
                   r"vmalloc|__vmalloc|vzalloc|__get_vm_area|get_vm_area|alloc_vmap_area|__alloc_vmap|"
                   r"alloc_pages_bulk|__alloc_pages_bulk|vm_area_alloc_pages|alloc_page|__alloc_page|"
                   r"mempool_alloc|idr_|ida_|xa_|__xa|xas_|radix_tree|__radix|kernel::alloc|_RNv.*alloc)")


def wr(path, data):
    with open(path, "w") as f:
        f.write(data)


def read(path):
    with open(path) as f:
        return f.read().strip()


def snapshot():
    """What a failed operation must leave as it was."""
    s = {}
    for d in sorted(os.listdir(MEM)):
        if d.startswith("memory") and d[6:].isdigit():
            try:
                s[d] = read("%s/%s/state" % (MEM, d))
            except OSError as e:
                s[d] = errname(e.errno)
    s["auto_online_blocks"] = read(MEM + "/auto_online_blocks")
    with open("/proc/meminfo") as f:
        for line in f:
            k = line.split(":")[0]
            if k in ("MemTotal", "HardwareCorrupted"):
                s[k] = line.split()[1]
    with open("/proc/iomem") as f:
        s["iomem"] = [x.strip() for x in f if "System RAM" in x]
    s["rust_memory_block"] = os.path.exists("/sys/module/rust_memory_block")
    return s


def diff(a, b):
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def load(image):
    """init_module(2) of a module image in memory: no file system read in
    the operation (a read over the guest's 9p root is not the insmod's,
    and 6.12's netfs does not survive every failure in it)."""
    rc = libc.syscall(175, image, ctypes.c_ulong(len(image)), b"")
    return "OK" if rc == 0 else errname(ctypes.get_errno())


def delete(name):
    rc = libc.syscall(176, name.encode(), os.O_NONBLOCK)
    return "OK" if rc == 0 else errname(ctypes.get_errno())


def block_path(b, f):
    return "%s/memory%s/%s" % (MEM, b, f)


def walk_ops(walk, arg):
    """(prepare, do, restore): prepare opens what the operation needs (its
    allocations are not counted), do(prepared) is the operation (its result),
    restore undoes a success."""
    def file_write(path, data):
        def prepare():
            return os.open(path, os.O_WRONLY)

        def do(fd):
            try:
                os.write(fd, data)
                return "OK"
            except OSError as e:
                return errname(e.errno)
            finally:
                os.close(fd)
        return prepare, do
    if walk == "probe":
        return file_write(MEM + "/probe", arg.encode()) + (lambda: write(UNPROBE, arg.encode()),)
    if walk in ("online_movable", "online_memmap"):
        return file_write(block_path(arg, "state"), b"online_movable") + (
            lambda: write(block_path(arg, "state"), b"offline"),)
    if walk == "online_kernel":
        def offline_again():
            # Kernel allocations may have taken pages of the block meanwhile
            # (ZONE_NORMAL): EBUSY until they are freed.
            for _ in range(40):
                r = write(block_path(arg, "state"), b"offline")
                if r != "EBUSY":
                    return r
                time.sleep(0.5)
            return r
        return file_write(block_path(arg, "state"), b"online_kernel") + (offline_again,)
    if walk == "offline":
        return file_write(block_path(arg, "state"), b"offline") + (
            lambda: write(block_path(arg, "state"), b"online_movable"),)
    if walk == "soft_offline":
        return file_write(MEM + "/soft_offline_page", b"%#x" % (int(arg, 0) * 4096)) + (
            lambda: write(UNPOISON, arg.encode()),)
    if walk == "valid_zones":
        def prepare():
            return os.open(block_path(arg, "valid_zones"), os.O_RDONLY)

        def do(fd):
            try:
                return "OK" if os.read(fd, 4096) else "empty"
            except OSError as e:
                return errname(e.errno)
            finally:
                os.close(fd)
        return prepare, do, lambda: "OK"
    if walk in ("insmod", "rmmod"):
        with open(arg, "rb") as f:
            image = f.read()
        if walk == "insmod":
            return (lambda: None, lambda _: load(image), lambda: delete("rust_memory_block"))
        return (lambda: None, lambda _: delete("rust_memory_block"), lambda: load(image))
    raise SystemExit("unknown walk " + walk)


def stacks():
    """The stack of each failnth/sf event in the trace, in order."""
    out, cur = [], None
    with open(TRACE + "/trace") as f:
        for line in f:
            if line.startswith("#"):
                continue
            if " sf: (" in line:
                cur = None
            elif "<stack trace>" in line:
                cur = []
                out.append(cur)
            elif line.lstrip().startswith("=> ") and cur is not None:
                cur.append(line.strip()[3:].split("+")[0].strip())
    return out


def allocation(frames):
    """The frames from the allocators' on (the kprobe's own frames come
    before the first allocator frame)."""
    i = 0
    while i < len(frames) and not ALLOC.match(frames[i]):
        i += 1
    return frames[i:]


def site(frames):
    """The call site: the allocator function called (the last allocator
    frame), the function that called it and that one's caller, as
    "kmem_cache_alloc_noprof:__kernfs_new_node<kernfs_new_node".  (One
    function may allocate several times, some depending on the state, as an
    IDR's radix tree nodes: the allocator called tells those apart.)"""
    f = allocation(frames)
    i = 0
    while i < len(f) and ALLOC.match(f[i]):
        i += 1
    if i == len(f):
        return "?"
    return "%s:%s" % (f[i - 1] if i else "?", "<".join(f[i:i + 2]))


def main():
    pid = os.getpid()
    # On CPU 0 (node 0): the kernel's allocations for this task come from
    # node 0's memory, not from the block onlined on node 1.
    os.sched_setaffinity(0, {0})
    # A trigger left by a walk that died: one stacktrace trigger an event.
    with open(EVENT + "/trigger") as f:
        for line in f:
            if line.startswith("stacktrace"):
                words = line.split("[")[0].split()
                wr(EVENT + "/trigger", " ".join(["!stacktrace"] + words[1:]))
    wr(EVENT + "/filter", "common_pid == %d" % pid)
    wr(EVENT + "/trigger", "stacktrace if common_pid == %d" % pid)
    wr(EVENT + "/enable", "1")
    wr(TRACE + "/tracing_on", "0")
    nth = os.open("/proc/thread-self/fail-nth", os.O_RDWR)
    records = open("%s/%s.jsonl" % (OUT, DRIVER), "a")
    for walk, arg in WALKS:
        prepare, do, restore = walk_ops(walk, arg)
        before = snapshot()
        n = 0
        while True:
            n += STEP if n else 1
            if n > MAX:
                records.write(json.dumps({"walk": walk, "n": n, "result": "gave up at FAILNTH_MAX"}) + "\n")
                break
            h = prepare()
            wr(TRACE + "/trace", "")
            wr(TRACE + "/tracing_on", "1")
            os.pwrite(nth, b"%d" % n, 0)
            r = do(h)
            left = int(os.pread(nth, 32, 0))
            os.pwrite(nth, b"0", 0)
            wr(TRACE + "/tracing_on", "0")
            injected = left == 0
            st = stacks()
            where = site(st[n - 1]) if injected and len(st) >= n else ("?" if injected else "")
            stack = "<".join(allocation(st[n - 1])[:16]) if injected and len(st) >= n else ""
            after = snapshot()
            changed = diff(before, after)
            rec = {"walk": walk, "n": n, "result": r, "injected": injected, "site": where,
                   "changed": changed, "stack": stack}
            if r == "OK":
                back = restore()
                again = snapshot()
                rec["restored"] = back
                rec["restore_left"] = diff(before, again)
            records.write(json.dumps(rec) + "\n")
            records.flush()
            if not injected:
                break
            if n % 25 == 0:
                sys.stderr.write("[guest] failnth %s: %s N=%d\n" % (DRIVER, walk, n))
    wr(EVENT + "/enable", "0")
    wr(EVENT + "/trigger", "!stacktrace if common_pid == %d" % pid)
    wr(EVENT + "/filter", "0")


main()
