#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Differential fuzzing of the memory block files: the same seeded writes
under the built-in driver and under the Rust one, from the same starting
state, compared.

usage:
  fuzz.py run SEED COUNT OUT [ONLY]
      Generate COUNT inputs from SEED and write each, from the starting
      state, under whichever driver serves the files now; record what it
      gave in OUT (JSON lines), then put the starting state back.  ONLY:
      input numbers, comma-separated, to write just those.
  fuzz.py compare C_OUT RUST_OUT SEED
      TAP results: the two records agree, input by input.
  fuzz.py show SEED I
      Print input I of the sequence as generated (before the filter).

The layout (fuzz.sh sets it up, the same for both drivers): block M1 and M2
online in ZONE_MOVABLE, O between them offline (so that a plain "online"
puts it in ZONE_MOVABLE too), K after them online in ZONE_NORMAL, the rest
of memory32-39 absent (probe adds them), memory0 (in no single zone) and R,
a boot block holding a reserved page, online; auto_online_blocks offline.
K is there for its state, and so that O onlined in ZONE_NORMAL can be
offlined again: the boot memory is all below 4 GiB (DMA32), so without K
the kernel's allocations would go to O at once, and pages onlined later go
to the tail of the free lists.  Environment: FUZZ_LAYOUT="M1 O M2 K R".

An input is (file, who, bytes, offset): one write(2) (pwrite at offset) to
a file of the memory root or of one of the six blocks, as root, as root
without CAP_SYS_ADMIN or as uid 65534.  The bytes come from the words and
numbers the files take (states, booleans, block and page addresses of every
kind of block, numbers in every base), mutated (bytes inserted, replaced,
dropped, case, separators, NUL, newlines, truncation), or are random; some
are longer than a page.  What is recorded for each input: the errno (or
OK), the memory block driver functions that ran (the served-by kprobe
counts of lib.sh, mapped to one name per function so that the two drivers
compare), what changed against the starting state (every block's state,
the six blocks' files, auto_online_blocks, MemTotal, HardwareCorrupted,
/proc/iomem) and the kernel log the write caused.

Restoring the starting state after each input, cheaply: nothing is done
when the snapshot equals the start (most inputs are refused); otherwise
auto_online_blocks is written back, a block that a probe added is offlined
and removed (memblock_unprobe.ko, offline_and_remove_memory()), O is
offlined, M1/M2 onlined movable again (offlined first if in another zone),
and the pages a soft offline poisoned (HWPoison in /proc/kpageflags) are
unpoisoned; then the snapshot must equal the start, or the run stops.

