# SPDX-License-Identifier: GPL-2.0
"""What the Python tests of the memory block files share: writes as root,
as root without CAP_SYS_ADMIN and as uid 65534, with the errno's name as
the result, and the blocks of the guest they need to find."""
import ctypes
import errno
import json
import os
import threading
import time

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


def errname(e):
    """The errno's symbolic name.  Python's errno module has no EHWPOISON
    (133 on x86) and names 35 EDEADLOCK, the alias, not the kernel's
    EDEADLK."""
    return {133: "EHWPOISON", 35: "EDEADLK"}.get(e) or errno.errorcode.get(e, str(e))


def write(path, data, offset=0):
    """One write(2) of DATA to PATH (a pwrite(2) at OFFSET if not 0): "OK",
    "short N of M", or the errno's name."""
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            n = os.pwrite(fd, data, offset) if offset else os.write(fd, data)
        finally:
            os.close(fd)
        return "OK" if n == len(data) else "short %d of %d" % (n, len(data))
    except OSError as e:
        return errname(e.errno)


def drop_sys_admin():
    """Drops CAP_SYS_ADMIN from this process's effective and permitted sets."""
    libc = ctypes.CDLL(None, use_errno=True)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    hdr, data = Header(0x20080522, 0), (Data * 2)()
    if libc.capget(ctypes.byref(hdr), data):
        raise OSError(ctypes.get_errno(), "capget")
    data[0].effective &= ~(1 << 21)
    data[0].permitted &= ~(1 << 21)
    if libc.capset(ctypes.byref(hdr), data):
        raise OSError(ctypes.get_errno(), "capset")


def attempt(who, path, data, offset=0):
    """write() as WHO: "root", "nocap" (root without CAP_SYS_ADMIN) or
    "nobody" (uid 65534), the last two in a child process."""
    if who == "root":
        return write(path, data, offset)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            if who == "nobody":
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            else:
                drop_sys_admin()
            result = write(path, data, offset)
        except OSError as e:
            result = "setup failed: %s" % e
        os.write(w, result.encode())
        os._exit(0)
    os.close(w)
    result = os.read(r, 256).decode()
    os.close(r)
    os.waitpid(pid, 0)
    return result


def qmp(cmd):
    """One QMP command through the host's relay (lib.sh's qmp; its folder in
    QMP_DIR): the reply, or {"error": ...} after 60 s without one."""
    qdir = os.environ["QMP_DIR"]
    rid = "%d%d" % (time.time_ns(), threading.get_ident())
    with open("%s/%s.tmp" % (qdir, rid), "w") as f:
        f.write(json.dumps(cmd) + "\n")
    os.rename("%s/%s.tmp" % (qdir, rid), "%s/%s.req" % (qdir, rid))
    resp = "%s/%s.resp" % (qdir, rid)
    end = time.time() + 60
    while time.time() < end:
        if os.path.exists(resp):
            with open(resp) as f:
                r = json.loads(f.read())
            os.unlink(resp)
            return r
        time.sleep(0.1)
    return {"error": "no reply from the QMP relay in 60 s"}


def wait(cond, secs):
    """Polls COND every 0.2 s: True once it holds, False after SECS."""
    end = time.time() + secs
    while not cond():
        if time.time() > end:
            return False
        time.sleep(0.2)
    return True
