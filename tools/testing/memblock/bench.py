# SPDX-License-Identifier: GPL-2.0
"""make bench, in the guest: the built-in driver against rust_memory_block
in one boot, in rounds that alternate built-in, Rust, Rust, built-in, ...
(ROUNDS of each side), the module loaded before each Rust round and
unloaded after it.  Each round works on memory32-39, absent at its start
(the RAM past mem=), with auto_online_blocks offline:

  probe_online     the 8 blocks probed, then each onlined (online_movable):
                   one sample, the 16 writes
  online, offline  one block offlined and onlined (online_movable) CYCLES
                   times: one sample per write
  writers          4 threads, each offlining and onlining a block of its
                   own for WRITERS_SECONDS: one sample, writes per second
  read_all         every file of every block and of the root read once,
                   as lsmem does: one sample per pass (READ_PASSES)
  lsmem            lsmem run (a process): one sample per run (LSMEM_RUNS)
  read_idle        state and valid_zones of one block read (a pair): one
                   sample per pair, nothing else running (the baseline)
  read_during_offline
                   the same pairs, read while another block's offline is in
                   flight (that block's pages migrated away from a memory
                   hog's): only the pairs that began and ended inside the
                   offline; a read must not wait for the hotplug lock
  offline_all      the 8 blocks offlined: one sample, the 8 writes (then
                   removed again through memblock_unprobe, untimed)

After its timed part, each round shows which driver served it: the
served-by kprobe events (lib.sh's served_setup, enabled only then) count
a read of state and an offline and online of a block.

Then, under the Rust driver only, the hand-over: insmod (finit_module) and
rmmod (delete_module) timed HANDOVER_REPEAT times at each number of present
blocks, from the boot's to as many as the guest holds: the 8 probed,
virtio-mem's 8 (1 GiB plugged), then ACPI DIMMs of 1 GiB (8 blocks each),
offline blocks all of them.  Everything added is removed again at the end.

Times: time.perf_counter_ns() (CLOCK_MONOTONIC) around each system call,
in the guest.

usage: bench.py OUT ROUNDS RUST_KO
Environment: QMP_DIR (the QMP relay's folder), BENCH_CYCLES (10),
BENCH_WRITERS_SECONDS (5), BENCH_READ_PASSES (5), BENCH_LSMEM_RUNS (3),
BENCH_READ_PAIRS (200), BENCH_HANDOVER_REPEAT (5), BENCH_DIMMS (3).
Writes OUT/bench.json (every sample) and prints progress on stderr.
"""
import ctypes
import errno
import glob
import json
import mmap
import os
import signal
import subprocess
import sys
import threading
import time

from memtest import MEM, errname, qmp, wait, write

OUT, ROUNDS, KO = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ENV = {k: int(os.environ.get("BENCH_" + k, d)) for k, d in (
    ("CYCLES", 10), ("WRITERS_SECONDS", 5), ("READ_PASSES", 5), ("LSMEM_RUNS", 3),
    ("READ_PAIRS", 200), ("HANDOVER_REPEAT", 5), ("DIMMS", 3))}
QMP_DIR = os.environ.get("QMP_DIR", "")
DRIVER = "rust_memory_block"
UNPROBE = "/sys/module/memblock_unprobe/parameters/remove"
TRACEFS = "/sys/kernel/tracing"
GROUP = "memblock"
VIRTIO_MEM = "/machine/peripheral/" + os.environ.get("VIRTIO_MEM_ID", "vm0")
GIB = 1 << 30

with open(MEM + "/block_size_bytes") as f:
    BS = int(f.read(), 16)
