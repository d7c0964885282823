#!/usr/bin/python3
"""Robustness sweep: vmcore-unzram on damaged copies of a real fixture.

Every case runs the build under test on an input made bad on purpose and
asserts, whatever the outcome:
  - exit status as documented (0, or 2-7 with a reason), never a sanitizer
    report (86/87 here), a crash or a hang (each run has a timeout);
  - on failure, exactly one line on stderr, printable, starting with the
    tool's name, and no output file;
  - no temporary or partial file left in the output directory;
  - the input file unchanged (its hash before and after);
  - on success, `--verify IN OUT` passes (every difference is recorded).
Named groups (issue 13): usage, same-file, debuginfo, outdir, truncate-kdump,
truncate-elf, corrupt-kdump, corrupt-elf, bitmap-escape, bad-descriptor,
pte, zsmalloc-object, verify-rejects, signal, in-place-interrupt.

Usage: sweep.py --build DIR --fixture DIR [--seed N] [--long]
  --long   more cases per group (make fuzz), same checks
Prints PASS/FAIL lines, one per case.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

DOCUMENTED = {0, 2, 3, 4, 5, 6, 7, 8}   # 8: partial (OUT written)
TIMEOUT = 300
PAGE = 4096


class Sweep:
    def __init__(self, build, fixture, work, rng, long):
        self.bin = os.path.join(build, "vmcore-unzram")
        self.fx = fixture
        self.work = work
        self.rng = rng
        self.long = long
        self.dbg = ["--vmlinux", os.path.join(fixture, "vmlinux"), "-d", os.path.join(fixture, "debug-modules")]
        self.passed = self.failed = 0

    # ---- reporting ----
    def ok(self, name, msg=""):
        self.passed += 1
        print(f"PASS {name}" + (f": {msg}" if msg else ""), flush=True)

    def bad(self, name, msg):
        self.failed += 1
        print(f"FAIL {name}: {msg}", flush=True)

    # ---- helpers ----
    def run(self, args, timeout=TIMEOUT):
        t = time.monotonic()
        try:
            p = subprocess.run([self.bin] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, b"", b"timeout", time.monotonic() - t
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t

    def copy(self, src, name):
        dst = os.path.join(self.work, name)
        subprocess.run(["cp", "--sparse=always", src, dst], check=True)
        return dst

    @staticmethod
    def digest(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while True:
                b = f.read(1 << 22)
                if not b:
                    break
                h.update(b)
        return h.hexdigest()

    def leftovers(self, directory):
        return [n for n in os.listdir(directory) if ".tmp-" in n or "probe" in n]

    def check_run(self, name, args, inp, out, expect=None, verify=True, msg_re=None):
        """Run; assert the invariants; return (rc, stderr) or None on failure."""
        before = self.digest(inp) if os.path.getsize(inp) < (256 << 20) else os.stat(inp).st_mtime_ns
        if out and os.path.exists(out):
            os.unlink(out)
        rc, _, err, secs = self.run(args)
        text = err.decode("utf-8", "replace")
        after = self.digest(inp) if os.path.getsize(inp) < (256 << 20) else os.stat(inp).st_mtime_ns
        problems = []
        if rc is None:
            problems.append("timed out")
        elif rc not in DOCUMENTED:
            problems.append(f"exit status {rc} is not documented")
        if expect is not None and rc != expect:
            problems.append(f"exit status {rc}, expected {expect}")
        try:
            err.decode("utf-8")
        except UnicodeDecodeError:
            problems.append("stderr is not UTF-8")
        if any(c < 0x20 and c not in (0x0a,) for c in err):
            problems.append("stderr holds control bytes")
        if rc == 8 and not (out and os.path.exists(out)):
            problems.append("exit status 8 (partial) but no output")
        if rc and rc != 8:
            lines = [l for l in text.splitlines() if l.strip()]
            if len(lines) != 1 or not lines[0].startswith("vmcore-unzram: "):
                problems.append(f"{len(lines)} lines on stderr: {text[:300]!r}")
            if out and os.path.exists(out):
                problems.append("an output file was left")
            if msg_re and not re.search(msg_re, text):
                problems.append(f"message does not say /{msg_re}/: {text.strip()[:300]}")
        if before != after:
            problems.append("the input changed")
        odir = os.path.dirname(out) if out else self.work
        left = self.leftovers(odir)
        if left:
            problems.append(f"left behind {left}")
            for n in left:
                os.unlink(os.path.join(odir, n))
        if not problems and rc in (0, 8) and verify and out:
            vrc, _, verr, _ = self.run(["--verify", "-q"] + self.dbg + [inp, out])
            if vrc != 0:
                problems.append(f"OUT written but --verify fails: {verr.decode(errors='replace').strip()[:300]}")
        if out and os.path.exists(out):
            os.unlink(out)
        if problems:
            self.bad(name, "; ".join(problems) + f" (rc {rc}; {text.strip()[:200]})")
            return None
        last = text.strip().splitlines()[-1][:160] if text.strip() else ""
        self.ok(name, f"rc {rc} in {secs:.1f} s" + (f": {last}" if last else ""))
        return rc, text

    # ---- ELF helpers (x86_64 LE) ----
    @staticmethod
    def elf_loads(path):
        with open(path, "rb") as f:
            eh = f.read(64)
            phoff, = struct.unpack_from("<Q", eh, 32)
            phnum, = struct.unpack_from("<H", eh, 56)
            f.seek(phoff)
            tab = f.read(56 * phnum)
        loads, notes = [], []
        for i in range(phnum):
            t, _, off, va, pa, fsz, msz = struct.unpack_from("<IIQQQQQ", tab, 56 * i)
            if t == 1:
                loads.append((pa, off, fsz))
            elif t == 4:
                notes.append((off, fsz))
        return loads, notes, phoff, phnum

    def elf_offsets(self, path, paddr):
        loads, _, _, _ = self.elf_loads(path)
        return [off + paddr - pa for pa, off, fsz in loads if pa <= paddr < pa + fsz]

    @staticmethod
    def poke(path, off, data):
        with open(path, "r+b") as f:
            f.seek(off)
            f.write(data)

    @staticmethod
    def peek(path, off, n):
        with open(path, "rb") as f:
            f.seek(off)
            return f.read(n)

    def flip(self, path, off):
        b = self.peek(path, off, 1)
        self.poke(path, off, bytes([b[0] ^ (1 << self.rng.randrange(8))]))

    # ---- groups ----
    def usage(self, elf, kd):
        out = os.path.join(self.work, "out.vmcore")
        cases = [
            ("usage-no-args", [], 2),
            ("usage-one-arg", [kd], 2),
            ("usage-unknown-option", ["--no-such-option", kd, out], 2),
            ("usage-jobs-zero", ["-j", "0", kd, out], 2),
            ("usage-bad-format", ["-f", "tar", kd, out], 2),
            ("usage-in-place-other-out", ["--in-place", kd, out], 2),
            ("usage-missing-input", [os.path.join(self.work, "nope"), out], 3),
            ("usage-dev-null", ["/dev/null", out], 5),
        ]
        for name, args, code in cases:
            self.check_run(name, args, kd, out, expect=code)
        r = self.check_run("usage-dev-null-named", ["/dev/null", out], kd, out, expect=5)
        if r and "standard input" in r[1]:
            self.bad("usage-dev-null-not-stdin", "/dev/null is called standard input")

    def same_file(self, kd):
        """IN and OUT as the same file under other names (defect 1)."""
        d = os.path.dirname(kd)
        link = os.path.join(d, "link.vmcore")
        hard = os.path.join(d, "hard.vmcore")
        for p in (link, hard):
            if os.path.lexists(p):
                os.unlink(p)
        os.symlink(os.path.basename(kd), link)
        os.link(kd, hard)
        rel = os.path.join(".", os.path.relpath(kd))
        for name, other in (("dot-slash", rel), ("absolute", os.path.abspath(kd)), ("symlink", link), ("hard-link", hard)):
            self.check_run(f"same-file-{name}", ["-q", kd, other], kd, None, expect=2, msg_re="input file itself")
            if not os.path.exists(kd) or os.path.getsize(kd) == 0:
                self.bad(f"same-file-{name}-kept", "the input is gone")
        os.unlink(link)
        os.unlink(hard)

    def debuginfo(self, kd):
        """Debuginfo named but unusable: exit 6 before any output (defect 3)."""
        out = os.path.join(self.work, "out.vmcore")
        empty = os.path.join(self.work, "empty-debuginfo")
        os.makedirs(empty, exist_ok=True)
        other = None
        for n in os.listdir(os.path.dirname(self.fx)):
            cand = os.path.join(os.path.dirname(self.fx), n)
            if n.startswith("x86_64-6.12-") and os.path.exists(os.path.join(cand, ".complete")):
                other = cand
        vml = os.path.join(self.fx, "vmlinux")
        cases = [
            ("debuginfo-missing-dir", ["-d", os.path.join(self.work, "nonexistent")], "does not exist"),
            ("debuginfo-empty-dir", ["-d", empty], "holds no vmlinux"),
            ("debuginfo-vmlinux-without-modules", ["--vmlinux", vml], "no debug file zram.ko"),
            ("debuginfo-missing-vmlinux", ["--vmlinux", os.path.join(self.work, "nonexistent")], "does not exist"),
        ]
        if other:
            cases.append(("debuginfo-modules-of-another-kernel",
                          ["--vmlinux", vml, "-d", os.path.join(other, "debug-modules")], "is for kernel"))
            cases.append(("debuginfo-vmlinux-of-another-kernel",
                          ["--vmlinux", os.path.join(other, "vmlinux"), "-d", os.path.join(self.fx, "debug-modules")],
                          "is for kernel"))
        for name, args, why in cases:
            r = self.check_run(name, ["-q"] + args + [kd, out], kd, out, expect=6, msg_re=why)
            if r and "restored" in r[1]:
                self.bad(name + "-before-output", "the run got as far as restoring")

    def outdir(self, kd):
        for name, out, code, why in (
                ("outdir-missing", os.path.join(self.work, "no", "such", "dir", "out"), 3, "No such file"),
                ("outdir-is-directory", self.work, 3, "is a directory"),
                ("outdir-not-writable", "/proc/out.vmcore", 3, "cannot create files")):
            rc_t = self.check_run(name, ["-q", kd, out], kd, None, expect=code, msg_re=why)
            # Checked before the analysis: the kernel view is never built.
            if rc_t and "types from" in rc_t[1]:
                self.bad(name + "-early", "reported only after the analysis")

    def truncations(self, kd, elf):
        n_kd = 24 if self.long else 8
        n_elf = 12 if self.long else 4
        size = os.path.getsize(kd)
        cuts = sorted({0, 100, 600, 4096, 8192} | {self.rng.randrange(1, size) for _ in range(n_kd)})
        for cut in cuts:
            t = self.copy(kd, "trunc.vmcore")
            os.truncate(t, cut)
            self.check_run(f"truncate-kdump-at-{cut}", ["-q", t, t + ".out"], t, t + ".out")
            os.unlink(t)
        esize = os.path.getsize(elf)
        loads, notes, phoff, phnum = self.elf_loads(elf)
        cuts = sorted({30, phoff + 56 * phnum // 2, notes[0][0] + notes[0][1] // 2} |
                      {self.rng.randrange(loads[0][1], esize) for _ in range(n_elf)})
        for cut in cuts:
            t = self.copy(elf, "trunc.elf")
            os.truncate(t, cut)
            self.check_run(f"truncate-elf-at-{cut}", ["-q"] + self.dbg + [t, t + ".out"], t, t + ".out")
            os.unlink(t)

    def kdump_layout(self, path):
        h = self.peek(path, 0, 464)
        bs, sub, bmb = struct.unpack_from("<III", h, 428)
        bm_len = bmb // 2 * bs
        desc = (1 + sub) * bs + 2 * bm_len
        return bs, sub, bm_len, desc

    def corruptions(self, kd, elf):
        n = 24 if self.long else 10
        bs, sub, bm_len, desc = self.kdump_layout(kd)
        size = os.path.getsize(kd)
        regions = {"header": (0, 464), "sub-header": (bs, bs + 112), "bitmap": ((1 + sub) * bs, desc),
                   "descriptors": (desc, desc + 24 * 4096), "page-data": (desc + 24 * 4096, size)}
        for region, (a, b) in regions.items():
            for i in range(max(2, n // len(regions))):
                t = self.copy(kd, "bad.vmcore")
                off = self.rng.randrange(a, b)
                self.flip(t, off)
                self.check_run(f"corrupt-kdump-{region}-{off}", ["-q", t, t + ".out"], t, t + ".out")
                os.unlink(t)
        loads, notes, phoff, phnum = self.elf_loads(elf)
        regions = {"ehdr": (0, 64), "phdrs": (phoff, phoff + 56 * phnum), "notes": (notes[0][0], notes[0][0] + notes[0][1])}
        for region, (a, b) in regions.items():
            for i in range(max(2, n // len(regions))):
                t = self.copy(elf, "bad.elf")
                off = self.rng.randrange(a, b)
                self.flip(t, off)
                self.check_run(f"corrupt-elf-{region}-{off}", ["-q"] + self.dbg + [t, t + ".out"], t, t + ".out")
                os.unlink(t)

    def bitmap_escape(self, kd):
        """A changed bitmap byte must not print raw dump bytes (defect 5)."""
        bs, sub, bm_len, desc = self.kdump_layout(kd)
        for k in range(4 if self.long else 2):
            t = self.copy(kd, "bm.vmcore")
            off = (1 + sub) * bs + bm_len + self.rng.randrange(0, 64)   # early RAM: kernel pages
            self.poke(t, off, b"\xff")
            self.check_run(f"bitmap-escape-{off}", ["-q"] + self.dbg + [t, t + ".out"], t, t + ".out")
            os.unlink(t)

    def bad_descriptor(self, kd):
        """One broken descriptor of an unrelated page costs that page only (defect 7)."""
        bs, sub, bm_len, desc = self.kdump_layout(kd)
        t = self.copy(kd, "desc.vmcore")
        n_desc = 0
        # A descriptor far into the table (user or free memory, not the kernel's).
        idx = 3000
        self.poke(t, desc + 24 * idx, struct.pack("<Q", (1 << 62)))
        out = t + ".out"
        r = self.check_run("bad-descriptor-output", ["--report", t + ".json"] + [t, out], t, out, expect=0,
                           verify=False)
        if r:
            if "could not be read" not in r[1]:
                self.bad("bad-descriptor-reported", f"no warning: {r[1].strip()[-200:]}")
            else:
                self.ok("bad-descriptor-reported", [l for l in r[1].splitlines() if "could not be read" in l][0][:200])
            rep = json.load(open(t + ".json"))
            if rep["totals"]["input_pages_unreadable"] != 1:
                self.bad("bad-descriptor-report", f"input_pages_unreadable = {rep['totals']['input_pages_unreadable']}")
            else:
                self.ok("bad-descriptor-report", "input_pages_unreadable = 1")
        os.unlink(t)

    def report_of(self, inp, extra=()):
        rep = os.path.join(self.work, "clean.json")
        out = os.path.join(self.work, "clean.out")
        rc, _, err, _ = self.run(["-q", "--report", rep] + list(extra) + [inp, out])
        if os.path.exists(out):
            os.unlink(out)
        if rc != 0:
            raise RuntimeError(f"clean run failed: {err.decode(errors='replace')}")
        return json.load(open(rep))

    def ptes(self, elf, report):
        """Swap PTEs with changed type/offset bits: accounted, never wrong (--verify)."""
        rows = [p for p in report["ptes"] if p["outcome"] in ("zram", "same-filled")]
        for p in self.rng.sample(rows, 8 if self.long else 4):
            t = self.copy(elf, "pte.elf")
            pa = int(p["pte_paddr"], 16)
            offs = self.elf_offsets(t, pa)
            old, = struct.unpack("<Q", self.peek(t, offs[0], 8))
            new = old ^ (1 << self.rng.choice([12, 20, 30, 40, 59, 61]))
            for o in offs:
                self.poke(t, o, struct.pack("<Q", new))
            self.check_run(f"pte-{p['pte_paddr']}-{old:#x}-to-{new:#x}", ["-q"] + self.dbg + [t, t + ".out"], t, t + ".out")
            os.unlink(t)

    def zsmalloc_objects(self, elf, report):
        """Flipped bytes inside compressed objects (defect 8): decoded or failed, both said."""
        seen = set()
        rows = [p for p in report["ptes"] if p["outcome"] == "zram" and not p["source"].endswith(":huge")]
        self.rng.shuffle(rows)
        count = 16 if self.long else 6
        for p in rows:
            if len(seen) >= count:
                break
            dev, slot, codec = p["source"].split(":")
            if codec in seen and len(seen) < 6:
                continue
            rc, out, _, _ = self.run(["--slot", f"{dev}:{slot}", "--json"] + self.dbg + [elf])
            info = json.loads(out)
            if info.get("straddles") or "object_pfn" not in info:
                continue
            seen.add(codec if codec not in seen else f"{codec}-{slot}")
            t = self.copy(elf, "obj.elf")
            pa = int(info["object_pfn"], 16) * PAGE + info["object_offset"] + 8 + \
                self.rng.randrange(0, info["compressed_size"])
            for o in self.elf_offsets(t, pa):
                self.flip(t, o)
            name = f"zsmalloc-object-{codec}-{dev}-{slot}"
            rep = t + ".json"
            r = self.check_run(name, ["-q", "--report", rep] + self.dbg + [t, t + ".out"], t, t + ".out",
                               verify=False)
            if r:
                mine = [q for q in json.load(open(rep))["ptes"]
                        if q["swap_offset"] == p["swap_offset"] and q["swap_type"] == p["swap_type"]]
                outcome = mine[0]["outcome"] if mine else "?"
                said = mine and ((outcome == "zram" and mine[0].get("integrity") == "decoded-unverifiable" and r[0] == 0) or
                                 (outcome == "failed" and mine[0].get("why") and r[0] == 8))
                if said:
                    self.ok(name + "-said", f"{outcome}: " + (mine[0].get("why") or mine[0].get("integrity"))[:160])
                else:
                    self.bad(name + "-said", f"outcome {outcome} without a reason or integrity mark: {mine[:1]}")
            os.unlink(t)

    def expect_rejected(self, name, inp, bad_out):
        """--verify INP BAD_OUT must fail with one line (exit 4 or 6); BAD_OUT is removed."""
        vrc, _, verr, _ = self.run(["--verify", "-q"] + self.dbg + [inp, bad_out])
        msg = verr.decode(errors="replace").strip()
        if vrc in (4, 6) and len(msg.splitlines()) == 1:
            self.ok(name, f"rc {vrc}: {msg[-160:]}")
        else:
            self.bad(name, f"--verify gave rc {vrc}: {msg[-300:]}")
        os.unlink(bad_out)

    def verify_rejects(self, elf, kd):
        """--verify must fail on each kind of unrecorded change (defect 6)."""
        out = os.path.join(self.work, "v.out")
        rc, _, err, _ = self.run(["-q"] + self.dbg + [elf, out])
        rec = self.run(["-q", "--report", out + ".json"] + self.dbg + [elf, out + "2"])
        os.unlink(out + "2")
        rep = json.load(open(out + ".json"))
        first = int(rep["totals"]["first_frame_pfn"], 16)
        cases = []
        # a flipped byte in an added frame
        cases.append(("verify-rejects-frame-byte", [(o + 100, None) for o in self.elf_offsets(out, first * PAGE)]))
        # a rewritten PTE pointing at another added frame
        p = [q for q in rep["ptes"] if "new_pte" in q][3]
        wrong = struct.pack("<Q", int(p["new_pte"], 16) + PAGE)
        cases.append(("verify-rejects-wrong-pte", [(o, wrong) for o in self.elf_offsets(out, int(p["pte_paddr"], 16))]))
        # a PTE the record does not name
        cases.append(("verify-rejects-unrecorded-word", [(o + 8, None) for o in self.elf_offsets(out, int(p["pte_paddr"], 16))]))
        # VMCOREINFO's BUILD-ID and another line, in OUT's notes
        data = open(out, "rb").read(1 << 20)
        for key in (b"BUILD-ID=", b"OSRELEASE=", b"SYMBOL(swapper_pg_dir)="):
            at = data.find(key)
            if at >= 0:
                cases.append((f"verify-rejects-vmcoreinfo-{key.decode().split('=')[0].split('(')[0].lower()}",
                              [(at + len(key) + 2, None)]))
        # the ELF header
        cases.append(("verify-rejects-elf-header", [(0x30, None)]))   # e_flags/e_ehsize area
        for name, edits in cases:
            t = self.copy(out, "vbad.elf")
            for off, val in edits:
                if val is None:
                    self.flip(t, off)
                else:
                    self.poke(t, off, val)
            self.expect_rejected(name, elf, t)
        os.unlink(out)
        # kdump output: utsname, offset_vmcoreinfo, dump_level
        kout = os.path.join(self.work, "vk.out")
        rc, _, err, _ = self.run(["-q"] + self.dbg + [kd, kout])
        bs = struct.unpack_from("<I", self.peek(kout, 428, 4))[0]
        for name, off in (("verify-rejects-kdump-utsname", 12 + 65 + 1), ("verify-rejects-kdump-timestamp", 408),
                          ("verify-rejects-kdump-offset-vmcoreinfo", bs + 32), ("verify-rejects-kdump-dump-level", bs + 8)):
            t = self.copy(kout, "vbad.kd")
            self.flip(t, off)
            self.expect_rejected(name, kd, t)
        # and the unchanged output passes
        vrc, _, verr, _ = self.run(["--verify"] + self.dbg + [kd, kout])
        if vrc == 0:
            self.ok("verify-accepts-kdump-output", verr.decode(errors="replace").strip()[-160:])
        else:
            self.bad("verify-accepts-kdump-output", verr.decode(errors="replace").strip()[-300:])
        os.unlink(kout)

    def signals(self, elf):
        """SIGTERM/SIGINT during a rewrite: no output, no temporary file, killed by the signal (defect 4)."""
        out = os.path.join(self.work, "sig.out")
        t0 = time.monotonic()
        self.run(["-q"] + self.dbg + [elf, out])
        full = time.monotonic() - t0
        os.unlink(out)
        # Late in the run, when the temporary output exists (the write is the
        # last third or so): that is where a signal used to leave it behind.
        for i, sig in enumerate([signal.SIGTERM, signal.SIGINT, signal.SIGHUP] * (4 if self.long else 2)):
            delay = self.rng.uniform(0.55, 0.95) * full
            p = subprocess.Popen([self.bin, "-q"] + self.dbg + [elf, out], stderr=subprocess.PIPE)
            time.sleep(delay)
            p.send_signal(sig)
            _, err = p.communicate(timeout=TIMEOUT)
            name = f"signal-{signal.Signals(sig).name}-at-{delay:.2f}s"
            left = self.leftovers(self.work)
            for n in left:
                os.unlink(os.path.join(self.work, n))
            if p.returncode == 0:
                ok = os.path.exists(out)
                (self.ok if ok else self.bad)(name, "finished before the signal" if ok else "rc 0 but no output")
            elif p.returncode == -sig and not os.path.exists(out) and not left:
                self.ok(name, f"ended by the signal, nothing left: {err.decode(errors='replace').strip()[-120:]}")
            else:
                self.bad(name, f"rc {p.returncode}, output {'left' if os.path.exists(out) else 'absent'}, leftovers {left}: "
                         f"{err.decode(errors='replace').strip()[-200:]}")
            if os.path.exists(out):
                os.unlink(out)

    def in_place_interrupts(self, elf):
        """--in-place stopped at random moments: --verify recognises the state, a rerun completes (defect 2).

        A stop signal (SIGINT) must leave the dump untouched or finished; SIGKILL (a crash, a power cut)
        may stop it anywhere.  The narrow window in which the record is written but not every PTE
        (lib/dump/elf.c write_in_place, step 3) is rarely hit by chance, so that state is also made
        directly: a finished update with a random subset of its recorded PTEs put back to their old
        values (from the --report), which is what a crash inside step 3 leaves."""
        pristine = elf
        t = self.copy(pristine, "ip.elf")
        rep = os.path.join(self.work, "ip.json")
        t0 = time.monotonic()
        rc, _, err, _ = self.run(["-q", "--in-place", "--report", rep] + self.dbg + [t])
        full = time.monotonic() - t0
        report = json.load(open(rep))
        sigs = [signal.SIGINT, signal.SIGKILL] * 10
        states = {}

        def state_of():
            vrc, _, verr, _ = self.run(["--verify", "-q"] + self.dbg + [t])
            vmsg = verr.decode(errors="replace")
            if vrc == 0:
                return "complete", ""
            if "no vmcore-unzram record" in vmsg:
                return "not started", ""
            if "was cut short" in vmsg:
                return "cut short", ""
            return "?", vmsg.strip()[-200:]

        def rerun_and_check(problems):
            rrc, _, rerr, _ = self.run(["-q", "--in-place"] + self.dbg + [t])
            st, why = state_of()
            if rrc != 0 or st != "complete":
                problems.append(f"rerun rc {rrc} ({rerr.decode(errors='replace').strip()[-120:]}), then state {st} {why}")

        for i, sig in enumerate(sigs):
            subprocess.run(["cp", "--sparse=always", pristine, t], check=True)
            delay = self.rng.uniform(0.0, 1.1) * full
            p = subprocess.Popen([self.bin, "-q", "--in-place"] + self.dbg + [t], stderr=subprocess.PIPE)
            time.sleep(delay)
            try:
                p.send_signal(sig)
            except ProcessLookupError:
                pass
            p.communicate(timeout=TIMEOUT)
            name = f"in-place-{signal.Signals(sig).name}-{i}-at-{delay:.2f}s"
            problems = []
            left = self.leftovers(self.work)
            if left and sig != signal.SIGKILL:
                problems.append(f"left {left}")
            for n_ in left:
                os.unlink(os.path.join(self.work, n_))
            state, why = state_of()
            if state == "?":
                problems.append(f"--verify says: {why}")
            if sig == signal.SIGINT and state == "cut short":
                problems.append("SIGINT left a half-written update (it should finish or roll back)")
            if sig == signal.SIGINT and state == "not started" and os.path.getsize(t) != os.path.getsize(pristine):
                problems.append("SIGINT left appended bytes")
            if state != "complete":
                rerun_and_check(problems)
            states[state] = states.get(state, 0) + 1
            if problems:
                self.bad(name, "; ".join(problems))
            else:
                self.ok(name, f"state '{state}'" + (", completed by a rerun" if state != "complete" else ""))
        # The crash-in-step-3 states, made directly.
        rows = [q for q in report["ptes"] if "new_pte" in q]
        for i in range(6 if self.long else 3):
            subprocess.run(["cp", "--sparse=always", pristine, t], check=True)
            self.run(["-q", "--in-place"] + self.dbg + [t])
            undo = self.rng.sample(rows, self.rng.randrange(1, len(rows)))
            for q in undo:
                for o in self.elf_offsets(t, int(q["pte_paddr"], 16)):
                    self.poke(t, o, struct.pack("<Q", int(q["old_pte"], 16)))
            name = f"in-place-cut-short-{len(undo)}-of-{len(rows)}"
            problems = []
            state, why = state_of()
            if state != "cut short":
                problems.append(f"--verify calls it '{state}' {why}")
            rerun_and_check(problems)
            states["cut short (made)"] = states.get("cut short (made)", 0) + 1
            if problems:
                self.bad(name, "; ".join(problems))
            else:
                self.ok(name, "--verify says cut short; a rerun completes it")
        # The last state against the original, page by page.
        vrc, _, verr, _ = self.run(["--verify", "-q"] + self.dbg + [pristine, t])
        (self.ok if vrc == 0 else self.bad)("in-place-completed-verifies-against-original",
                                            verr.decode(errors="replace").strip()[-200:] or "identical but as recorded")
        os.unlink(t)
        print(f"# in-place interruption states: {states}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="uz-robust.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        s = Sweep(a.build, a.fixture, work, random.Random(a.seed), a.long)
        kd = s.copy(os.path.join(a.fixture, "kdump-d31-zlib.vmcore"), "in-d31.vmcore")
        elf = s.copy(os.path.join(a.fixture, "kdump-elf.vmcore"), "in-elf.vmcore")
        try:
            report = s.report_of(elf, s.dbg)
        except Exception as e:
            s.bad("clean-run", f"vmcore-unzram on the undamaged fixture failed: {e}")
            report = {"ptes": []}
        groups = [("usage", lambda: s.usage(elf, kd)), ("same-file", lambda: s.same_file(kd)),
                  ("debuginfo", lambda: s.debuginfo(kd)), ("outdir", lambda: s.outdir(kd)),
                  ("truncate", lambda: s.truncations(kd, elf)), ("corrupt", lambda: s.corruptions(kd, elf)),
                  ("bitmap-escape", lambda: s.bitmap_escape(kd)), ("bad-descriptor", lambda: s.bad_descriptor(kd)),
                  ("pte", lambda: s.ptes(elf, report)), ("zsmalloc-object", lambda: s.zsmalloc_objects(elf, report)),
                  ("verify-rejects", lambda: s.verify_rejects(elf, kd)), ("signal", lambda: s.signals(elf)),
                  ("in-place-interrupt", lambda: s.in_place_interrupts(elf))]
        for name, fn in groups:
            if a.only and a.only not in name:
                continue
            t = time.monotonic()
            try:
                fn()
            except Exception as e:  # a broken step is this group's failure, not the sweep's end
                s.bad(f"{name}-group", f"{type(e).__name__}: {e}")
            print(f"# group {name}: {time.monotonic() - t:.0f} s", flush=True)
        return 0 if s.failed == 0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