Inputs that could harm the guest are never written: a number that the
kernel's kstrtoull() would parse (mirrored here, as a filter only) into a
probe of a range that is not RAM (outside memory32-39 and present blocks,
below 2^47), a page offline of boot memory, or a hard offline of a page of
an online block (it would kill its user) is replaced by the same kind of
number in a safe block.  The number of replaced inputs is printed."""
import json
import os
import random
import re
import sys
import time

from memtest import attempt, errname, write

MEM = "/sys/devices/system/memory"
PROFILE = "/sys/kernel/tracing/kprobe_profile"
UNPROBE = "/sys/module/memblock_unprobe/parameters/remove"
UNPOISON = "/sys/kernel/debug/hwpoison/unpoison-pfn"
PAGE = 4096
HIGH = 0x100000000          # memory32: the RAM past mem=4G, 1 GiB
HIGH_END = 0x140000000
FAR = 1 << 47               # beyond x86-64's hotpluggable range
HERE = os.path.dirname(os.path.abspath(__file__))


def read(path):
    with open(path) as f:
        return f.read().strip()


class Layout:
    def __init__(self):
        self.bs = int(read(MEM + "/block_size_bytes"), 16)
        m1, o, m2, k, r = (int(x) for x in os.environ["FUZZ_LAYOUT"].split())
        self.m1, self.o, self.m2, self.k, self.r = m1, o, m2, k, r
        self.blocks = [m1, o, m2, k, 0, r]
        self.high = range(HIGH // self.bs, HIGH_END // self.bs)


# --- The kernel's kstrtoull(s, 0), as a filter only ---------------------------

def kstrtoull(buf):
    """What kstrtoull(buf, 0, &v) gives for a sysfs store of buf: the value,
    or None (an error).  kernfs passes the first page of a longer write (the
    write returns a page), NUL-terminated."""
    s = buf[:PAGE].split(b"\0", 1)[0]
    if s[:1] == b"+":
        s = s[1:]
    base = 10
    if s[:1] == b"0":
        base = 16 if s[1:2].lower() == b"x" and s[2:3] and s[2:3] in b"0123456789abcdefABCDEF" else 8
    if base == 16:
        s = s[2:]
    v, n = 0, 0
    for c in s:
        c = chr(c).lower()
        d = ord(c) - 48 if c.isdigit() else (ord(c) - 87 if "a" <= c <= "f" else 99)
        if d >= base:
            break
        v, n = v * base + d, n + 1
    if n == 0 or v >= 1 << 64:
        return None
    rest = s[n:]
    if rest[:1] == b"\n":
        rest = rest[1:]
    return None if rest else v


# --- The inputs ------------------------------------------------------------

WORDS = [b"online", b"offline", b"online_kernel", b"online_movable"]
BOOLS = [b"1", b"0", b"y", b"n", b"Y", b"N", b"on", b"off", b"yes", b"no", b"2", b"-1", b"true"]
BLOCK_FILES = ["state", "online", "phys_index", "phys_device", "removable", "valid_zones"]


class Gen:
    def __init__(self, seed, lay):
        self.rng = random.Random(seed)
        self.lay = lay

    def pick(self, weighted):
        total = sum(w for _, w in weighted)
        x = self.rng.uniform(0, total)
        for v, w in weighted:
            x -= w
            if x <= 0:
                return v
        return weighted[-1][0]

    def fmt(self, v):
        r = self.rng
        if v < 0:
            return b"-" + self.fmt(-v)
        return self.pick([(b"0x%x" % v, 6), (b"0X%X" % v, 1), (b"%d" % v, 2),
                          (b"0%o" % v, 1), (b"%x" % v, 1), (b"+0x%x" % v, r.choice([0, 1]))])

    def number(self):
        r, lay, bs = self.rng, self.lay, self.lay.bs
        # Often a block of memory32-39: the absent ones are what probe adds.
        block = self.pick([(r.choice(lay.blocks), 6), (r.choice(list(lay.high)), 3), (r.randrange(64), 1)])
        kind = self.pick([("block", 5), ("page", 4), ("wild", 2), ("edge", 1)])
        if kind == "block":
            v = block * bs + self.pick([(0, 8), (r.choice([PAGE, bs // 2, bs - 1, 1]), 2)])
        elif kind == "page":
            v = block * bs + r.randrange(bs // PAGE) * PAGE + self.pick([(0, 8), (r.randrange(1, PAGE), 1)])
        elif kind == "wild":
            v = r.getrandbits(r.choice([8, 16, 32, 40, 48, 64]))
        else:
            v = r.choice([0, 1, (1 << 64) - 1, 1 << 64, (1 << 64) + PAGE, 10 ** 20, -1, -PAGE, FAR])
        return self.fmt(v)

    def token(self, kind):
        r = self.rng
        if kind == "word":
            return r.choice(WORDS)
        if kind == "bool":
            return r.choice(BOOLS)
        return self.number()

    def mutate(self, s):
        r = self.rng
        s = bytearray(s)
        for _ in range(self.pick([(1, 6), (2, 2), (3, 1)])):
            op = r.randrange(9)
            i = r.randrange(len(s) + 1)
            if op == 0:
                s[i:i] = bytes([r.randrange(256)])
            elif op == 1 and s:
                s[min(i, len(s) - 1)] = r.randrange(256)
            elif op == 2 and s:
                del s[min(i, len(s) - 1)]
            elif op == 3:
                s = bytearray(s.swapcase() if r.random() < 0.5 else s.upper())
            elif op == 4:
                s = s[:i]
            elif op == 5:
                s[i:i] = r.choice([b" ", b"\n", b"\0", b"\t", b",", b"_", b"x"])
            elif op == 6:
                s = s + r.choice([b"\n", b"\n\n", b" ", b"\0", b"\0junk", b"junk"])
            elif op == 7:
                s = r.choice([b" ", b"+", b"-", b"\n", b"\0", b"0"]) + s
            else:
                s = s + r.choice([b"", b" ", b"\n"]) + self.token(r.choice(["word", "bool", "number"]))
            s = bytearray(s)
        return bytes(s)

    def data(self, kind):
        r = self.rng
        how = self.pick([("plain", 10), ("mutated", 7), ("other", 2), ("random", 2), ("long", 1), ("empty", 0.3)])
        if how == "random":
            return bytes(r.randrange(256) for _ in range(r.randrange(1, 24)))
        if how == "long":
            t = self.token(kind)
            n = r.choice([PAGE - 2, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE])
            return (t + self.pick([(b"\n", 1), (b" ", 1), (b"0", 1)]) * n)[:n] if r.random() < 0.5 else \
                (b"0" * n + t)[-n:]
        if how == "empty":
            return b""
        t = self.token(r.choice(["word", "bool", "number"]) if how == "other" else kind)
        if how == "mutated":
            t = self.mutate(t)
        return t + b"\n" if r.random() < 0.75 else t

    def input(self):
        lay = self.lay
        target = self.pick([("probe", 18), ("auto_online_blocks", 9), ("soft_offline_page", 7),
                            ("hard_offline_page", 5), ("block_size_bytes", 0.5), ("block", 40)])
        if target == "block":
            b = self.pick([(lay.o, 4), (lay.m1, 3), (lay.m2, 1), (lay.k, 1), (0, 1), (lay.r, 1)])
            f = self.pick([("state", 12), ("online", 6), ("phys_index", 0.5), ("phys_device", 0.5),
                           ("removable", 0.5), ("valid_zones", 0.5)])
            path, kind = "memory%d/%s" % (b, f), "bool" if f == "online" else "word"
        else:
            path = target
            kind = "word" if target == "auto_online_blocks" else "number"
        who = self.pick([("root", 92), ("nocap", 4), ("nobody", 4)])
        offset = self.pick([(0, 95), (1, 2), (7, 1), (PAGE, 2)])
        data = self.data(kind)
        return {"file": path, "who": who, "data": data, "offset": offset}


def safe(inp, lay):
    """The input, or a harmless one of the same kind if the kernel would
    parse it into an address it must not touch (see the module doc)."""
    name = inp["file"]
    if name not in ("probe", "soft_offline_page", "hard_offline_page") or inp["who"] == "nobody":
        return inp, False
    v = kstrtoull(inp["data"])
    if v is None:
        return inp, False
    bs = lay.bs
    present = os.path.exists("%s/memory%d" % (MEM, v // bs))
    if name == "probe":
        ok = v % bs or v >= FAR or HIGH <= v < HIGH_END or present
        repl = HIGH_END - bs
    elif name == "soft_offline_page":
        ok = v >= HIGH and v // bs != lay.k
        repl = lay.m1 * bs + (v % bs & ~(PAGE - 1))
    else:
        ok = v >= HIGH_END or (HIGH <= v < HIGH_END and v // bs not in (lay.m1, lay.m2, lay.k))
        repl = lay.o * bs + (v % bs & ~(PAGE - 1))
    if ok:
        return inp, False
    return dict(inp, data=b"0x%x\n" % repl), True


# --- Running one input -------------------------------------------------------

def hits():
    with open(PROFILE) as f:
        return {w[0]: int(w[1]) for w in (line.split() for line in f)
                if w and (w[0].startswith("c_") or w[0].startswith("rs_"))}


def canonical(event):
    """One name for the same function of either driver."""
    name = event.split("_", 1)[1]
    return "change_state" if name in ("online", "offline") else name


def ran(before, after):
    out = {}
    for k, v in after.items():
        if v > before.get(k, 0):
            out[k] = v - before.get(k, 0)
    return out


def run_input(inp):
    return attempt(inp["who"], os.path.join(MEM, inp["file"]), inp["data"], inp["offset"])


INVALIDATED = re.compile(r"Soft offline: 0x[0-9a-f]+: invalidated")

# dump_page() of a page that blocks an offline prints that page: the first
# unmovable page the offline met in the block, which is whatever the
# kernel allocated there while the block was online (a page table, a slab
# page), under either driver: which page, and what it holds, is the
# allocator's doing, not the driver's (seed 1, 2026-12-08: input 254's
# offline met a page table at pfn 0x118002 under the built-in driver, an
# untyped page at 0x118007 under Rust).  The dump is compared as one line
# with why it was dumped; every other line of the log as printed.
DUMP_START = re.compile(r"^page: refcount:\d+ mapcount:\d+ ")
DUMP_END = re.compile(r"^page dumped because: ")


def log_key(x):
    """The kernel log of a record, dump_page()'s lines but the reason masked."""
    out = []
    in_dump = False
    for line in x["log"]:
        if DUMP_START.match(line):
            in_dump = True
            out.append("page: <the page dumped>")
            continue
        if in_dump:
            if DUMP_END.match(line):
                in_dump = False
                out.append(line)
            continue
        out.append(line)
    return out


