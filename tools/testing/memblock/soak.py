# SPDX-License-Identifier: GPL-2.0
"""The soak: the 2015 race workload (commit 30467e0b3be8) for SECONDS, every
kind of operation in a thread of its own, all at once:

  probe      a probe of block P, then its removal (memblock_unprobe.ko),
             again and again; systemd-udevd (soak.sh starts it) or the
             kernel's auto-online onlines it after each probe
  auto       auto_online_blocks written offline and online_movable in turn,
             never while a hot-add is on its way (see HOTADD)
  state/online
             a writer per block W1, W2: offline and online_movable through
             state, 0 and 1 through online
  virtio-mem 256 MiB plugged and unplugged over QMP (the kworker's
             add_memory_driver_managed() and offline_and_remove_memory())
  dimm       an ACPI pc-dimm of 256 MiB added and ejected over QMP
  soft       soft_offline_page of a page of boot memory, then unpoison-pfn
  driver     insmod and rmmod of rust_memory_block (the hand-over)
  read       every file of every block and of the root, read

Each operation's result is counted by kind and errno.  Every CHECK seconds
(60) the workers stop at a point where their memory is in a known state
(nothing plugged, P probed or not, W1 and W2 in the state their writes
made), udevd settles, and every block is accounted for: the blocks present
are the ones at the start plus P if it is probed, each in the state the
writes made, MemTotal is the start's plus the onlined blocks, and
HardwareCorrupted is the start's.  Then they go on.

Output, in OUT: counts (KIND RESULT N per line), checks (one line per
check: "ok ..." or "bad ..."), bad (the unexpected results, at most 50
per kind), summary (key=value).

usage: soak.py SECONDS OUT DRIVER_KO UNPROBE_PARAM P W1 W2 SOFT_PFN
  P, W1, W2: block numbers; SOFT_PFN: the page soft_offline_page takes
  (in boot memory that nothing else offlines)
Environment: QMP_DIR (the QMP relay's folder), SOAK_CHECK (seconds between
checks, 60).
"""
import ctypes
import errno
import glob
import json
import os
import subprocess
import sys
import threading
import time

from memtest import MEM, errname, qmp, wait, write

SECONDS, OUT, KO, UNPROBE = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
P, W1, W2 = (int(x) for x in sys.argv[5:8])
SOFT_PFN = int(sys.argv[8], 0)
CHECK = int(os.environ.get("SOAK_CHECK", "60"))
QMP_DIR = os.environ["QMP_DIR"]
UNPOISON = "/sys/kernel/debug/hwpoison/unpoison-pfn"
DRIVER = "rust_memory_block"
VM_SIZE = DIMM_SIZE = 256 << 20

with open(MEM + "/block_size_bytes") as f:
    BS = int(f.read(), 16)
libc = ctypes.CDLL(None, use_errno=True)
lock = threading.Lock()
counts = {}
bad = {}
failed = threading.Event()   # a worker gave up (a timeout): the soak stops
# A hot-add reads auto_online_blocks twice in 6.12: add_memory_resource()
# decides whether to online the new blocks, then online_memory_block()
# sets each block's online_type from it, unlocked.  A write of "offline"
# between the two onlines the blocks with MMOP_OFFLINE, which
# memory_subsys_online() turns into MMOP_ONLINE: ZONE_NORMAL whatever
# auto_online_blocks said, and kernel memory there keeps the block from
# ever going offline (make soak: an ACPI DIMM's block on node 1, its eject
# refused).  The kernel's race, under either driver: the toggler does not
# write while a probe, a DIMM or a virtio-mem plug is being added.
HOTADD = threading.Lock()
stop = threading.Event()


def count(kind, result, unexpected=False, why=""):
    with lock:
        counts[(kind, result)] = counts.get((kind, result), 0) + 1
        if unexpected:
            lst = bad.setdefault(kind, [])
            if len(lst) < 50:
                lst.append("%s: %s %s" % (kind, result, why))


def read(path):
    with open(path) as f:
        return f.read().strip()


def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def blocks():
    return sorted(int(os.path.basename(d)[6:]) for d in glob.glob(MEM + "/memory[0-9]*"))


class Gate:
    """The workers stop at their gate() while a check runs."""

    def __init__(self):
        self.cv = threading.Condition()
        self.paused = False
        self.parked = set()

    def gate(self, name):
        """Waits while a check runs; False when the soak is over."""
        with self.cv:
            if self.paused:
                self.parked.add(name)
                self.cv.notify_all()
                while self.paused and not stop.is_set():
                    self.cv.wait(1)
                self.parked.discard(name)
        return not stop.is_set()

    def pause(self, names, secs):
        """Stops every worker in NAMES (or those that ended); the ones
        not parked within SECS."""
        with self.cv:
            self.paused = True
            end = time.time() + secs
            while True:
                missing = [n for n in names if n not in self.parked and workers[n].is_alive()]
                if not missing or time.time() > end:
                    return missing
                self.cv.wait(1)

    def resume(self):
        with self.cv:
            self.paused = False
            self.cv.notify_all()


