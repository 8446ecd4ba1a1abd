#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Rejected writes to the files of /sys/devices/system/memory, and what
each gives: one line per case, "KIND FILE WHO INPUT -> RESULT | RAN",
RESULT the errno name (or OK), RAN the functions of the memory block
drivers that ran during the write ("rs_state_store:1 ...", "none"; the
kprobe events of lib.sh's served_setup, counted in kprobe_profile).  Run
once with the built-in driver and once with the Rust one: the results must
be the same, and RAN says which driver gave them.

usage: errno-table.py BLOCK_SIZE OFFLINE_BLOCK FREE_BLOCK
  OFFLINE_BLOCK: a present, offline block (its index); FREE_BLOCK: an
  absent block of RAM that probe could add (no case adds it).

WHO is root, nocap (root without CAP_SYS_ADMIN) or nobody (uid 65534).
Every case is a write the driver must refuse: none changes anything.  KIND
is "driver" for a case a memory block driver decides, "control" for one
refused before any runs (the nobody cases: kernfs permissions; the online
file's kstrtobool() cases: the driver core): the controls show that nothing
in front of the driver changed, and no driver function may run for them."""
import os
import sys

from memtest import attempt, reserved_block

MEM = "/sys/devices/system/memory"
bs, off, free = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

PROFILE = "/sys/kernel/tracing/kprobe_profile"


def hits():
    """The hit counts of the served-by kprobe events (lib.sh)."""
    with open(PROFILE) as f:
        return {w[0]: int(w[1]) for w in (line.split() for line in f)
                if w and (w[0].startswith("c_") or w[0].startswith("rs_"))}


def ran(before, after):
    fired = ["%s:%d" % (k, after[k] - before.get(k, 0)) for k in sorted(after)
             if after[k] > before.get(k, 0)]
    return " ".join(fired) or "none"


def kind(name, who, data):
    if who == "nobody" or (name.endswith("/online") and data in (b"2", b"maybe")):
        return "control"
    return "driver"


def addr(n, extra=0):
    return b"0x%x" % (n * bs + extra)


cases = [
    # probe: parsed as kstrtoull(buf, 0, ...), block-aligned, not present
    ("probe", "root", addr(free, 4096)),
    ("probe", "root", addr(free, bs // 2)),
    ("probe", "root", b"4G"),
    ("probe", "root", b"\n"),
    ("probe", "root", b"\0"),
    ("probe", "root", b"0x"),
    ("probe", "root", b"-1"),
    ("probe", "root", b"++1"),
    ("probe", "root", b"0x10000000000000000"),
    ("probe", "root", b"99999999999999999999"),
    ("probe", "root", addr(free) + b"\n\n"),
    ("probe", "root", b" " + addr(free)),
    ("probe", "root", addr(free) + b" "),
    ("probe", "root", addr(free) + b"junk"),
    ("probe", "root", b"0"),
    ("probe", "root", addr(off)),
    ("probe", "root", addr(off) + b"\0junk"),
    ("probe", "root", b"+" + addr(off)),
    ("probe", "nocap", addr(off)),
    ("probe", "nobody", addr(free)),
    # a block's state: online, online_kernel, online_movable or offline
    ("memory%d/state" % off, "root", b"foo"),
    ("memory%d/state" % off, "root", b"Online"),
    ("memory%d/state" % off, "root", b"onlin"),
    ("memory%d/state" % off, "root", b"online_movablex"),
    ("memory%d/state" % off, "root", b"online\n\n"),
    ("memory%d/state" % off, "root", b"\0online"),
    ("memory%d/state" % off, "root", b"\n"),
    ("memory%d/state" % off, "root", b"offline"),
    ("memory%d/state" % off, "root", b"offline\0online"),
    ("memory%d/state" % off, "nobody", b"online"),
    ("memory0/state", "root", b"online"),
    ("memory0/state", "root", b"online_movable"),
    # the driver core's online file (these are refused by its kstrtobool()
    # and its permissions before the driver's operations are called)
    ("memory%d/online" % off, "root", b"2"),
    ("memory%d/online" % off, "root", b"maybe"),
    ("memory%d/online" % off, "nobody", b"1"),
    # auto_online_blocks: the same words as state
    ("auto_online_blocks", "root", b"foo"),
    ("auto_online_blocks", "root", b"Offline"),
    ("auto_online_blocks", "root", b"online_movable_"),
    ("auto_online_blocks", "root", b"online\n\n"),
    ("auto_online_blocks", "root", b"\n"),
    ("auto_online_blocks", "nobody", b"online"),
]
for name in ("soft_offline_page", "hard_offline_page"):
    cases += [
        (name, "root", b"\n"),
        (name, "root", b"x"),
        (name, "root", b"-4096"),
        (name, "root", b"0x10000000000000000"),
        (name, "root", b"0xfffffffff000"),
        (name, "root", addr(off, 8192)),
        (name, "nocap", b"0x100000"),
        (name, "nobody", b"0x100000"),
    ]
# memory0 (boot memory over ZONE_DMA and ZONE_DMA32) is in no single zone:
# it cannot be offlined (EINVAL), when valid_zones says so.
with open(MEM + "/memory0/valid_zones") as f:
    if f.read().strip() == "none":
        cases += [("memory0/state", "root", b"offline"), ("memory0/online", "root", b"0")]

# A boot block that offline_pages() cannot isolate (memtest.py).
busy = reserved_block(bs)
if busy is not None:
    cases += [("memory%d/state" % busy, "root", b"offline"), ("memory%d/online" % busy, "root", b"0")]

for name, who, data in cases:
    before = hits()
    result = attempt(who, os.path.join(MEM, name), data)
    print("%s %s %s %r -> %s | %s" % (kind(name, who, data), name, who, data, result,
                                       ran(before, hits())))
