#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Relay QMP commands from the test guest to its QEMU.

The guest cannot reach QEMU's monitor, so it drops requests into the folder
it shares with the host: DIR/NAME.req holds one QMP command as JSON; this
relay sends it on QEMU's QMP socket and writes the reply to DIR/NAME.resp.
It runs for the life of one guest and stops when QEMU closes the socket or
after --timeout seconds.
"""
import argparse
import json
import os
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self._read()  # greeting
        self.command({"execute": "qmp_capabilities"})

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QEMU closed the QMP socket")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, cmd):
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            msg = self._read()
            if "return" in msg or "error" in msg:
                return msg
            # asynchronous events (DEVICE_DELETED, ACPI_DEVICE_OST, ...)
            log(f"event {msg.get('event')}: {json.dumps(msg.get('data', {}))}")


def log(msg):
    print(f"[qmp] {msg}", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("dir")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()

    deadline = time.monotonic() + args.timeout
    qmp = None
    while qmp is None:
        try:
            qmp = Qmp(args.socket)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                log("QEMU's QMP socket never appeared")
                return 1
            time.sleep(0.2)
    log("connected")
    while time.monotonic() < deadline:
        reqs = sorted(f for f in os.listdir(args.dir) if f.endswith(".req"))
        for name in reqs:
            path = os.path.join(args.dir, name)
            with open(path) as f:
                cmd = json.load(f)
            log(f"guest asks: {json.dumps(cmd)}")
            try:
                reply = qmp.command(cmd)
            except EOFError:
                return 0
            os.unlink(path)
            tmp = path[:-4] + ".tmp"
            with open(tmp, "w") as f:
                json.dump(reply, f)
            os.rename(tmp, path[:-4] + ".resp")
        # Poll the socket for events (and to notice QEMU exiting).
        qmp.sock.settimeout(0.2)
        try:
            chunk = qmp.sock.recv(65536)
            if not chunk:
                return 0
            qmp.buf += chunk
            while b"\n" in qmp.buf:
                line, qmp.buf = qmp.buf.split(b"\n", 1)
                msg = json.loads(line)
                log(f"event {msg.get('event')}: {json.dumps(msg.get('data', {}))}")
        except socket.timeout:
            pass
        finally:
            qmp.sock.settimeout(None)
    log("timeout")
    return 1


if __name__ == "__main__":
    sys.exit(main())
