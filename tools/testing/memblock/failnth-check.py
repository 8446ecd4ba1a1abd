# SPDX-License-Identifier: GPL-2.0
"""The verdicts of failnth.py's walks (OUT/c.jsonl and OUT/rust.jsonl), as
TAP, one result per walk:
  - the walk ended: an N with no failure injected, and the operation then
    succeeded (no "gave up at FAILNTH_MAX");
  - every injected failure either failed the operation with an errno and
    changed nothing, or was absorbed (the operation succeeded; a fallback)
    and the restore after it left nothing changed;
  - where both drivers failed the same allocation (the same stack from
    the allocator's frames down to where a driver's own code begins, at
    most 8 callers), the results are the same
    (the Rust driver reaches mm's allocations as C does and passes their
    errors on); the allocations only one driver reaches are its own, or
    ones the run's state added (a slab refill, an IDR node).
Then the table (walk: N, errnos under each driver) as diagnostics.

usage: failnth-check.py OUT WALK...   (WALK names, in the order walked)
"""
import json
import re
import sys

OUT, WALKS = sys.argv[1], sys.argv[2:]


def load(driver):
    recs = {}
    try:
        with open("%s/%s.jsonl" % (OUT, driver)) as f:
            for line in f:
                r = json.loads(line)
                recs.setdefault(r["walk"], []).append(r)
    except FileNotFoundError:
        pass
    return recs


def errnos(rs):
    c = {}
    for r in rs:
        if r.get("injected"):
            c[r["result"]] = c.get(r["result"], 0) + 1
    return ", ".join("%s %d" % kv for kv in sorted(c.items())) or "none"


# The frames where a driver's own code begins: the Rust driver's (mangled
# "_R..."), the built-in driver's stores and shows, the dispatch to either
# (memory.c), and the online and offline of a block device (the driver
# core's device_online() for the built-in driver, memory.c's
# memory_block_device_online_locked() for a provider: the same uevent).
DRIVER = re.compile(r"^(_R|memory_attr_|memory_subsys_|memory_block_online_op|"
                    r"memory_block_change_state|memory_block_device_\w+|"
                    r"device_(online|offline)$|\w+_(store|show)$)")


def key(r):
    """The allocation: its stack from the allocator's frames on, down to
    where a driver's own code begins (the same under both drivers above
    it), at most 8 callers."""
    frames = r.get("stack", "").split("<")
    api = r["site"].split(":")[0]
    i = frames.index(api) + 1 if api in frames else 0
    j = i
    while j < len(frames) and j < i + 8 and not DRIVER.match(frames[j]):
        j += 1
    return "<".join(frames[:j]) or r["site"]


def by_site(rs):
    """The results of each allocation failed: a set, as one allocation may
    be failed at two N or at none (a slab's refill, an IDR's new node: the
    number of allocations before it is not the same from run to run)."""
    s = {}
    for r in rs:
        if r.get("injected"):
            s.setdefault(key(r), set()).add(r["result"])
    return s


def own(rs, who):
    """What is wrong in one driver's walk."""
    why = []
    if not rs:
        return ["%s: no record" % who]
    last = rs[-1]
    if last.get("injected", True) or last.get("result") != "OK":
        why.append("%s: the walk did not end with a success without injection: %s" % (who, json.dumps(last)))
    for r in rs:
        if not r.get("injected"):
            continue
        if r["result"] == "OK":
            if r.get("restore_left") or r.get("restored") != "OK":
                why.append("%s N=%d: absorbed, but the restore (%s) left %s" % (
                    who, r["n"], r.get("restored"), r.get("restore_left")))
        elif not r["result"].startswith("E"):
            why.append("%s N=%d: %s is not an errno" % (who, r["n"], r["result"]))
        elif r["changed"]:
            why.append("%s N=%d: %s at %s, and it changed %s" % (who, r["n"], r["result"], r["site"], r["changed"]))
    return why


c, rust = load("c"), load("rust")
table = []
for w in WALKS:
    rs_c, rs_r = c.get(w, []), rust.get(w, [])
    why = own(rs_r, "rust")
    if w not in ("insmod", "rmmod"):
        why += own(rs_c, "c")
    sc, sr = by_site(rs_c), by_site(rs_r)
    common = sorted(set(sc) & set(sr) - {"?"})
    for s in common:
        if sc[s] != sr[s]:
            why.append("allocation %s: C %s, Rust %s" % (s, sorted(sc[s]), sorted(sr[s])))
    nc = rs_c[-1]["n"] if rs_c else "-"
    nr = rs_r[-1]["n"] if rs_r else "-"
    only = sorted(set(sr) - set(sc))
    row = "%s: C N=1..%s (%s), Rust N=1..%s (%s); %d allocations failed under both, same results; %d only under Rust" % (
        w, nc, errnos(rs_c) if rs_c else "not walked", nr, errnos(rs_r), len(common), len(only))
    table.append(row)
    if why:
        print("not ok - faults: %s: every failure an errno with nothing changed, C's result at C's call sites" % w)
        for x in why[:15]:
            print("# " + x)
        if only:
            print("# call sites only under Rust: " + "; ".join(only[:10]))
    else:
        print("ok - faults: %s" % row)
for row in table:
    print("# table: " + row)
