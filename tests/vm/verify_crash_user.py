#!/usr/bin/python3
"""The crash oracle as a user runs it: unmodified crash (the reader root's,
tests/vm/reader-root) reads every manifest page with its own commands.

Owns: one `crash -s VMLINUX DUMP` session fed on stdin: `ps` (must list every
manifest process), `swap` and `kmem -i` (must print no error), `vtop` of one
restored address (must show the frame the --report JSON says vmcore-unzram
added, PTE and PAGE lines), and per manifest row `set PID` + `rd -u -64 VADDR
512`, the 512 words compared with expected.py's bytes; the report of
oracle_common (per scenario and expected state, "UZ-VERIFY {json}") and one
"UZ-CRASH {json}" line with the ps / swap / kmem / vtop verdicts.
Does not own: the root (reader-root), the verdict per page kind
(tests/integration/reader_judge.py), page generation (expected.py).

Usage: verify_crash_user.py DUMP FIXTURE_DIR [--report R.json] [--keep-log FILE]
                            [--sample N]   (at most N manifest rows per expected state)
                            [--mod-s DIR]  (first `mod -s zram DIR/zram.ko`, zsmalloc: crash's own zram reader)
                            [--rows-out F] (one line per row: pid vaddr expect algo outcome crash's warning)
Exit status as verify_drgn.py: 0 if every control page reads as the dump
level allows, 1 if not, 2 if crash cannot open the dump.
"""
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # keep tests/vm free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import expected  # noqa: E402
import oracle_common  # noqa: E402

MARK = 0x5a5a000000000000  # `ascii MARK+i` prints "5a5a00000000000i: ...": a section marker
MARK_RE = re.compile(r"^5a5a([0-9a-f]{12}): ")
WORDS_RE = re.compile(r"^\s*([0-9a-f]+):\s+([0-9a-f]{16})\s+([0-9a-f]{16})(\s|$)")
ERROR_RE = re.compile(r"^(\w+): |segmentation violation|^WARNING: |invalid|cannot|error", re.I)
SET_RE = re.compile(r"^\s*(PID|COMMAND|TASK|CPU|STATE):")
WORDS = expected.PAGE_SIZE // 8


