# SPDX-License-Identifier: GPL-2.0
"""Blocks of the test guest that the Python tests need to find."""
import os

MEM = "/sys/devices/system/memory"


def reserved_block(bs):
    """A boot block online in a single zone that holds a reserved page (the
    memmap and other boot allocations; /proc/kpageflags KPF_RESERVED) and
    no hole (KPF_NOPAGE): it cannot be isolated, so offline_pages() fails
    with EBUSY, through state and through the driver core's online file
    alike.  The lowest such block below 4 GiB, or None; there is always one
    (the memmap's)."""
    per = bs // 4096
    with open("/proc/kpageflags", "rb") as kpf:
        for n in range(1, 1 << 20):
            base = os.path.join(MEM, "memory%d" % n)
            if not os.path.exists(base):
                if n * bs >= 1 << 32:
                    return None
                continue
            with open(base + "/state") as f, open(base + "/valid_zones") as g:
                zones = g.read().split()
                if f.read().strip() != "online" or len(zones) != 1 or zones == ["none"]:
                    continue
            kpf.seek(n * per * 8)
            flags = memoryview(kpf.read(per * 8)).cast("Q")
            if any(f >> 20 & 1 for f in flags):
                continue
            if any(f >> 32 & 1 for f in flags):
                return n
    return None