gate = Gate()
# The model: what the writes made.  P probed or not; W1's and W2's state.
model = {"probed": os.path.exists("%s/memory%d" % (MEM, P)),
         W1: read("%s/memory%d/state" % (MEM, W1)), W2: read("%s/memory%d/state" % (MEM, W2))}


def prober():
    addr = b"%#x" % (P * BS)
    while not stop.is_set():
        if not gate.gate("probe"):
            return
        if model["probed"]:
            r = write(UNPROBE, addr)
            count("unprobe", r, r not in ("OK", "EBUSY"))
            if r == "OK":
                model["probed"] = False
        else:
            with HOTADD:
                r = write(MEM + "/probe", addr)
            count("probe", r, r != "OK")
            if r == "OK":
                model["probed"] = True
                # udevd or the kernel onlines it; the next unprobe
                # offlines it again (an unprobe before that is an
                # offline of an offline block, also fine).
        time.sleep(0.2)


def auto_toggler():
    n = 0
    while not stop.is_set():
        if not gate.gate("auto"):
            return
        mode = (b"offline", b"online_movable")[n % 2]
        with HOTADD:
            r = write(MEM + "/auto_online_blocks", mode)
        count("auto_online_blocks " + mode.decode(), r, r != "OK")
        n += 1
        time.sleep(0.5)


