# SPDX-License-Identifier: GPL-2.0
"""What trinity did, summed over trinity.sh's rounds.

usage: trinity-stats.py FDS LOG...
  FDS: "PATH FLAGS" per descriptor trinity held at the end of a round
  (FLAGS octal, from /proc/PID/fdinfo); LOG: each round's output (--stats).

Prints "Ran N syscalls, S successes, F failures", the rounds' seeds, then
per file its
descriptors (all, usable for a read, usable for a write: not O_PATH, the
access mode allowing it), then per syscall its attempts, successes and
failures by errno.
"""
import collections
import re
import sys

O_PATH = 0o10000000
MEM = "/sys/devices/system/memory"


def main(fds_path, logs):
    fds = collections.defaultdict(lambda: [0, 0, 0])
    try:
        with open(fds_path) as f:
            for line in f:
                path, flags = line.split()
                flags = int(flags, 8)
                c = fds[path[len(MEM) + 1:] or "(the root)"]
                c[0] += 1
                if not flags & O_PATH:
                    c[1] += flags & 3 in (0, 2)
                    c[2] += flags & 3 in (1, 2)
    except FileNotFoundError:
        pass
    ran = [0, 0, 0]
    seeds = []
    calls = collections.OrderedDict()
    for log in logs:
        cur = None
        with open(log, errors="replace") as f:
            for line in f:
                m = re.search(r"Initial random seed: (\d+)", line)
                if m:
                    seeds.append(m.group(1))
                m = re.search(r"Ran (\d+) syscalls\. Successes: (\d+) +Failures: (\d+)", line)
                if m:
                    ran = [a + int(b) for a, b in zip(ran, m.groups())]
                    continue
                m = re.match(r"(\w+): \(attempted:(\d+)\. success:(\d+)\. failures:(\d+)\.", line)
                if m:
                    cur = calls.setdefault(m.group(1), {"n": [0, 0, 0], "errno": collections.Counter()})
                    cur["n"] = [a + int(b) for a, b in zip(cur["n"], m.groups()[1:])]
                    continue
                m = re.match(r"    (.+): (\d+)$", line)
                if m and cur is not None:
                    cur["errno"][m.group(1)] += int(m.group(2))
                else:
                    cur = None
    print("Ran %d syscalls, %d successes, %d failures" % tuple(ran))
    print("the rounds' seeds: %s" % " ".join(seeds))
    print("trinity's descriptors per file at the rounds' ends: all, readable, writable")
    for k in sorted(fds, key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p)]):
        print("  %-24s %4d %4d %4d" % (k, *fds[k]))
    print("per syscall: attempted, succeeded; failures by errno")
    for name, c in calls.items():
        print("  %-9s %6d %6d  %s" % (name, c["n"][0], c["n"][1],
                                     ", ".join("%s %d" % kv for kv in c["errno"].most_common())))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
