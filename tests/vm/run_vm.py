#!/usr/bin/python3
"""Drive one fixture boot: QEMU, its serial console and its QMP socket.

Owns: starting QEMU (argument list from a file), logging the console, waiting
for the guest's UZ-READY, taking `dump-guest-memory` dumps over QMP, sending
the guest its next command ("panic" for a real kdump, else "poweroff"), waiting
for QEMU to exit, and writing run.json (timings, console facts).
Does not own: what the guest does (guest-init.sh) or what happens to the files
afterwards (fixtures).

Usage: run_vm.py WORKDIR QEMU_ARGS_FILE DUMPS COMMAND TIMEOUT
  QEMU_ARGS_FILE  one QEMU argument per line; @SERIAL@ and @QMP@ are replaced
                  by the socket paths.
  DUMPS           comma list of FORMAT:FILE (elf, kdump-zlib, kdump-lzo, ...)
                  or "none"
  COMMAND         panic | poweroff
"""
import json
import os
import socket
import subprocess
import sys
import time


class Console:
    def __init__(self, path, log_path):
        self.sock = connect(path)
        self.sock.settimeout(1.0)
        self.log = open(log_path, "wb")
        self.buf = b""
        self.lines = []

    def pump(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except OSError:
            return False
        if not data:
            return False
        self.log.write(data)
        self.log.flush()
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(line.decode("utf-8", "replace").rstrip("\r"))
        return True

    def wait_for(self, prefixes, deadline):
        """Pumps until a line starts with one of prefixes; returns it (or None)."""
        seen = 0
        while time.time() < deadline:
            while seen < len(self.lines):
                line = self.lines[seen]
                seen += 1
                # Kernel messages may share a line with ours: search, not match.
                for p in prefixes:
                    at = line.find(p)
                    if at >= 0:
                        return line[at:]
            if not self.pump():
                return None
        return None

    def send(self, text):
        self.sock.sendall(text.encode())


def connect(path, timeout=30):
    deadline = time.time() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.time() > deadline:
                raise
            time.sleep(0.05)


class Qmp:
    def __init__(self, path):
        self.sock = connect(path)
        self.file = self.sock.makefile("rwb")
        self._read()  # greeting
        self.command("qmp_capabilities")

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def command(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.file.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"QMP {name}: {reply['error'].get('desc')}")
        return reply.get("return")


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    workdir, args_file, dumps, command, timeout = argv[1:]
    deadline = time.time() + float(timeout)
    serial = os.path.join(workdir, "serial.sock")
    qmp_path = os.path.join(workdir, "qmp.sock")
    for p in (serial, qmp_path):
        if os.path.exists(p):
            os.unlink(p)
    with open(args_file) as f:
        args = [a.replace("@SERIAL@", serial).replace("@QMP@", qmp_path)
                for a in f.read().splitlines() if a]
    run = {"qemu": args, "dumps": {}, "events": {}}
    start = time.time()
    qemu = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                            stdout=open(os.path.join(workdir, "qemu.out"), "wb"),
                            stderr=subprocess.STDOUT)
    status = 1
    try:
        console = Console(serial, os.path.join(workdir, "console.log"))
        line = console.wait_for(["UZ-READY", "UZ-FAIL"], deadline)
        run["events"]["ready"] = round(time.time() - start, 1)
        if not line or not line.startswith("UZ-READY"):
            print(f"run_vm: guest not ready: {line or 'timeout / console closed'}", file=sys.stderr)
            return 1
        qmp = Qmp(qmp_path)
        for spec in ([] if dumps == "none" else dumps.split(",")):
            fmt, path = spec.split(":", 1)
            t0 = time.time()
            qmp.command("dump-guest-memory", paging=False, protocol="file:" + os.path.abspath(path),
                        format=fmt)
            run["dumps"][fmt] = {"file": os.path.basename(path), "seconds": round(time.time() - t0, 1),
                                 "bytes": os.path.getsize(path)}
        console.send(command + "\n")
        if command == "panic":
            line = console.wait_for(["UZ-CAPTURE-DONE", "UZ-FAIL", "Kernel panic - not syncing: Fatal"], deadline)
            run["events"]["capture_done"] = round(time.time() - start, 1)
            if not line or not line.startswith("UZ-CAPTURE-DONE"):
                print(f"run_vm: capture kernel did not finish: {line or 'timeout'}", file=sys.stderr)
                return 1
        while console.pump() and time.time() < deadline:
            pass
        try:
            qemu.wait(timeout=max(1, min(60, deadline - time.time())))
        except subprocess.TimeoutExpired:
            print("run_vm: QEMU did not exit", file=sys.stderr)
            return 1
        run["events"]["exit"] = round(time.time() - start, 1)
        run["console_out"] = [l for l in console.lines if l.startswith(("UZ-OUT", "UZ-CAPTURE", "UZ-THP", "UZ-WARN", "UZ-KDUMP"))]
        status = 0
        return 0
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
        run["status"] = status
        with open(os.path.join(workdir, "run.json"), "w") as f:
            json.dump(run, f, indent=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