def writer(b):
    name = "writer memory%d" % b
    k = 0
    while not stop.is_set():
        if not gate.gate(name):
            return
        # The writer is the only one writing to this block: each write
        # changes its state, offline to online and back, through state
        # and online in turn (starting online: state offline, state
        # online_movable, online 0, online 1).  OK, or EBUSY for an offline
        # whose pages could not be migrated then (the next attempt is an
        # offline again).
        online = model[b] == "online"
        f, data = ((("state", b"offline"), ("online", b"0")) if online else
                   (("state", b"online_movable"), ("online", b"1")))[k // 2 % 2]
        r = write("%s/memory%d/%s" % (MEM, b, f), data)
        ok = r == "OK" or (r == "EBUSY" and online)
        count("%s %s" % (f, data.decode()), r, not ok, "memory%d in state %s" % (b, model[b]))
        if r == "OK":
            model[b] = "offline" if online else "online"
        k += 1


def qmp_ok(kind, cmd):
    r = qmp(cmd)
    res = "OK" if r == {"return": {}} else "QMP error"
    count(kind, res, res != "OK", json.dumps(r))
    return res == "OK"


def give_up(kind, why):
    count(kind, "timeout", True, why)
    failed.set()
    stop.set()


def count_zones(kind, new):
    """Counts KIND: OK if the blocks NEW came online in ZONE_MOVABLE (udevd
    and auto_online_blocks both say online_movable), else their zones."""
    zones = sorted(set(read("%s/memory%d/valid_zones" % (MEM, b)) for b in new))
    count(kind, "OK" if zones == ["Movable"] else "in " + "+".join(zones), zones != ["Movable"])


def all_online(new):
    return all(os.path.exists("%s/memory%d" % (MEM, b)) and
               read("%s/memory%d/state" % (MEM, b)) == "online" for b in new())


def device_blocks(dev_id):
    """The blocks of QEMU memory device DEV_ID's range (all of a virtio-mem
    device's region; a pc-dimm's whole size) that the guest has now."""
    for d in qmp({"execute": "query-memory-devices"}).get("return", []):
        data = d.get("data", {})
        if data.get("id") == dev_id:
            addr = data.get("memaddr", data.get("addr"))
            size = data.get("max-size", data.get("size"))
            have = set(blocks())
            return [b for b in range(addr // BS, (addr + size) // BS) if b in have]
    return None


def virtio_mem():
    dev = os.environ.get("VIRTIO_MEM_ID", "vm0")
    path = "/machine/peripheral/" + dev

    def size():
        return qmp({"execute": "qom-get", "arguments": {"path": path, "property": "size"}}).get("return")

    def request(n):
        return qmp_ok("virtio-mem " + ("plug" if n else "unplug"),
                      {"execute": "qom-set", "arguments": {"path": path, "property": "requested-size", "value": n}})

    def new():
        return device_blocks(dev) or []
    while not stop.is_set():
        if not gate.gate("virtio-mem"):
            return
        with HOTADD:
            if not request(VM_SIZE):
                return give_up("virtio-mem plug", "qom-set")
            if not wait(lambda: size() == VM_SIZE, 120):
                return give_up("virtio-mem plug", "not plugged in 120 s")
            if not wait(lambda: len(new()) == VM_SIZE // BS and all_online(new), 120):
                return give_up("virtio-mem plug", "its blocks not all online 120 s after the plug")
        count_zones("virtio-mem blocks online", new())
        if not request(0):
            return give_up("virtio-mem unplug", "qom-set")
        if not wait(lambda: size() == 0, 120):
            return give_up("virtio-mem unplug", "not unplugged in 120 s")
        count("virtio-mem unplugged", "OK")


def dimm():
    n = 0
    while not stop.is_set():
        if not gate.gate("dimm"):
            return
        # Its own id each time: QEMU frees a device's id only when the
        # guest has ejected it.
        i = "soak%d" % n
        n += 1
        if not qmp_ok("dimm object-add", {"execute": "object-add", "arguments": {
                "qom-type": "memory-backend-ram", "id": i, "size": DIMM_SIZE}}):
            return give_up("dimm object-add", i)

        def new():
            return device_blocks(i + "dev") or []
        with HOTADD:
            if not qmp_ok("dimm device_add", {"execute": "device_add", "arguments": {
                    "driver": "pc-dimm", "id": i + "dev", "memdev": i, "node": 1}}):
                return give_up("dimm device_add", i)
            if not wait(lambda: len(new()) == DIMM_SIZE // BS and all_online(new), 120):
                return give_up("dimm added", "its blocks not all online 120 s after device_add")
        count_zones("dimm blocks online", new())
        mine = set(new())
        if not qmp_ok("dimm device_del (eject)", {"execute": "device_del", "arguments": {"id": i + "dev"}}):
            return give_up("dimm device_del", i)
        if not wait(lambda: not mine & set(blocks()), 120):
            return give_up("dimm eject", "its blocks still present 120 s after device_del")
        if not wait(lambda: i + "dev" not in json.dumps(
                qmp({"execute": "qom-list", "arguments": {"path": "/machine/peripheral"}})), 60):
            return give_up("dimm eject", "QEMU still has %sdev 60 s after its blocks went" % i)
        count("dimm ejected", "OK")
        if not qmp_ok("dimm object-del", {"execute": "object-del", "arguments": {"id": i}}):
            return give_up("dimm object-del", i)


def soft():
    pfn = b"%#x" % SOFT_PFN
    while not stop.is_set():
        if not gate.gate("soft"):
            return
        r = write(MEM + "/soft_offline_page", b"%#x" % (SOFT_PFN * 4096))
        # Soft offline of a page the kernel can migrate or free: OK; one
        # it cannot (an unmovable kernel page took it meanwhile): EBUSY
        # or EIO, as C gives.
        count("soft_offline_page", r, r not in ("OK", "EBUSY", "EIO"))
        if r == "OK":
            u = write(UNPOISON, pfn)
            count("unpoison-pfn", u, u != "OK")
        time.sleep(0.3)


def loaded():
    return os.path.exists("/sys/module/" + DRIVER)


def driver():
    while not stop.is_set():
        if not gate.gate("driver"):
            return
        if not loaded():
            fd = os.open(KO, os.O_RDONLY)
            rc = libc.syscall(313, fd, b"", 0)   # finit_module
            e = ctypes.get_errno()
            os.close(fd)
            r = "OK" if rc == 0 else errname(e)
            count("insmod", r, r != "OK")
        else:
            # rmmod: delete_module(O_NONBLOCK), again while the module is
            # in use (a callback in flight), for at most 30 s.
            end = time.time() + 30
            tries = 0
            while True:
                rc = libc.syscall(176, DRIVER.encode(), os.O_NONBLOCK)
                e = ctypes.get_errno()
                if rc == 0 or e not in (errno.EWOULDBLOCK, errno.EBUSY) or time.time() > end:
                    break
                tries += 1
                time.sleep(0.01)
            r = "OK" if rc == 0 else errname(e)
            count("rmmod", r, r != "OK", "after %d tries" % tries)
            if tries:
                count("rmmod retried (module in use)", "OK")
        time.sleep(0.5 + (time.time() % 1.0))


def reader():
    files = ("state", "valid_zones", "phys_index", "phys_device", "removable", "online")
    while not stop.is_set():
        if not gate.gate("read"):
            return
        paths = [MEM + "/" + f for f in ("auto_online_blocks", "block_size_bytes")]
        paths += ["%s/memory%d/%s" % (MEM, b, f) for b in blocks() for f in files]
        for p in paths:
            try:
                read(p)
                count("read", "OK")
            except OSError as e:
                # A block removed meanwhile: ENOENT before the open,
                # ENODEV after it.
                count("read", errname(e.errno), e.errno not in (errno.ENOENT, errno.ENODEV), p)


def check(n, start):
    """Every block accounted for, MemTotal and HardwareCorrupted exact."""
    subprocess.run(["udevadm", "settle", "--timeout=60"], check=False)
    want = set(start["blocks"])
    if model["probed"]:
        want.add(P)
    else:
        want.discard(P)
    got = set(blocks())
    why = []
    if got != want:
        why.append("blocks %s missing, %s extra" % (sorted(want - got), sorted(got - want)))
    online = 0
    for b in sorted(got & want):
        s = read("%s/memory%d/state" % (MEM, b))
        w = model[b] if b in (W1, W2) else "online" if b == P else start["state"][b]
        if s != w:
            why.append("memory%d %s, want %s" % (b, s, w))
        online += b in (P, W1, W2) and w == "online"
    total = start["total"] + (online - start["online"]) * BS // 1024
    if meminfo("MemTotal") != total:
        why.append("MemTotal %s kB, want %d" % (meminfo("MemTotal"), total))
    if meminfo("HardwareCorrupted") != start["hwc"]:
        why.append("HardwareCorrupted %s kB, want %d" % (meminfo("HardwareCorrupted"), start["hwc"]))
    line = "%s check %d at %d s: %d blocks, P %s, memory%d %s, memory%d %s, MemTotal %s kB, driver %s" % (
        "bad" if why else "ok", n, time.time() - T0, len(got), "probed" if model["probed"] else "absent",
        W1, model[W1], W2, model[W2], meminfo("MemTotal"), "loaded" if loaded() else "unloaded")
    with open(OUT + "/checks", "a") as f:
        f.write(line + ("; " + "; ".join(why) if why else "") + "\n")
    return not why


start = {"blocks": blocks(), "total": meminfo("MemTotal"), "hwc": meminfo("HardwareCorrupted")}
start["state"] = {b: read("%s/memory%d/state" % (MEM, b)) for b in start["blocks"]}
start["online"] = sum(1 for b in (W1, W2) if model[b] == "online") + (1 if model["probed"] else 0)
if model["probed"] and start["state"][P] != "online":
    sys.exit("memory%d is probed but %s: the soak starts with it online or absent" % (P, start["state"][P]))
T0 = time.time()
workers = {"probe": prober, "auto": auto_toggler, "writer memory%d" % W1: lambda: writer(W1),
           "writer memory%d" % W2: lambda: writer(W2), "virtio-mem": virtio_mem, "dimm": dimm,
           "soft": soft, "driver": driver, "read": reader}


def guarded(name, fn):
    """FN, a worker; an exception in it is a failure of the soak."""
    def run():
        try:
            fn()
        except Exception as e:  # noqa: BLE001 (any error ends the soak, reported)
            count(name, "exception", True, repr(e))
            failed.set()
            stop.set()
    return run


workers = {n: threading.Thread(target=guarded(n, f), name=n, daemon=True) for n, f in workers.items()}
open(OUT + "/checks", "w").close()
for t in workers.values():
    t.start()
nchecks = 0
good = True
end = T0 + SECONDS


def pause_and_check(label):
    """Every worker stopped at its gate, then a check: (its verdict, whether
    a worker did not stop)."""
    global nchecks
    missing = gate.pause(list(workers), 300)
    nchecks += 1
    if missing:
        with open(OUT + "/checks", "a") as f:
            f.write("bad check %d%s: %s did not stop within 300 s\n" % (nchecks, label, ", ".join(missing)))
        return False, True
    return check(nchecks, start), False


while not failed.is_set():
    nxt = min(T0 + (nchecks + 1) * CHECK, end)
    while time.time() < nxt and not failed.is_set():
        time.sleep(0.5)
    if time.time() >= end or failed.is_set():
        break
    ok, stuck = pause_and_check("")
    good &= ok
    if stuck:
        stop.set()
        break
    gate.resume()
    sys.stderr.write("[guest] soak: check %d at %d s\n" % (nchecks, time.time() - T0))
# The end: every worker stops at its gate, then the last check.
good &= pause_and_check(" (the last)")[0]
stop.set()
gate.resume()
for t in workers.values():
    t.join(60)
with open(OUT + "/counts", "w") as f:
    for (kind, res), n in sorted(counts.items()):
        f.write("%s\t%s\t%d\n" % (kind, res, n))
with open(OUT + "/bad", "w") as f:
    for kind in sorted(bad):
        f.write("".join(x + "\n" for x in bad[kind]))
with open(OUT + "/summary", "w") as f:
    f.write("seconds=%d\nchecks=%d\nchecks_good=%d\nfailed=%d\nalive=%s\n" % (
        time.time() - T0, nchecks, int(good), int(failed.is_set()),
        ",".join(n for n, t in workers.items() if t.is_alive())))