def reader_version(root_script):
    out = subprocess.run([root_script, "--versions"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("crash "):
            return line.split()[1]
    return "unknown"


def run_crash(root_script, vmlinux, dump, commands):
    """Runs one crash session; returns (exit status, sections by marker number, preamble)."""
    script = []
    for i, cmd in enumerate(commands):
        script.append(f"ascii {MARK + i:x}")
        script.extend(cmd)
    script.append(f"ascii {MARK + len(commands):x}")
    script.append("exit")
    argv = [root_script, "--run", "--bind", os.path.dirname(os.path.abspath(dump)), "--",
            "crash", "-s", vmlinux, os.path.abspath(dump)]
    p = subprocess.run(argv, input="\n".join(script) + "\n", capture_output=True, text=True,
                       errors="replace")
    sections, cur, pre = {}, None, []
    for line in (p.stdout + p.stderr).splitlines():
        m = MARK_RE.match(line)
        if m:
            cur = int(m.group(1), 16)
            sections[cur] = []
        elif cur is None:
            pre.append(line)
        else:
            sections[cur].append(line)
    return p.returncode, sections, pre


def page_from(lines, vaddr):
    """The page `rd -u -64 VADDR 512` printed, or (None, first error line)."""
    words = []
    for line in lines:
        m = WORDS_RE.match(line)
        if m:
            addr = int(m.group(1), 16)
            if addr != vaddr + 8 * len(words):
                return None, f"rd printed address {addr:#x}, expected {vaddr + 8 * len(words):#x}"
            words += [int(m.group(2), 16), int(m.group(3), 16)]
    if len(words) == WORDS:
        return b"".join(w.to_bytes(8, "little") for w in words), None
    # What `set PID` prints is not about the page; crash may print nothing at
    # all for a page a filtered dump excludes.
    own = [l.strip() for l in lines if l.strip() and not SET_RE.match(l)]
    err = next((l for l in own if l.startswith("rd:")), None) or \
        next(iter(own), "rd -u printed nothing")
    # Addresses vary per row: keep the message, not the number.
    return None, re.sub(r"[0-9a-f]{8,}", "ADDR", err) + (f" ({len(words)} of {WORDS} words)" if words else "")


def main(argv):
    args = argv[1:]
    opts = {}
    for opt in ("--report", "--keep-log", "--sample", "--mod-s", "--rows-out"):
        if opt in args:
            i = args.index(opt)
            opts[opt] = args[i + 1]
            del args[i:i + 2]
    report, keep = opts.get("--report"), opts.get("--keep-log")
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dump, fixture = args
    root_script = os.path.join(HERE, "reader-root")
    rows = expected.read_manifest(os.path.join(fixture, "manifest.tsv"))
    if "--sample" in opts:
        # At most N rows per expected state (crash is slow on pages it
        # cannot read: about 0.2 s each on an input dump).
        seen = {}
        rows = [r for r in rows if seen.setdefault(r["expect"], []).append(r) is None
                and len(seen[r["expect"]]) <= int(opts["--sample"])]
    vmlinux = os.path.realpath(os.path.join(fixture, "vmlinux"))

    # vtop target: the first restored PTE of a manifest process (the report
    # says which frame vmcore-unzram added; crash must show that frame).
    vtop = None
    if report:
        pids = {int(r["pid"]) for r in rows}
        for pte in json.load(open(report))["ptes"]:
            if pte.get("frame_pfn") and pte["pid"] in pids:
                vtop = pte
                break
    commands = [["ps"], ["swap"], ["kmem -i"]]
    mod_dir = opts.get("--mod-s")
    if mod_dir:
        # crash's own zram reader (crash 9: "Please run mod -s zram"): load
        # the debug modules first, as its warning asks.  The `ps` section
        # then holds the `mod -s` answers too.
        mod_dir = os.path.realpath(mod_dir)
        commands[0] = [f"mod -s zram {mod_dir}/zram.ko", f"mod -s zsmalloc {mod_dir}/zsmalloc.ko", "ps"]
    if vtop:
        commands.append([f"set {vtop['pid']}", f"vtop {vtop['vaddr']}"])
    first_row = len(commands)
    for row in rows:
        commands.append([f"set {row['pid']}", f"rd -u -64 {row['vaddr']} {WORDS}"])

    rc, sections, pre = run_crash(root_script, vmlinux, dump, commands)
    if keep:
        with open(keep, "w") as f:
            f.write("\n".join(pre) + "\n")
            for i in sorted(sections):
                f.write(f"=== {i} {commands[i] if i < len(commands) else 'exit'}\n")
                f.write("\n".join(sections[i]) + "\n")
    if len(sections) != len(commands) + 1:
        why = " | ".join(l for l in pre if l.strip())[-400:] or f"exit status {rc}, no output"
        return oracle_common.cannot_open(dump, "crash", why)

    checks = {}
    ps_pids = set()
    for line in sections[0]:
        m = re.match(r"^[> ]\s*(\d+)\s+\d+\s+\d+\s+[0-9a-f]+\s", line)
        if m:
            ps_pids.add(int(m.group(1)))
    want = sorted({int(r["pid"]) for r in rows})
    missing = [p for p in want if p not in ps_pids]
    checks["ps"] = {"ok": not missing and len(ps_pids) > 0, "tasks": len(ps_pids),
                    "manifest_pids": len(want), "missing": missing[:10]}
    for i, name in ((1, "swap"), (2, "kmem -i")):
        errs = [l for l in sections[i] if ERROR_RE.search(l)]
        checks[name] = {"ok": not errs and len(sections[i]) > 1, "lines": len(sections[i]),
                        "errors": errs[:3]}
    # `swap` lists the devices the guest swapped to (swaps.tsv): all of them
    # where the dump level kept the kernel's memory (the judge decides).
    try:
        with open(os.path.join(fixture, "swaps.tsv")) as f:
            want_dev = sorted(l.split("\t")[1] for l in f.read().splitlines()[1:] if l.strip())
    except OSError:
        want_dev = []
    listed = sorted(re.findall(r"/dev/(\S+)\s*$", "\n".join(sections[1]), re.M))
    checks["swap"]["devices"] = f"{len(set(listed) & set(want_dev))}/{len(want_dev)}"
    checks["swap"]["missing"] = sorted(set(want_dev) - set(listed))
    checks["startup"] = [l for l in pre if l.strip()][:5]
    if vtop:
        text = "\n".join(sections[3])
        frame = int(vtop["frame_pfn"], 16) << 12
        new = int(vtop["new_pte"], 16)
        ok = (re.search(rf"^\s*PAGE:\s+{frame:x}\s*$", text, re.M) is not None
              and re.search(rf"^\s*PTE:\s+[0-9a-f]+ => {new:x}\s*$", text, re.M) is not None
              and re.search(rf"^{int(vtop['vaddr'], 16):x}\s+{frame:x}\s*$", text, re.M) is not None)
        checks["vtop"] = {"ok": ok, "pid": vtop["pid"], "vaddr": vtop["vaddr"],
                          "frame": f"{frame:#x}", "pte": f"{new:#x}",
                          "output": [] if ok else sections[3][:12]}
    else:
        checks["vtop"] = {"ok": False, "output": ["no restored PTE of a manifest process in the report"]
                          if report else ["no --report given"]}

    if mod_dir:
        checks["mod -s"] = [l for l in sections[0] if "zram" in l or "zsmalloc" in l or ERROR_RE.search(l)][:6]
    tally = oracle_common.Tally(dump, fixture, "crash", reader_version(root_script))
    per_row = []
    for k, row in enumerate(rows):
        lines = sections[first_row + k]
        pid = int(row["pid"])
        if not any(re.match(rf"^\s*PID: {pid}\s*$", l) for l in lines):
            bad = next((l for l in lines if l.startswith("set:")), "no PID line")
            tally.add(row, "notask", bad)
            per_row.append((row, "notask", bad))
            continue
        data, why = page_from(lines, int(row["vaddr"], 16))
        # crash's warnings about the page (e.g. "only the lzo compressor is supported")
        warn = next((l.strip() for l in lines if l.startswith("WARNING")), "")
        if data is None:
            tally.add(row, "unreadable", why)
            per_row.append((row, "unreadable", warn or why))
        else:
            tally.add_data(row, data)
            per_row.append((row, "exact" if data == expected.row_bytes(row) else "wrong", warn))
    if "--rows-out" in opts:
        with open(opts["--rows-out"], "w") as f:
            for row, outcome, why in per_row:
                f.write("\t".join((row["pid"], row["vaddr"], row["expect"], row.get("algo", ""),
                                   outcome, why)) + "\n")
    print("UZ-CRASH " + json.dumps(checks, sort_keys=True))
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
