"""Cross-checks vmcore-unzram's kernel view against drgn on one fixture.

Usage: kernel_vs_drgn.py BIN FIXTURE_DIR ARCH PAGING NAME
Run by tests/integration/kernel-vs-drgn.sh with Debian's /usr/bin/python3.

Checks (one line each, PASS/FAIL/SKIP):
  ps    - `--ps --json` equals drgn's for_each_task as a set of
          (pid, tgid, task, mm, comm).
  vtop  - for a sample of manifest rows (every process x PTE state, then
          evenly spread), `--vtop PID:ADDR --json` against an independent
          page-table walk in Python over drgn's memory reads (raw PTE, and
          paddr for present pages) and against the manifest the guest wrote
          from /proc/PID/pagemap (PTE state, swap type and offset).
"""
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import drgn
from drgn.helpers.linux.pid import find_task, for_each_task

SAMPLE_ROWS = 20

binary, fx, arch, paging, name = sys.argv[1:6]
dump = fx + "/kdump-elf.vmcore"
debug = ["--vmlinux", fx + "/vmlinux", "-d", fx + "/debug-modules"]


def run_tool(*args):
    p = subprocess.run([binary, *args, "--json", *debug, dump], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()[:200]}")
    return json.loads(p.stdout)


def report(check, fn):
    try:
        print(f"PASS {name} {check}: {fn()}", flush=True)
    except Exception as e:  # one line per check, whatever went wrong
        print(f"FAIL {name} {check}: {e}", flush=True)


def manifest_rows():
    lines = open(fx + "/manifest.tsv").read().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:] if l]


