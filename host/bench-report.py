#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make bench, on the host: the table and the plots of a bench.json (the
guest's tools/testing/memblock/bench.py).

For each operation: the median, min and max of each side's samples, and the
Rust/built-in ratio of the medians (of times: a ratio above 1.00 means Rust
took longer; of writes per second, the inverse, so that it reads the same
way) with its spread: the ratio of each pair of neighbouring rounds (the
rounds go built-in, Rust, Rust, built-in, ...: each Rust round is paired
with the built-in round next to it), min to max.  The hand-over: insmod and
rmmod against the number of present blocks, with a least-squares line
(its slope is the cost per block).

usage: bench-report.py BENCH_JSON OUTDIR
Writes OUTDIR/bench-table.txt, bench-ratios.png, bench-handover.png.
"""
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OPS = [  # op, what, unit shown, higher is better
    ("online", "online_movable one block (a write)", "ms", False),
    ("offline", "offline one block (a write)", "ms", False),
    ("probe_online", "probe + online the 8 free blocks", "ms", False),
    ("offline_all", "offline the 8 blocks", "ms", False),
    ("writers", "4 writers onlining/offlining their own block", "writes/s", True),
    ("read_all", "every file of every block, read once", "ms", False),
    ("lsmem", "lsmem --all (a process)", "ms", False),
    ("read_idle", "state + valid_zones of a block", "us", False),
    ("read_during_offline", "the same while another block goes offline", "us", False),
    ("offline_under_reads", "that offline (with pages to migrate)", "ms", False),
]
SCALE = {"ms": 1e6, "us": 1e3, "writes/s": 1}


def pairs(order):
    """(built-in round, Rust round) neighbours: C R R C C R R C ... gives
    (0, 1), (3, 2), (4, 5), (7, 6), ..."""
    out = []
    for i in range(0, len(order) - 1, 2):
        a, b = order[i], order[i + 1]
        if {a, b} == {"c", "rust"}:
            out.append((i, i + 1) if a == "c" else (i + 1, i))
    return out


def fit(xs, ys):
    """Least squares y = a + b x: (a, b)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return my, 0.0
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return my - b * mx, b


def main():
    path, outdir = sys.argv[1], sys.argv[2]
    with open(path) as f:
        d = json.load(f)
    order = d["meta"]["order"]
    by = {}
    for s in d["samples"]:
        by.setdefault((s["op"], s["side"]), []).append(s)
    rows, plot = [], []
    head = "%-46s %-8s %24s %24s %7s %15s" % ("operation", "unit", "built-in median (min-max)",
                                             "Rust median (min-max)", "ratio", "round pairs")
    rows.append(head)
    rows.append("-" * len(head))
    for op, what, unit, higher in OPS:
        c = [s["value"] for s in by.get((op, "c"), [])]
        r = [s["value"] for s in by.get((op, "rust"), [])]
        if not c or not r:
            rows.append("%-46s %-8s %s" % (what, unit, "no samples on %s" %
                                           ("either side" if not c and not r else
                                            "the built-in side" if not c else "the Rust side")))
            continue
        k = SCALE[unit]
        mc, mr = statistics.median(c), statistics.median(r)
        if not mc or not mr:
            rows.append("%-46s %-8s %s" % (what, unit, "a median of 0 (built-in %g, Rust %g): no ratio"
                                           % (mc / k, mr / k)))
            continue
        ratio = (mc / mr) if higher else (mr / mc)
        prs = []
        for ci, ri in pairs(order):
            cv = [s["value"] for s in by[(op, "c")] if s["round"] == ci]
            rv = [s["value"] for s in by[(op, "rust")] if s["round"] == ri]
            if cv and rv:
                a, b = statistics.median(cv), statistics.median(rv)
                if a and b:
                    prs.append(a / b if higher else b / a)
        spread = "%.2f-%.2f" % (min(prs), max(prs)) if prs else "-"
        rows.append("%-46s %-8s %24s %24s %7.2f %15s" % (
            what, unit, "%.3g (%.3g-%.3g)" % (mc / k, min(c) / k, max(c) / k),
            "%.3g (%.3g-%.3g)" % (mr / k, min(r) / k, max(r) / k), ratio, spread))
        # The pooled median's ratio can lie outside the pairs' range: the
        # bars span both.
        plot.append((op, ratio, min(prs + [ratio]), max(prs + [ratio])))
    ho = d["handover"]
    if ho:
        xs = [h["blocks"] for h in ho]
        rows.append("")
        for key, name in (("insmod_ns", "insmod"), ("rmmod_ns", "rmmod")):
            ys = [h[key] / 1e6 for h in ho]
            a, b = fit(xs, ys)
            rows.append("hand-over %-6s at %d-%d blocks: median %.1f ms; fit %.2f ms + %.3f ms per block"
                        % (name, min(xs), max(xs), statistics.median(ys), a, b))
    rows.append("")
    rows.append("%d rounds (%s), %d samples; %s" % (
        len(order), " ".join("C" if s == "c" else "R" for s in order), len(d["samples"]),
        d["meta"]["clock"]))
    table = "\n".join(rows)
    print(table)
    with open(os.path.join(outdir, "bench-table.txt"), "w") as f:
        f.write(table + "\n")

    fig, ax = plt.subplots(figsize=(9, 4.5))
    ys = list(range(len(plot)))
    ax.errorbar([p[1] for p in plot], ys,
                xerr=[[p[1] - p[2] for p in plot], [p[3] - p[1] for p in plot]],
                fmt="o", capsize=4)
    ax.axvline(1.0, color="grey", linestyle="--")
    ax.set_yticks(ys)
    ax.set_yticklabels([p[0] for p in plot])
    ax.invert_yaxis()
    ax.set_xlabel("Rust / built-in (time; median, bars: min-max of round pairs)")
    ax.set_title("rust_memory_block against the built-in driver, %d rounds, %s"
                 % (len(order), d["meta"]["kernel"]))
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "bench-ratios.png"), dpi=100)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    if ho:
        xs = [h["blocks"] for h in ho]
        for key, name, m in (("insmod_ns", "insmod", "o"), ("rmmod_ns", "rmmod", "s")):
            ys = [h[key] / 1e6 for h in ho]
            a, b = fit(xs, ys)
            ax.plot(xs, ys, m, alpha=0.6, label="%s (fit: %.1f ms + %.3f ms/block)" % (name, a, b))
            lo, hi = min(xs), max(xs)
            ax.plot([lo, hi], [a + b * lo, a + b * hi], "-")
    ax.set_xlabel("present memory blocks")
    ax.set_ylabel("ms")
    ax.set_title("hand-over: rust_memory_block's insmod and rmmod")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "bench-handover.png"), dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