FREE = [b for b in range((1 << 32) // BS, (5 << 30) // BS)]
assert len(FREE) == 8, "bench.py expects 128 MiB blocks (memory32-39 past mem=4G)"
libc = ctypes.CDLL(None, use_errno=True)
now = time.perf_counter_ns
T0 = time.monotonic()
samples = []
served = []
handover = []
errors = []


def progress(msg):
    sys.stderr.write("[guest] bench: %s  (at %d s)\n" % (msg, time.monotonic() - T0))


def sample(rnd, side, op, value, unit="ns"):
    samples.append({"round": rnd, "side": side, "op": op, "value": value, "unit": unit})


def must(what, r, ok=("OK",)):
    """R, an errno name or "OK"; one not in OK is an error of the run."""
    if r not in ok:
        errors.append("%s: %s" % (what, r))
    return r


def timed_write(path, data):
    t = now()
    r = write(path, data)
    return r, now() - t


def read_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def blk(b):
    return "%s/memory%d" % (MEM, b)


def blocks():
    return sorted(int(os.path.basename(d)[6:]) for d in glob.glob(MEM + "/memory[0-9]*"))


def state(b):
    """B's state, or None if B is not there."""
    try:
        return read_file(blk(b) + "/state").decode().strip()
    except FileNotFoundError:
        return None


def load():
    fd = os.open(KO, os.O_RDONLY)
    try:
        t = now()
        rc = libc.syscall(313, fd, b"", 0)   # finit_module
        d = now() - t
        e = ctypes.get_errno()
    finally:
        os.close(fd)
    return ("OK" if rc == 0 else errname(e)), d


def unload():
    """delete_module(O_NONBLOCK), again while the module is busy (a file of
    it open: none here); the time of the call that succeeded."""
    end = time.monotonic() + 30
    while True:
        t = now()
        rc = libc.syscall(176, DRIVER.encode(), os.O_NONBLOCK)   # delete_module
        d = now() - t
        if rc == 0:
            return "OK", d
        e = ctypes.get_errno()
        if e not in (errno.EWOULDBLOCK, errno.EBUSY) or time.monotonic() > end:
            return errname(e), d


def served_counts():
    """EVENT -> hits of the served-by events (kprobe_profile)."""
    ours = set(os.listdir("%s/events/%s" % (TRACEFS, GROUP)))
    out = {}
    with open(TRACEFS + "/kprobe_profile") as f:
        for line in f:
            w = line.split()
            if w and w[0] in ours:
                out[w[0]] = int(w[1])
    return out


def set_served(on):
    with open("%s/events/%s/enable" % (TRACEFS, GROUP), "w") as f:
        f.write("1" if on else "0")


def show_served(rnd, side, b):
    """Which driver served: the events of one read of state and an offline
    and online of block B, counted with the events enabled only for them."""
    before = served_counts()
    set_served(True)
    try:
        read_file(blk(b) + "/state")
        must("served: offline memory%d" % b, write(blk(b) + "/state", b"offline"))
        must("served: online memory%d" % b, write(blk(b) + "/state", b"online_movable"))
    finally:
        set_served(False)
    after = served_counts()
    fired = {k: after[k] - before.get(k, 0) for k in after if after[k] > before.get(k, 0)}
    served.append({"round": rnd, "side": side, "events": fired})
    own = "rs_" if side == "rust" else "c_"
    other = "c_" if side == "rust" else "rs_"
    ops = ("rs_online", "rs_offline") if side == "rust" else ("c_change_state",)
    missing = [e for e in (own + "state_show", own + "state_store") + ops if e not in fired]
    wrong = [e for e in fired if e.startswith(other)]
    if missing or wrong:
        errors.append("round %d (%s): served-by: missing %s, the other driver's %s (fired: %s)"
                      % (rnd, side, missing, wrong, fired))


def probe_online(rnd, side):
    t = 0
    for b in FREE:
        r, d = timed_write(MEM + "/probe", b"%#x" % (b * BS))
        must("probe memory%d" % b, r)
        t += d
    for b in FREE:
        r, d = timed_write(blk(b) + "/state", b"online_movable")
        must("online_movable memory%d" % b, r)
        t += d
    sample(rnd, side, "probe_online", t)


def cycles(rnd, side, b):
    for _ in range(ENV["CYCLES"]):
        r, d = timed_write(blk(b) + "/state", b"offline")
        must("offline memory%d" % b, r)
        sample(rnd, side, "offline", d)
        r, d = timed_write(blk(b) + "/state", b"online_movable")
        must("online_movable memory%d" % b, r)
        sample(rnd, side, "online", d)


def writers(rnd, side, mine):
    """4 threads, a block each: offline, online_movable, for the time."""
    counts = [0] * len(mine)
    end = time.monotonic() + ENV["WRITERS_SECONDS"]

    def work(i, b):
        data = (b"offline", b"online_movable")
        n = tries = 0
        while time.monotonic() < end or n % 2:
            r = write(blk(b) + "/state", data[n % 2])
            if r != "OK":
                must("writer memory%d %s" % (b, data[n % 2].decode()), r)
                tries += 1
                # An offline refused leaves the block online: stop.  An
                # online refused is tried again (the block must end online).
                if n % 2 == 0 or tries > 10:
                    break
                continue
            n += 1
        counts[i] = n
    t = now()
    ths = [threading.Thread(target=work, args=(i, b)) for i, b in enumerate(mine)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    sample(rnd, side, "writers", sum(counts) * 1e9 / (now() - t), "writes/s")


def files():
    """What lsmem reads: the root's readable files, then every block's."""
    out = [MEM + "/block_size_bytes", MEM + "/auto_online_blocks"]
    for b in blocks():
        for f in ("state", "phys_index", "phys_device", "removable", "valid_zones", "online"):
            out.append("%s/%s" % (blk(b), f))
    return out


def read_all(rnd, side):
    paths = files()
    for _ in range(ENV["READ_PASSES"]):
        t = now()
        for p in paths:
            read_file(p)
        sample(rnd, side, "read_all", now() - t)
    for _ in range(ENV["LSMEM_RUNS"]):
        t = now()
        r = subprocess.run(["lsmem", "--all", "-o", "RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        sample(rnd, side, "lsmem", now() - t)
        if r.returncode:
            errors.append("lsmem: exit %d: %s" % (r.returncode, r.stderr.decode()[:200]))


def read_pair(b):
    t = now()
    read_file(blk(b) + "/state")
    read_file(blk(b) + "/valid_zones")
    return t, now()


def hog(size):
    """A child that fills SIZE bytes of anonymous memory and sleeps: pages
    an offline must migrate away.  Returns once they are filled."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        # Never back into the parent's code (its finally clauses unload
        # the module): any failure ends the child here.
        try:
            os.close(r)
            libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
            m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            chunk = b"\1" * (1 << 20)
            for _ in range(size >> 20):
                m.write(chunk)
            os.write(w, b".")
            time.sleep(3600)
        except BaseException:
            pass
        os._exit(0)
    os.close(w)
    os.read(r, 1)
    os.close(r)
    return pid


class Timeout(Exception):
    pass


def alarm(secs):
    """SIGALRM in SECS (0: off) raising Timeout: a write that blocks (an
    offline retrying its migration) is interrupted."""
    def handler(_sig, _frame):
        raise Timeout()
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, secs)


def reads_during_offline(rnd, side, victim, reader):
    for _ in range(ENV["READ_PAIRS"]):
        t0, t1 = read_pair(reader)
        sample(rnd, side, "read_idle", t1 - t0)
    # Movable allocations take ZONE_MOVABLE first: a hog of 7 blocks'
    # worth fills most of the 8 online movable ones, so that the victim's
    # block holds pages of the hog that its offline migrates.
    with open("/proc/meminfo") as f:
        avail = next(int(x.split()[1]) for x in f if x.startswith("MemAvailable:")) * 1024
    pid = hog(min(7 * BS, max(avail - (384 << 20), 64 << 20)))
    pairs, done = [], threading.Event()

    def read_loop():
        while not done.is_set():
            pairs.append(read_pair(reader))
    th = threading.Thread(target=read_loop)
    try:
        th.start()
        time.sleep(0.05)
        t0 = now()
        alarm(120)
        try:
            r = write(blk(victim) + "/state", b"offline")
        except Timeout:
            r = "a timeout (120 s)"
        finally:
            alarm(0)
        t1 = now()
    finally:
        done.set()
        if th.ident:
            th.join()
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    # Timed only if it went through: a refused offline (EBUSY) is no
    # offline's time.
    if must("offline memory%d under the reader" % victim, r, ("OK", "EBUSY")) == "OK":
        for d in [b - a for a, b in pairs if a >= t0 and b <= t1]:
            sample(rnd, side, "read_during_offline", d)
        sample(rnd, side, "offline_under_reads", t1 - t0)
    if state(victim) == "offline":
        must("online memory%d" % victim, write(blk(victim) + "/state", b"online_movable"))


def offline_all(rnd, side):
    t = 0
    for b in FREE:
        if state(b) == "online":
            r, d = timed_write(blk(b) + "/state", b"offline")
            must("offline memory%d" % b, r)
            t += d
    sample(rnd, side, "offline_all", t)
    for b in FREE:
        must("unprobe memory%d" % b, write(UNPROBE, b"%#x" % (b * BS)))


def bench_round(rnd, side):
    must("auto_online_blocks offline", write(MEM + "/auto_online_blocks", b"offline"))
    probe_online(rnd, side)
    cycles(rnd, side, FREE[0])
    writers(rnd, side, FREE[1:5])
    read_all(rnd, side)
    reads_during_offline(rnd, side, FREE[5], FREE[6])
    show_served(rnd, side, FREE[7])
    offline_all(rnd, side)


def side_order(n):
    """built-in, Rust, Rust, built-in, ...: N of each."""
    pattern = ("c", "rust", "rust", "c")
    return [pattern[i % 4] for i in range(2 * n)]


def loaded():
    return os.path.exists("/sys/module/" + DRIVER)


def present():
    return len(blocks())


def handover_at(level):
    for _ in range(ENV["HANDOVER_REPEAT"]):
        r1, d1 = load()
        must("insmod at %s" % level, r1)
        r2, d2 = unload()
        must("rmmod at %s" % level, r2)
        if r1 == r2 == "OK":
            handover.append({"blocks": present(), "insmod_ns": d1, "rmmod_ns": d2})


def handover_phase():
    progress("hand-over: insmod and rmmod against the number of blocks")
    handover_at("boot")
    for b in FREE:
        must("probe memory%d" % b, write(MEM + "/probe", b"%#x" % (b * BS)))
    handover_at("+probed")
    added, backends = [], []
    vm_before = present()
    r = qmp({"execute": "qom-set", "arguments": {"path": VIRTIO_MEM, "property": "requested-size",
                                                   "value": GIB}})
    if "error" in r or not wait(lambda: present() >= vm_before + GIB // BS, 120):
        errors.append("virtio-mem: 1 GiB not plugged in 120 s: %s" % r)
    else:
        handover_at("+virtio-mem")
    for i in range(ENV["DIMMS"]):
        name = "bench%d" % i
        before = present()
        r1 = qmp({"execute": "object-add", "arguments": {
            "qom-type": "memory-backend-ram", "id": name, "size": GIB}})
        if "error" in r1:
            errors.append("DIMM %s: object-add: %s" % (name, r1))
            break
        backends.append(name)
        r2 = qmp({"execute": "device_add", "arguments": {
            "driver": "pc-dimm", "id": name + "dev", "memdev": name, "node": 1}})
        if "error" in r2:
            errors.append("DIMM %s: device_add: %s" % (name, r2))
            break
        added.append(name)
        if not wait(lambda: present() >= before + GIB // BS, 120):
            errors.append("DIMM %s: its blocks not all there 120 s after device_add" % name)
            break
        handover_at("+dimm%d" % i)
    progress("hand-over: removing what it added")
    for name in added:
        before = present()
        qmp({"execute": "device_del", "arguments": {"id": name + "dev"}})
        if not wait(lambda: present() <= before - GIB // BS, 120):
            errors.append("DIMM %s not ejected in 120 s" % name)
            backends.remove(name)
    for name in backends:
        if not wait(lambda: "error" not in qmp({"execute": "object-del", "arguments": {"id": name}}), 30):
            errors.append("DIMM %s: its backend not deleted in 30 s" % name)
    before = present()
    qmp({"execute": "qom-set", "arguments": {"path": VIRTIO_MEM, "property": "requested-size",
                                              "value": 0}})
    if not wait(lambda: present() <= before - GIB // BS, 120):
        errors.append("virtio-mem: not unplugged in 120 s")
    for b in FREE:
        must("unprobe memory%d" % b, write(UNPROBE, b"%#x" % (b * BS)))


def cleanup():
    """After a round that failed: the built-in driver, memory32-39 gone."""
    if loaded():
        unload()
    for b in FREE:
        if os.path.exists(blk(b)):
            write(UNPROBE, b"%#x" % (b * BS))


def main():
    if loaded():
        must("rmmod before the first round", unload()[0])
    order = side_order(ROUNDS)
    whole = True
    try:
        # One untimed round of each first: the caches (lsmem's binary,
        # slabs) warm for both sides alike.
        for side in ("c", "rust"):
            progress("warm-up round: %s" % side)
            if side == "rust":
                must("insmod before the warm-up", load()[0])
            try:
                bench_round(-1, side)
            finally:
                if side == "rust":
                    must("rmmod after the warm-up", unload()[0])
        del samples[:], served[:]
        for rnd, side in enumerate(order):
            progress("round %d of %d: %s" % (rnd + 1, len(order), "rust_memory_block"
                                               if side == "rust" else "the built-in driver"))
            if side == "rust":
                must("insmod before round %d" % rnd, load()[0])
            if loaded() != (side == "rust"):
                raise RuntimeError("round %d (%s): rust_memory_block %s" % (
                    rnd, side, "loaded" if loaded() else "not loaded"))
            try:
                bench_round(rnd, side)
            finally:
                if side == "rust":
                    must("rmmod after round %d" % rnd, unload()[0])
            if [b for b in FREE if os.path.exists(blk(b))]:
                raise RuntimeError("round %d left blocks of memory32-39 present" % rnd)
        if QMP_DIR:
            handover_phase()
    except Exception as e:   # noqa: BLE001 -- any failure ends the run, recorded
        whole = False
        errors.append("stopped: %s: %s" % (type(e).__name__, e))
        cleanup()
    with open(os.path.join(OUT, "bench.json"), "w") as f:
        json.dump({"meta": {"kernel": os.uname().release, "cpus": os.cpu_count(),
                            "rounds": ROUNDS, "order": order, "params": ENV, "whole": whole,
                            "clock": "CLOCK_MONOTONIC (time.perf_counter_ns) around each "
                                     "system call, in the guest"},
                   "samples": samples, "served": served, "handover": handover,
                   "errors": errors}, f, indent=1)
    progress("done: %d samples, %d hand-over samples, %d errors"
             % (len(samples), len(handover), len(errors)))
    for e in errors[:20]:
        sys.stderr.write("bench: %s\n" % e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
