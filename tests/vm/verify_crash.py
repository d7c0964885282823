#!/usr/bin/python3
"""The crash oracle: read manifest pages with crash's `rd -p` of physical frames.

crash 8.0.2 cannot use its task table on these kernels (docs/baseline.md: on
6.1.176 it lists 1-2 tasks, so `set PID` / `rd -u` / `vtop -c` fail; on 6.12
it stops at start-up).  What works is reading kernel memory and physical
memory.  So this oracle asks crash for everything, through those commands only:
  list task_struct.tasks -s task_struct.pid,mm -h init_task   (pid -> mm)
  struct mm_struct.pgd MM                                     (top table)
  rd -64 / rd -p -64 of each page-table page, then rd -p -64 of the frame.
The x86_64 walk (4 or 5 levels, from __pgtable_l5_enabled) is done here:
present bit 0, PSE bit 7 at PUD/PMD, frame bits 12-51.

Owns: the crash session and the walk.  Does not own: reporting (oracle_common).
Usage: verify_crash.py DUMP FIXTURE_DIR
"""
import os
import re
import select
import subprocess
import sys

sys.dont_write_bytecode = True  # keep tests/vm free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expected  # noqa: E402
import oracle_common  # noqa: E402

FRAME_MASK = 0x000ffffffffff000
PRESENT, PSE = 1 << 0, 1 << 7
STARTUP_TIMEOUT = 300
COMMAND_TIMEOUT = 120


class CrashError(Exception):
    pass


class Crash:
    """One crash process; each command is followed by a sentinel `p N`."""

    def __init__(self, vmlinux, dump):
        self.proc = subprocess.Popen(["crash", "-s", vmlinux, dump], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.serial = 0x5a5a0000
        self.version = "8.0.2"
        first = self.command("set scroll off", STARTUP_TIMEOUT)
        if "scroll: off" not in first:
            raise CrashError(first.strip().splitlines()[-1] if first.strip() else "no output")

    def command(self, text, timeout=COMMAND_TIMEOUT):
        self.serial += 1
        marker = f"= {self.serial}\n".encode()
        try:
            self.proc.stdin.write(f"{text}\np {self.serial}\n".encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise CrashError("crash exited")
        buf = b""
        while marker not in buf:
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                raise CrashError(f"no answer to '{text}' in {timeout} s")
            data = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not data:
                raise CrashError("crash exited: " + buf.decode(errors="replace").strip()[-300:])
            buf += data
        out = buf[:buf.index(marker)].decode(errors="replace")
        # The sentinel printed "$N = serial": drop its "$N " start.
        return re.sub(r"\$\d+\s*$", "", out)

    def close(self):
        try:
            self.proc.stdin.write(b"quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()


def parse_quads(out, count):
    """Values of `rd -64` output (ADDR:  Q Q  ascii); None if crash refused."""
    values = []
    for line in out.splitlines():
        if line.startswith("rd:"):
            return None
        m = re.match(r"\s*[0-9a-f]+:\s+((?:[0-9a-f]{16}\s+){1,2})", line)
        if m:
            values.extend(int(q, 16) for q in m.group(1).split())
    return values if len(values) == count else None


class Walker:
    def __init__(self, crash):
        self.crash = crash
        self.tables = {}
        out = crash.command("p __pgtable_l5_enabled")
        m = re.search(r"=\s*(\d+)\s*$", out.strip())
        self.levels = 5 if m and int(m.group(1)) else 4

    def table(self, phys):
        if phys not in self.tables:
            self.tables[phys] = parse_quads(self.crash.command(f"rd -p -64 {phys:x} 512"), 512)
        return self.tables[phys]

    def top_table(self, pgd_va):
        key = ("va", pgd_va)
        if key not in self.tables:
            self.tables[key] = parse_quads(self.crash.command(f"rd -64 {pgd_va:x} 512"), 512)
        return self.tables[key]

    def translate(self, pgd_va, vaddr):
        """Physical address of vaddr, or a reason string."""
        shifts = [48, 39, 30, 21, 12][5 - self.levels:]
        table = self.top_table(pgd_va)
        for level, shift in enumerate(shifts):
            if table is None:
                return "page table unreadable"
            entry = table[(vaddr >> shift) & 511]
            if not entry & PRESENT:
                return "not present"
            if shift == 12 or (shift in (21, 30) and entry & PSE):
                size = 1 << shift
                return (entry & FRAME_MASK & ~(size - 1)) | (vaddr & (size - 1))
            table = self.table(entry & FRAME_MASK)
        return "walk error"

    def read_page(self, phys):
        quads = parse_quads(self.crash.command(f"rd -p -64 {phys:x} 512"), 512)
        if quads is None:
            return None
        return b"".join(q.to_bytes(8, "little") for q in quads)


def task_mms(crash):
    out = crash.command("list task_struct.tasks -s task_struct.pid,mm -h init_task")
    mms = {}
    for m in re.finditer(r"pid = (\d+),\s*\n\s*mm = (0x[0-9a-f]+)", out):
        mms[int(m.group(1))] = int(m.group(2), 16)
    return mms


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    dump, fixture = argv[1:]
    rows = expected.read_manifest(os.path.join(fixture, "manifest.tsv"))
    try:
        crash = Crash(os.path.join(fixture, "vmlinux"), dump)
    except CrashError as e:
        return oracle_common.cannot_open(dump, "crash", str(e))
    try:
        walker = Walker(crash)
        mms = task_mms(crash)
        if not mms:
            return oracle_common.cannot_open(dump, "crash", "task list walk found no tasks")
        pgds = {}
        tally = oracle_common.Tally(dump, fixture, "crash", crash.version)
        for row in rows:
            mm = mms.get(int(row["tgid"]), 0)
            if not mm:
                tally.add(row, "notask")
                continue
            if mm not in pgds:
                m = re.search(r"pgd = (0x[0-9a-f]+)", crash.command(f"struct mm_struct.pgd {mm:x}"))
                pgds[mm] = int(m.group(1), 16) if m else 0
            if not pgds[mm]:
                tally.add(row, "unreadable", "mm_struct.pgd unreadable")
                continue
            phys = walker.translate(pgds[mm], int(row["vaddr"], 16))
            if isinstance(phys, str):
                tally.add(row, "unreadable", phys)
                continue
            data = walker.read_page(phys)
            if data is None:
                tally.add(row, "unreadable", "rd -p refused the frame")
            else:
                tally.add_data(row, data)
        return tally.finish()
    except CrashError as e:
        return oracle_common.cannot_open(dump, "crash", str(e))
    finally:
        crash.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
