#!/usr/bin/python3
"""The crash oracle for vmcore-unzram's output: one input dump IN, its output OUT.

Debian 12's crash 8.0.2 cannot use its task table on the fixture kernels
(docs/crash-oracle.md), so `set PID` + `rd -u` of every manifest page, the
real proof, is done with crash 9 from the sid reader root
(tests/integration/readers-sid.sh).  This checks what crash 8.0.2 *can* do,
on IN and OUT side by side:
  open   OUT opens exactly as IN does, or fails exactly as IN does (same exit
         status, same error; PASS open-same quotes it); on a start-up failure
         the remaining checks run in the fallback mode that opens IN (--kaslr
         from VMCOREINFO, then --minimal);
  view   the same `sys`, `swap`, `kmem -i`, `ps`, `log` (minimal mode: `log`),
         except the DUMPFILE line of `sys` and the addresses of crash's own
         "error trace" lines (its code addresses, randomised per run);
  note   the VMCOREUNZRAM note in OUT agrees with the JSON report;
  pte    `rd -p -64 AT 1` of every rewritten PTE shows new= in OUT, old= in IN;
  frames `rd -p` of every added frame in OUT is the manifest's page for the
         (tgid, vaddr) whose PTE points at it (same-filled / zeromap / swap
         cache frames not in the manifest: the fill word, zeros, the cache
         page); IN has no such frames; every in-RAM swapped manifest page has
         a rewritten PTE, no written-back page has one.
Prints one "PASS|FAIL NAME: text" line per check.

Owns: the crash sessions and these comparisons.  Does not own: running
vmcore-unzram or building fixtures (unzram-crash.sh), the expected bytes
(tests/vm/expected.py).
Usage: unzram_crash.py --name NAME --fixture DIR --in IN --out OUT --report JSON
"""
import argparse
import collections
import json
import mmap
import os
import re
import select
import struct
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "vm"))
import expected  # noqa: E402

PAGE = 4096
FRAME_MASK = 0x000ffffffffff000
STARTUP_TIMEOUT = 240
BATCH_TIMEOUT = 240
IN_RAM = ("zram", "zram-same", "zram-huge", "swapcache", "zeromap")
SHOW = 3  # how many examples a FAIL line quotes


class CrashExited(Exception):
    def __init__(self, rc, output):
        super().__init__(f"crash exited with status {rc}")
        self.rc, self.output = rc, output