def sample(rows):
    """One row per (pid, pte state), then evenly spread rows up to SAMPLE_ROWS."""
    chosen, keys = [], set()
    for r in rows:
        key = (r["pid"], r["pte"])
        if key not in keys:
            keys.add(key)
            chosen.append(r)
    step = max(1, len(rows) // SAMPLE_ROWS)
    for r in rows[::step]:
        if len(chosen) >= max(SAMPLE_ROWS, len(keys)):
            break
        if r not in chosen:
            chosen.append(r)
    return chosen


# ---- an independent page-table walk over drgn's reads ----

def read_phys_u64(prog, paddr):
    return int.from_bytes(prog.read(paddr, 8, True), "little")


def walk_x86_64(prog, pgd_vaddr, vaddr, levels):
    """(raw entry, page size) of the entry mapping vaddr; levels is 4 or 5."""
    addr_mask = 0x000FFFFFFFFFF000
    shifts = [48, 39, 30, 21, 12][5 - levels:]
    entry = prog.read_u64(pgd_vaddr + ((vaddr >> shifts[0]) & 511) * 8)
    for shift in shifts[1:]:
        if not entry & 1:
            raise LookupError(f"level for bit {shift + 9} not present (0x{entry:x})")
        if shift in (21, 12) and entry & 0x80:   # PSE: 1 GiB / 2 MiB leaf above
            return entry, 1 << (shift + 9)
        entry = read_phys_u64(prog, (entry & addr_mask) + ((vaddr >> shift) & 511) * 8)
    return entry, 4096


def walk_arm64(prog, pgd_vaddr, vaddr, va_bits):
    """4 KiB granule: (raw entry, page size); levels follow the VA size."""
    addr_mask = 0x0003FFFFFFFFF000     # output address bits 49:12 (RAM is small)
    levels = (va_bits - 12 + 8) // 9
    shifts = [12 + 9 * i for i in range(levels - 1, -1, -1)]
    top_entries = 1 << (va_bits - shifts[0])
    entry = prog.read_u64(pgd_vaddr + ((vaddr >> shifts[0]) & (top_entries - 1)) * 8)
    for shift in shifts[1:]:
        if entry & 3 == 1:                      # block descriptor above
            return entry, 1 << (shift + 9)
        if entry & 3 != 3:
            raise LookupError(f"level for bit {shift + 9} invalid (0x{entry:x})")
        entry = read_phys_u64(prog, (entry & addr_mask) + ((vaddr >> shift) & 511) * 8)
    return entry, 4096


def elf_vmcoreinfo(path):
    """The VMCOREINFO note text of an ELF64 little-endian vmcore."""
    with open(path, "rb") as f:
        ehdr = f.read(64)
        u = lambda b, o, n: int.from_bytes(b[o:o + n], "little")
        phoff, phentsize, phnum = u(ehdr, 32, 8), u(ehdr, 54, 2), u(ehdr, 56, 2)
        f.seek(phoff)
        phdrs = f.read(phentsize * phnum)
        for i in range(phnum):
            ph = phdrs[i * phentsize:(i + 1) * phentsize]
            if u(ph, 0, 4) != 4:    # PT_NOTE
                continue
            f.seek(u(ph, 8, 8))
            notes = f.read(u(ph, 32, 8))
            off = 0
            while off + 12 <= len(notes):
                namesz, descsz = u(notes, off, 4), u(notes, off + 4, 4)
                name_ = notes[off + 12:off + 12 + namesz].rstrip(b"\0")
                desc_off = off + 12 + (namesz + 3) // 4 * 4
                if name_ == b"VMCOREINFO":
                    return notes[desc_off:desc_off + descsz].decode(errors="replace")
                off = desc_off + (descsz + 3) // 4 * 4
    raise LookupError(f"{path}: no VMCOREINFO note")


def main():
    pool = ThreadPoolExecutor(max_workers=2)
    ps_future = pool.submit(run_tool, "--ps")
    rows = sample(manifest_rows())
    vtop_futures = [pool.submit(run_tool, "--vtop", f"{r['pid']}:{r['vaddr']}") for r in rows]

    prog = drgn.Program()
    prog.set_core_dump(dump)
    try:
        prog.load_debug_info([fx + "/vmlinux"])
    except drgn.MissingDebugInfoError:
        pass   # modules' debug info is not needed for tasks and page tables

    def ps():
        ours = {(t["pid"], t["tgid"], int(t["task"], 16), int(t["mm"], 16), t["comm"])
                for t in ps_future.result()}
        theirs = {(t.pid.value_(), t.tgid.value_(), t.value_(), t.mm.value_(),
                   t.comm.string_().decode(errors="replace"))
                  for t in for_each_task(prog)}
        if ours != theirs:
            only_ours = sorted(ours - theirs)[:3]
            only_drgn = sorted(theirs - ours)[:3]
            raise AssertionError(f"{len(ours)} tasks vs drgn {len(theirs)}; only ours {only_ours}; "
                                 f"only drgn {only_drgn}")
        return f"{len(ours)} tasks identical to drgn ({sum(1 for t in ours if t[3])} with an mm)"
    report("ps", ps)

    if arch == "x86_64":
        levels = int(paging)
        walk = lambda pgd, va: walk_x86_64(prog, pgd, va, levels)
        present_bit, addr_mask = 1, 0x000FFFFFFFFFF000
    else:
        # The VA size in use (6.12's 52-bit build falls back to 48 bits
        # without LPA2): from the dump's VMCOREINFO note.
        t1sz = [l.split("=")[1] for l in elf_vmcoreinfo(dump).splitlines()
                if l.startswith("NUMBER(TCR_EL1_T1SZ)=")]
        if not t1sz:
            raise SystemExit(f"SKIP {name} vtop: no TCR_EL1_T1SZ in VMCOREINFO")
        va_bits = 64 - int(t1sz[0], 0)
        walk = lambda pgd, va: walk_arm64(prog, pgd, va, va_bits)
        present_bit, addr_mask = 1, 0x0003FFFFFFFFF000

    def vtop():
        problems, n_swap, n_present, pids = [], 0, 0, set()
        for r, fut in zip(rows, vtop_futures):
            where = f"pid {r['pid']} {r['vaddr']}"
            try:
                ours = fut.result()
                va = int(r["vaddr"], 16)
                mm = find_task(prog, int(r["pid"])).mm
                raw, size = walk(mm.pgd.value_(), va)
            except Exception as e:
                problems.append(f"{where}: {e}")
                continue
            pids.add(r["pid"])
            if int(ours["pte"], 16) != raw:
                problems.append(f"{where}: pte {ours['pte']}, drgn walk 0x{raw:x}")
            if ours["kind"] != r["pte"]:
                problems.append(f"{where}: kind {ours['kind']}, guest pagemap said {r['pte']}")
            if r["pte"] == "swap":
                n_swap += 1
                if raw & present_bit and arch == "x86_64":
                    problems.append(f"{where}: drgn walk finds a present entry 0x{raw:x}")
                if (ours.get("swap_type"), ours.get("swap_offset")) != (int(r["swap_type"]), int(r["swap_offset"])):
                    problems.append(f"{where}: swap {ours.get('swap_type')}/{ours.get('swap_offset')}, "
                                    f"guest pagemap {r['swap_type']}/{r['swap_offset']}")
            elif r["pte"] == "present":
                n_present += 1
                mask = addr_mask & ~(size - 1)
                want = (raw & mask) | (va & (size - 1))
                got = ours.get("paddr")
                if got is None or int(got, 16) != want:
                    problems.append(f"{where}: paddr {got}, drgn walk 0x{want:x}")
        if problems:
            raise AssertionError(f"{len(problems)} of {len(rows)} rows differ: " + "; ".join(problems[:3]))
        return (f"{len(rows)} rows ({n_swap} swap, {n_present} present, {len(pids)} processes) "
                f"agree with drgn's page-table walk and the guest's pagemap")
    report("vtop", vtop)
    pool.shutdown()


main()