class Kmsg:
    """The kernel log records since the last call (messages only)."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def new(self):
        out = []
        while True:
            try:
                rec = os.read(self.fd, 8192).decode(errors="replace")
            except BlockingIOError:
                return out
            except BrokenPipeError:
                out.append("(kernel log records overwritten)")
                continue
            line = rec.split(";", 1)[1].split("\n", 1)[0] if ";" in rec else rec.strip()
            # How a soft offline retires a page depends on what the page
            # holds at the time (free, anonymous, page cache): a clean
            # page cache page is dropped ("invalidated") rather than
            # migrated.  That is the page's luck, not the driver's.
            if not INVALIDATED.fullmatch(line):
                out.append(line)


def meminfo():
    keep = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k = line.split(":")[0]
            if k in ("MemTotal", "HardwareCorrupted"):
                keep[k] = line.split()[1]
    return keep


def snapshot(lay):
    s = {}
    names = sorted((n for n in os.listdir(MEM) if re.fullmatch(r"memory\d+", n)), key=lambda n: int(n[6:]))
    s["blocks"] = " ".join(names)
    for n in names:
        s[n + "/state"] = read("%s/%s/state" % (MEM, n))
    for b in lay.blocks:
        for f in ("online", "valid_zones", "phys_device", "removable", "phys_index"):
            p = "%s/memory%d/%s" % (MEM, b, f)
            try:
                s["memory%d/%s" % (b, f)] = read(p)
            except OSError as e:
                s["memory%d/%s" % (b, f)] = errname(e.errno)
    s["auto_online_blocks"] = read(MEM + "/auto_online_blocks")
    s.update(meminfo())
    s["iomem"] = read("/proc/iomem")
    return s


def changes(start, now):
    keys = sorted(set(start) | set(now))
    return {k: now.get(k) for k in keys if start.get(k) != now.get(k)}


def retry_write(path, data, tries=20):
    res = None
    for _ in range(tries):
        res = write(path, data, 0)
        if res != "EBUSY":
            return res
        time.sleep(0.2)
    return res


def restore(lay, start, now):
    """Puts the starting state back; returns what it did (a list)."""
    did = []
    bs = lay.bs
    if now["auto_online_blocks"] != start["auto_online_blocks"]:
        did.append("auto_online_blocks %s" % write(MEM + "/auto_online_blocks",
                                                   start["auto_online_blocks"].encode(), 0))
    was = set(start["blocks"].split())
    for n in now["blocks"].split():
        if n not in was:
            did.append("unprobe %s %s" % (n, retry_write(UNPROBE, b"0x%x" % (int(n[6:]) * bs))))
    o = "memory%d" % lay.o
    if now.get(o + "/state") != "offline":
        did.append("offline %s %s" % (o, retry_write("%s/%s/state" % (MEM, o), b"offline")))
    for b, how in ((lay.m1, b"online_movable"), (lay.m2, b"online_movable"), (lay.k, b"online_kernel")):
        m = "memory%d" % b
        if now.get(m + "/valid_zones") != start[m + "/valid_zones"] or now.get(m + "/state") != "online":
            if read("%s/%s/state" % (MEM, m)) != "offline":
                did.append("offline %s %s" % (m, retry_write("%s/%s/state" % (MEM, m), b"offline")))
            did.append("%s %s %s" % (how.decode(), m, write("%s/%s/state" % (MEM, m), how, 0)))
    if now.get("HardwareCorrupted") != start.get("HardwareCorrupted"):
        # KPF_HWPOISON is bit 19: bit 3 of each entry's third byte.
        per = bs // PAGE
        poisoned = bytes(1 if x & 8 else 0 for x in range(256))
        with open("/proc/kpageflags", "rb") as kpf:
            for n in now["blocks"].split():
                b = int(n[6:])
                if not HIGH <= b * bs < HIGH_END:
                    continue
                kpf.seek(b * per * 8)
                marks = kpf.read(per * 8)[2::8].translate(poisoned)
                i = marks.find(1)
                while i >= 0:
                    did.append("unpoison %#x %s" % (b * per + i, write(UNPOISON, b"%d" % (b * per + i), 0)))
                    i = marks.find(1, i + 1)
    return did


def run(seed, count, out, only):
    lay = Layout()
    gen = Gen(seed, lay)
    kmsg = Kmsg()
    start = snapshot(lay)
    replaced = restores = 0
    t0 = time.time()
    with open(out, "w") as f:
        for i in range(count):
            inp = gen.input()
            if only is not None and i not in only:
                continue
            inp, rep = safe(inp, lay)
            replaced += rep
            kmsg.new()
            before = hits()
            result = run_input(inp)
            after = hits()
            log = kmsg.new()
            now = snapshot(lay)
            rec = {"i": i, "file": inp["file"], "who": inp["who"], "data": inp["data"].hex(),
                   "offset": inp["offset"], "result": result, "ran": ran(before, after),
                   "changed": changes(start, now), "log": log}
            if rec["changed"]:
                restores += 1
                rec["restore"] = restore(lay, start, now)
                kmsg.new()
                left = changes(start, snapshot(lay))
                if left:
                    rec["restore_failed"] = left
                    f.write(json.dumps(rec) + "\n")
                    print("# input %d: the starting state could not be restored: %s (restore: %s)"
                          % (i, json.dumps(left)[:600], rec["restore"]), file=sys.stderr)
                    return 1
            f.write(json.dumps(rec) + "\n")
            if (i + 1) % 500 == 0:
                print("[guest] fuzz: %d of %d inputs (%.0f s)" % (i + 1, count, time.time() - t0),
                      file=sys.stderr, flush=True)
    print("# fuzz: %d inputs, %d replaced by a safe one, %d restores, %.1f s"
          % (count if only is None else len(only), replaced, restores, time.time() - t0))
    return 0


# --- Comparing the two runs --------------------------------------------------

def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def describe(rec):
    data = bytes.fromhex(rec["data"])
    shown = repr(data) if len(data) <= 64 else "%r... (%d bytes)" % (data[:48], len(data))
    return "input %d: %s as %s, offset %d, bytes %s" % (rec["i"], rec["file"], rec["who"], rec["offset"], shown)


def ran_names(rec):
    return sorted("%s:%d" % (canonical(k), v) for k, v in rec["ran"].items())


SPLAT = None


def splat(lines):
    global SPLAT
    if SPLAT is None:
        with open(os.path.join(HERE, "splat-patterns")) as f:
            pats = [p.rstrip("\n") for p in f if p.strip() and not p.startswith("#")]
        SPLAT = re.compile("|".join(pats))
    return [l for l in lines if SPLAT.search(l)]


def tap(ok, name, diags=()):
    print("%s - %s" % ("ok" if ok else "not ok", name))
    for d in diags:
        for line in str(d).splitlines():
            print("# " + line)


def compare(c_path, r_path, seed):
    c, r = load(c_path), load(r_path)
    replay = ("replay: FUZZ_SEED=%s FUZZ_COUNT=<I+1> FUZZ_ONLY=<I> make fuzz (fuzz.py show %s I prints input I)"
              % (seed, seed))
    tap(len(c) == len(r) and all(a["i"] == b["i"] and a["data"] == b["data"] and a["file"] == b["file"]
                                 for a, b in zip(c, r)),
        "fuzz: both drivers got the same %d inputs" % len(c),
        ["built-in %d records, Rust %d" % (len(c), len(r))])
    pairs = list(zip(c, r))
    served = [("built-in", c, "c_", "rs_"), ("Rust", r, "rs_", "c_")]
    for label, recs, own, other in served:
        wrong = [x for x in recs if any(k.startswith(other) for k in x["ran"])]
        mine = sum(1 for x in recs if any(k.startswith(own) for k in x["ran"]))
        tap(not wrong and mine > 0,
            "fuzz: the %s driver's functions served %d of the %d inputs under it, the other's none"
            % (label, mine, len(recs)),
            ["%s ran %s" % (describe(x), x["ran"]) for x in wrong[:5]] + ([replay] if wrong else []))
    checks = [
        ("errno", lambda x: x["result"]),
        ("driver functions that ran", ran_names),
        ("state after it (block states and files, auto_online_blocks, MemTotal, HardwareCorrupted, /proc/iomem)",
         lambda x: x["changed"]),
        ("kernel log", log_key),
    ]
    for what, key in checks:
        bad = [(a, b) for a, b in pairs if key(a) != key(b)]
        tap(not bad, "fuzz: the same %s under both drivers, for each of the %d inputs" % (what, len(pairs)),
            ["%s\n  built-in: %s\n  Rust:     %s" % (describe(a), json.dumps(key(a))[:400], json.dumps(key(b))[:400])
             for a, b in bad[:5]] + (["%d inputs differ; %s" % (len(bad), replay)] if bad else []))
    spl = [(x, splat(x["log"])) for x in c + r]
    spl = [(x, s) for x, s in spl if s]
    tap(not spl, "fuzz: no kernel splat after any input",
        ["%s: %s" % (describe(x), s[:3]) for x, s in spl[:5]] + ([replay] if spl else []))
    # What the inputs reached: each outcome must have been reached, or the
    # run proved little.
    outcome = {}
    for x in c:
        f = x["file"].split("/")[-1]
        outcome.setdefault(f, {}).setdefault(x["result"], 0)
        outcome[f][x["result"]] += 1
    need = [("probe", "OK"), ("probe", "EINVAL"), ("probe", "EEXIST"), ("state", "OK"), ("state", "EINVAL"),
            ("online", "OK"), ("auto_online_blocks", "OK"), ("auto_online_blocks", "EINVAL"),
            ("soft_offline_page", "OK"), ("hard_offline_page", "ENXIO")]
    missing = ["%s %s" % n for n in need if not outcome.get(n[0], {}).get(n[1])]
    tap(not missing, "fuzz: the inputs reached every outcome listed (%s)" % ", ".join("%s %s" % n for n in need),
        ["never reached: %s" % ", ".join(missing)] if missing else [])
    for f in sorted(outcome):
        print("# %-20s %s" % (f, " ".join("%s:%d" % kv for kv in sorted(outcome[f].items()))))
    return 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        only = None
        if len(sys.argv) >= 6 and sys.argv[5]:
            only = {int(x) for x in sys.argv[5].split(",")}
        return run(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], only)
    if len(sys.argv) == 5 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3], sys.argv[4])
    if len(sys.argv) == 4 and sys.argv[1] == "show":
        gen = Gen(int(sys.argv[2]), Layout())
        for i in range(int(sys.argv[3]) + 1):
            inp = gen.input()
        print(inp)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