class Session:
    """One crash process fed on stdin; a batch ends with `eval SENTINEL`
    (one of the few commands that --minimal mode also accepts)."""

    def __init__(self, vmlinux, dump, options):
        # Start crash from the main thread only: crash 8.0.2 exits (status 1)
        # as soon as the thread that started it ends (seen with Python threads).
        assert threading.current_thread() is threading.main_thread()
        self.argv = ["crash", "-s", *options, vmlinux, dump]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.serial = 0x5a5a0000
        self.startup = None

    def start(self):
        """Wait until crash is up: its start-up messages, or CrashExited."""
        self.startup = self.run(["set scroll off"], STARTUP_TIMEOUT)

    def run(self, commands, timeout=BATCH_TIMEOUT):
        """Output of the commands (together), or CrashExited."""
        self.serial += 1
        marker = f"hexadecimal: {self.serial:x}".encode()
        text = "".join(c + "\n" for c in commands) + f"eval 0x{self.serial:x}\n"
        # Write from a thread: a big batch must not block on a full pipe
        # while crash waits for us to read its output.
        writer = threading.Thread(target=self._write, args=(text.encode(),), daemon=True)
        writer.start()
        chunks, tail = [], b""
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                self.kill()
                raise CrashExited("timeout", f"no answer in {timeout} s to: {commands[0]} ...")
            data = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not data:
                rc = self.proc.wait()
                raise CrashExited(rc, b"".join(chunks).decode(errors="replace"))
            chunks.append(data)
            tail = (tail + data)[-256:]
            if marker in tail:
                break
        writer.join()
        out = b"".join(chunks).decode(errors="replace")
        return out[:out.rindex(marker.decode())].rsplit("\n", 1)[0]

    def _write(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def close(self):
        try:
            self.proc.stdin.write(b"quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:
            self.kill()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def open_sessions(vmlinux, dumps, options):
    """Start crash on each dump at once; per dump (Session, None) or
    (None, (exit status, output))."""
    sessions = [Session(vmlinux, dump, options) for dump in dumps]

    def start(session):
        try:
            session.start()
            return session, None
        except CrashExited as e:
            return None, (e.rc, e.output)
    return in_parallel(*[(lambda s=s: start(s)) for s in sessions])


def in_parallel(*calls):
    """Run the callables on threads (crash sessions are separate processes)."""
    results = [None] * len(calls)
    errors = []

    def run(i, fn):
        try:
            results[i] = fn()
        except Exception as e:  # re-raised below, in the calling thread
            errors.append(e)
    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# ---- start-up failures ----------------------------------------------------

def error_lines(output):
    """crash's own error lines: the last `crash: ...` line and the indented
    `FILE: ... LINE: ...` line that follows it."""
    lines = output.splitlines()
    last = max((i for i, l in enumerate(lines) if l.startswith("crash: ")), default=None)
    if last is None:
        return ""
    found = [lines[last].strip()]
    if last + 1 < len(lines) and lines[last + 1].strip().startswith("FILE:"):
        found.append(" ".join(lines[last + 1].split()))
    return "  ".join(found)


def describe_failure(vmlinux, dump, options, failure):
    """Exit status and error of a start-up failure; crash 8.0.2 prints no
    error at all for some of them unless asked for debug output (-d1), so
    rerun with -d1 then.  Also returns the KERNELOFFSET crash read from
    VMCOREINFO, if it printed it."""
    rc, output = failure
    why = error_lines(output)
    offset = None
    if not why or not options:
        debug = subprocess.run(["timeout", str(STARTUP_TIMEOUT), "crash", "-s", "-d1", *options,
                                vmlinux, dump], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT).stdout.decode(errors="replace")
        m = re.search(r"KERNELOFFSET=([0-9a-f]+)", debug)
        offset = m.group(1) if m else None
        if not why:
            found = error_lines(debug)
            why = (f"no message (exit status {rc}); with -d1: {found}" if found
                   else f"no message (exit status {rc}), none with -d1 either")
    return rc, why, offset


# ---- parsing crash output ------------------------------------------------

QUADS = re.compile(r"^\s*([0-9a-f]+):\s+([0-9a-f]{16})(?:\s+([0-9a-f]{16}))?\s*$")
READ_ERROR = re.compile(r"^rd: .*?address: ([0-9a-f]+)")


def parse_rd(out):
    """{address: quad} and {address: error line} of `rd -64 -x` output."""
    quads, errors = {}, {}
    for line in out.splitlines():
        m = QUADS.match(line)
        if m:
            addr = int(m.group(1), 16)
            quads[addr] = int(m.group(2), 16)
            if m.group(3):
                quads[addr + 8] = int(m.group(3), 16)
            continue
        m = READ_ERROR.match(line)
        if m:
            errors[int(m.group(1), 16)] = line.strip()
    return quads, errors


def page_from(quads, base):
    """The 4096 bytes at base, or None if any quad is missing."""
    words = [quads.get(base + off) for off in range(0, PAGE, 8)]
    if None in words:
        return None
    return b"".join(w.to_bytes(8, "little") for w in words)


def normalise(text, dump):
    """What may differ between two crash runs on IN and OUT: the DUMPFILE
    line of `sys` (the file name), and crash's own code addresses in its
    "error trace" lines (ASLR of /usr/bin/crash)."""
    lines = []
    for line in text.splitlines():
        if line.strip().startswith("DUMPFILE:"):
            line = "    DUMPFILE: <dump file>"
        line = re.sub(r"error trace: .*", "error trace: <crash code addresses>", line)
        lines.append(line.replace(dump, "<dump file>"))
    return lines


def mask_vmlinux(why):
    """crash's "VMLINUX and DUMP do not match!" names VMLINUX inconsistently."""
    return re.sub(r"crash: \S+ and <dump file> do not match!", "crash: <vmlinux> and <dump file> do not match!", why)


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"line {i + 1}: IN {x.strip()!r} / OUT {y.strip()!r}"
    return f"IN has {len(a)} lines, OUT {len(b)}"


# ---- the VMCOREUNZRAM note ------------------------------------------------

RECORD_MAGIC = b"vmcore-unzram record 2\n"
OUTCOMES = ["zram", "swapcache", "same-filled", "zeromap", "backing-dev"]   # enum uz_outcome order


def read_note(path):
    """(frames [(first pfn, count)], ptes [dict]) from the VMCOREUNZRAM note
    (record format 2, docs/record.md).  Found by its name; the 12-byte ELF
    note header before the name must say namesz 13, so a stray string does
    not count."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        pos = m.find(b"VMCOREUNZRAM\0")
        while pos >= 12:
            namesz, descsz, _ = struct.unpack("<III", m[pos - 12:pos])
            if namesz == 13:
                desc = bytes(m[pos + 16:pos + 16 + descsz])
                break
            pos = m.find(b"VMCOREUNZRAM\0", pos + 1)
        else:
            raise ValueError(f"{path}: no VMCOREUNZRAM note")
    if not desc.startswith(RECORD_MAGIC):
        raise ValueError(f"{path}: VMCOREUNZRAM note: not record format 2: {desc[:32]!r}")
    pos = len(RECORD_MAGIC)
    first, count, n_mms, n_ptes = struct.unpack_from("<QQQQ", desc, pos)
    pos += 32
    mms = []
    for _ in range(n_mms):
        mm, tgid, comm = struct.unpack_from("<Qq16s", desc, pos)
        mms.append((mm, tgid, comm.rstrip(b"\0").decode()))
        pos += 32

    def uleb():
        nonlocal pos
        v = shift = 0
        while True:
            b = desc[pos]
            pos += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v

    def delta(prev):
        z = uleb()
        return (prev + ((z >> 1) ^ -(z & 1))) & (2**64 - 1)

    frames = [(first, count)] if count else []
    ptes = []
    at = old = new = vaddr = 0
    for _ in range(n_ptes):
        at, old, new, vaddr = delta(at), delta(old), delta(new), delta(vaddr)
        mm_index = uleb()
        outcome = desc[pos]
        pos += 1
        mm, tgid, comm = mms[mm_index]
        ptes.append({"tgid": tgid, "comm": comm, "mm": mm, "vaddr": vaddr, "at": at, "old": old,
                     "new": new, "outcome": OUTCOMES[outcome] if outcome < len(OUTCOMES) else "?"})
    if pos != len(desc):
        raise ValueError(f"{path}: VMCOREUNZRAM note: {len(desc) - pos} bytes after the last PTE")
    return frames, ptes


def check_note(frames, ptes, report):
    """The note and the JSON report must say the same."""
    totals = report["totals"]
    want_frames = [(int(totals["first_frame_pfn"], 16), totals["frames_added"])] \
        if totals["frames_added"] else []
    if frames != want_frames:
        return f"note frames {frames} but report {want_frames}"
    restored = {(p["pid"], int(p["vaddr"], 16), int(p["pte_paddr"], 16), int(p["old_pte"], 16),
                 int(p["new_pte"], 16), p["outcome"]) for p in report["ptes"] if "new_pte" in p}
    noted = {(p["tgid"], p["vaddr"], p["at"], p["old"], p["new"], p["outcome"]) for p in ptes}
    if restored != noted:
        return (f"{len(noted - restored)} note PTEs not in the report, {len(restored - noted)} report PTEs "
                f"not in the note, e.g. {sorted(noted ^ restored)[:SHOW]}")
    return None


# ---- expected frame contents -----------------------------------------------

def expected_frame(refs, rows_by_key, read_in_page):
    """(bytes, how) a frame must hold, from the PTEs that point at it."""
    for p in refs:
        row = rows_by_key.get((p["tgid"], p["vaddr"]))
        if row is not None:
            return expected.row_bytes(row), "manifest"
    p = refs[0]
    m = re.search(r":same=(0x[0-9a-f]+)$", p["source"])
    if m:
        return int(m.group(1), 16).to_bytes(8, "little") * (PAGE // 8), "fill word"
    if p["outcome"] == "zeromap":
        return bytes(PAGE), "zeromap"
    m = re.match(r"swapcache:pfn=(0x[0-9a-f]+)$", p["source"])
    if m:
        return read_in_page(int(m.group(1), 16) * PAGE), "swap-cache page in IN"
    return None, "not in the manifest"


# ---- the checks --------------------------------------------------------------

class Checker:
    def __init__(self, args):
        self.args = args
        self.vmlinux = os.path.join(args.fixture, "vmlinux")
        self.rows = expected.read_manifest(os.path.join(args.fixture, "manifest.tsv"))
        self.rows_by_key = {(int(r["tgid"]), int(r["vaddr"], 16)): r for r in self.rows}
        with open(args.report) as f:
            self.report = json.load(f)
        self.failed = False

    def result(self, kind, check, text):
        if kind == "FAIL":
            self.failed = True
        print(f"{kind} {self.args.name}-{check}: {text}", flush=True)

    def run(self):
        try:
            frames, ptes = read_note(self.args.out)
        except (OSError, ValueError) as e:
            self.result("FAIL", "note", str(e))
            return
        why = check_note(frames, ptes, self.report)
        # The record names no sources (record format 2): take them from the report.
        sources = {(p["pid"], int(p["vaddr"], 16)): p.get("source", "") for p in self.report["ptes"]}
        for p in ptes:
            p["source"] = sources.get((p["tgid"], p["vaddr"]), "")
        if why:
            self.result("FAIL", "note", why)
        else:
            self.result("PASS", "note", f"{len(ptes)} rewritten PTEs and frames " + ", ".join(f"0x{a:x}+{n}" for a, n in frames) + " as in the report")

        sessions, mode = self.open_both()
        if sessions is None:
            return
        try:
            self.check_view(sessions, mode)
            self.check_ptes(sessions, ptes)
            self.check_frames(sessions, frames, ptes)
        except CrashExited as e:
            self.result("FAIL", "session", f"crash stopped: {e.rc}: {error_lines(e.output) or e.output[-300:]}")
        finally:
            for s in sessions:
                s.close()

    def open_both(self):
        """Open IN and OUT in crash, plainly, else in the fallback modes;
        report how (open check).  Returns ((in, out), mode) or (None, None)."""
        a = self.args
        tried = []
        offset = None
        for mode in ("plain", "kaslr", "minimal"):
            if mode == "plain":
                options = []
            elif offset is None:
                break
            elif mode == "kaslr":
                options = [f"--kaslr=0x{offset}"]
            else:
                options = ["--minimal", f"--kaslr=0x{offset}"]
            (s_in, f_in), (s_out, f_out) = open_sessions(self.vmlinux, (a.input, a.out), options)
            label = "crash -s " + " ".join(options + ["VMLINUX", "DUMP"])
            if s_in and s_out:
                if tried:
                    # This crash cannot open the kernel plainly (8.0.2 on 6.12);
                    # what it says is part of the result, not a skipped test.
                    self.result("PASS", "open-same", f"OUT fails exactly as IN ({'; '.join(tried)}), "
                                f"and opens in `{label}` as IN does; the checks below use it")
                else:
                    self.result("PASS", "open", f"`{label}` opens IN and OUT")
                return (s_in, s_out), mode
            if s_in or s_out:
                opened, failure = ("IN", f_out) if s_in else ("OUT", f_in)
                rc, why, _ = describe_failure(self.vmlinux, a.out if s_in else a.input, options, failure)
                for s in (s_in, s_out):
                    if s:
                        s.close()
                self.result("FAIL", "open", f"`{label}` opens {opened} only; the other: status {rc}: {why}")
                return None, None
            (rc_in, why_in, off_in), (rc_out, why_out, _) = in_parallel(
                lambda: describe_failure(self.vmlinux, a.input, options, f_in),
                lambda: describe_failure(self.vmlinux, a.out, options, f_out))
            offset = offset or off_in
            # crash names the dump file in some messages ("VMLINUX and DUMP
            # do not match!"): compare with each run's own path masked.
            # crash also spells the vmlinux name in that message differently
            # from run to run of the same file (in full, or cut to "/root/").
            why_in = mask_vmlinux(why_in.replace(a.input, "<dump file>"))
            why_out = mask_vmlinux(why_out.replace(a.out, "<dump file>"))
            if (rc_in, why_in) != (rc_out, why_out):
                self.result("FAIL", "open-same", f"`{label}` fails differently: IN status {rc_in}: {why_in}; "
                            f"OUT status {rc_out}: {why_out}")
                return None, None
            tried.append(f"`{label}` exits {rc_in}: {why_in}")
        self.result("PASS", "open-same", f"OUT fails exactly as IN in every mode tried: {'; '.join(tried)}")
        return None, None

    def check_view(self, sessions, mode):
        commands = ["sys", "swap", "kmem -i", "ps", "log"] if mode != "minimal" else ["log"]
        differ = []
        outs = in_parallel(*[(lambda s=s: [s.run([c]) for c in commands]) for s in sessions])
        starts = [normalise(s.startup, d) for s, d in zip(sessions, (self.args.input, self.args.out))]
        if starts[0] != starts[1]:
            differ.append(f"start-up messages differ ({first_difference(*starts)})")
        for i, command in enumerate(commands):
            a = normalise(outs[0][i], self.args.input)
            b = normalise(outs[1][i], self.args.out)
            if a != b:
                differ.append(f"`{command}` differs ({first_difference(a, b)})")
        if differ:
            self.result("FAIL", "view", "; ".join(differ))
        else:
            lines = sum(len(o.splitlines()) for o in outs[1])
            self.result("PASS", "view", f"{', '.join(commands)}: {lines} lines identical in IN and OUT "
                        "(DUMPFILE name and crash's error-trace code addresses masked)")

    def check_ptes(self, sessions, ptes):
        commands = [f"rd -p -64 -x {p['at']:x} 1" for p in ptes]
        (q_in, e_in), (q_out, e_out) = in_parallel(*[(lambda s=s: parse_rd(s.run(commands)))
                                                     for s in sessions])
        bad = []
        for p in ptes:
            for side, quads, errors, want in (("IN", q_in, e_in, p["old"]), ("OUT", q_out, e_out, p["new"])):
                got = quads.get(p["at"])
                if got != want:
                    bad.append(f"{side} at=0x{p['at']:x} (tgid {p['tgid']} vaddr 0x{p['vaddr']:x}): "
                               + (f"0x{got:x}" if got is not None else errors.get(p["at"], "no output"))
                               + f", want 0x{want:x}")
        if bad:
            self.result("FAIL", "pte", f"{len(bad)} of {2 * len(ptes)} PTE reads wrong: " + "; ".join(bad[:SHOW]))
        else:
            self.result("PASS", "pte", f"rd -p of {len(ptes)} rewritten PTEs: new value in OUT, old in IN")

    def check_frames(self, sessions, frames, ptes):
        s_in, s_out = sessions
        refs = collections.defaultdict(list)
        for p in ptes:
            refs[(p["new"] & FRAME_MASK) // PAGE].append(p)
        pfns = [first + i for first, count in frames for i in range(count)]
        bad = []
        # every added frame from OUT, one command each so a refused frame is named
        commands = [f"rd -p -64 -x {pfn * PAGE:x} 512" for pfn in pfns]
        probe = [f"rd -p -64 -x {pfn * PAGE:x} 1" for pfn in pfns[:1] + pfns[-1:]]
        (q_out, e_out), (q_in, e_in) = in_parallel(lambda: parse_rd(s_out.run(commands)),
                                                   lambda: parse_rd(s_in.run(probe)))
        for pfn in pfns[:1] + pfns[-1:]:
            if pfn * PAGE in q_in:
                bad.append(f"IN already has frame 0x{pfn:x} (crash reads it)")
        cache_pages = {}

        def read_in_page(paddr):
            if paddr not in cache_pages:
                cache_pages[paddr] = page_from(parse_rd(s_in.run([f"rd -p -64 -x {paddr:x} 512"]))[0], paddr)
            return cache_pages[paddr]

        how_counts = collections.Counter()
        unknown = 0
        for pfn in pfns:
            if pfn not in refs:
                bad.append(f"frame 0x{pfn:x}: no rewritten PTE points at it")
                continue
            got = page_from(q_out, pfn * PAGE)
            if got is None:
                bad.append(f"frame 0x{pfn:x}: crash cannot read it: {e_out.get(pfn * PAGE, 'incomplete output')}")
                continue
            want, how = expected_frame(refs[pfn], self.rows_by_key, read_in_page)
            if want is None:
                unknown += 1
                continue
            how_counts[how] += 1
            if got != want:
                diff = next(i for i in range(PAGE) if got[i] != want[i])
                p = refs[pfn][0]
                bad.append(f"frame 0x{pfn:x} (tgid {p['tgid']} vaddr 0x{p['vaddr']:x}, {how}) differs "
                           f"from byte {diff}: {got[diff:diff + 8].hex()} want {want[diff:diff + 8].hex()}")
        for pfn in refs:
            if pfn not in set(pfns):
                p = refs[pfn][0]
                bad.append(f"PTE at=0x{p['at']:x} points at 0x{pfn:x}, outside the added frames")
        # coverage: the manifest's swapped pages against the rewritten PTEs
        noted = {(p["tgid"], p["vaddr"]) for p in ptes}
        in_ram = [r for r in self.rows if r["expect"] in IN_RAM]
        missed = [r for r in in_ram if (int(r["tgid"]), int(r["vaddr"], 16)) not in noted]
        invented = [r for r in self.rows if r["expect"] == "writeback"
                    and (int(r["tgid"]), int(r["vaddr"], 16)) in noted]
        if missed:
            bad.append(f"{len(missed)} of {len(in_ram)} in-RAM swapped manifest pages have no rewritten PTE, "
                       f"e.g. tgid {missed[0]['tgid']} vaddr {missed[0]['vaddr']} ({missed[0]['expect']})")
        if invented:
            bad.append(f"{len(invented)} written-back pages got a frame")
        if bad:
            self.result("FAIL", "frames", f"{len(bad)} problems: " + "; ".join(bad[:SHOW]))
        else:
            counted = ", ".join(f"{n} {how}" for how, n in sorted(how_counts.items()))
            self.result("PASS", "frames", f"rd -p of {len(pfns)} added frames in OUT exact ({counted}"
                        + (f", {unknown} readable but not in the manifest" if unknown else "")
                        + f"); IN has none of them; {len(in_ram)}/{len(in_ram)} in-RAM swapped manifest "
                        f"pages covered, written-back pages untouched")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", required=True)
    p.add_argument("--fixture", required=True)
    p.add_argument("--in", dest="input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--report", required=True)
    checker = Checker(p.parse_args())
    checker.run()
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
