#!/usr/bin/python3
"""pte_rules.py NAME IN OUT FIXTURE_DIR: every PTE vmcore-unzram rewrote,
judged against the architecture's rules for a present user PTE, from the
owning VMA's permissions.  Independent of the code under test: both dumps are
read through unmodified drgn, the VMAs through a maple-tree walk written here
from the kernel's maple_tree.h, the page tables through a walk written here
from the architecture manuals; nothing comes from vmcore-unzram's report or
record.  The rules are written from the manuals and kernel-facts.md section
1.5, not from lib/kernel/arch_*.c.

A "rewritten PTE" is a user PTE whose value differs between IN and OUT (the
page-table pages keep their physical address).  For each one:

  every arch  IN held a swap PTE (not present, not zero); OUT's is present;
              its frame is readable in OUT; a frame mapped writable from a
              private (not VM_SHARED) VMA is mapped by no other rewritten PTE
              (copy-on-write: a private writable page is exclusive); every
              manifest page expected in RAM (zram, zram-huge, zram-same,
              zeromap, swapcache) is among the rewritten PTEs.
  x86_64      P (bit 0) and US (bit 2) set; G (bit 8) clear; A (bit 5) set
              (every kernel user template carries it); RW (bit 1) only if the
              VMA has VM_WRITE; D (bit 6) only with RW (W=0,D=1 is a shadow-
              stack page); NX (bit 63) set iff the VMA lacks VM_EXEC when the
              CPU has NX (__supported_pte_mask), clear otherwise; for an
              anonymous VMA the cache bits PWT, PCD, PAT (3, 4, 7) and
              _PAGE_SPECIAL (9) clear.
  arm64       bits 1:0 = 0b11 (valid page); AF (bit 10), nG (bit 11), AP[1]
              user (bit 6) and PXN (bit 53) set; UXN (bit 54) set iff the VMA
              lacks VM_EXEC; hardware-writable (RDONLY, bit 7, clear) only
              with PTE_WRITE/DBM (bit 51); PTE_WRITE only if the VMA has
              VM_WRITE; anonymous VMA: AttrIndx (bits 4:2) = MT_NORMAL (0 on
              5.10+), shareability (bits 9:8) = 0b11 unless LPA2 (52-bit VA,
              where those bits carry PA[51:50]), PTE_SPECIAL (bit 56) clear.

A writable private VMA may hold read-only PTEs: the kernel maps a swapped-in
page read-only on a read fault (do_swap_page) and makes it writable on the
first write, so "VM_WRITE => RW" is not a rule.

Prints one line: PASS|FAIL NAME-pte-rules: ...
"""
import collections
import os
import sys

import drgn
from drgn.helpers.linux.pid import find_task, for_each_task

VM_WRITE, VM_EXEC, VM_SHARED = 0x2, 0x4, 0x8
IN_RAM = {"zram", "zram-huge", "zram-same", "zeromap", "swapcache"}


def bit(v, n):
    return (v >> n) & 1


def open_dump(path, fx):
    prog = drgn.Program()
    prog.set_core_dump(path)
    try:
        prog.load_debug_info([os.path.join(fx, "vmlinux")])
    except drgn.MissingDebugInfoError:
        pass  # modules: not needed for tasks, VMAs and page tables
    return prog


# ---- VMAs: the mm's maple tree (include/linux/maple_tree.h) ----

def vmas(prog, mm):
    """(start, end, flags, anonymous) of every VMA of mm.  The root is an
    encoded node if xa_is_node() (low bits 0b10, above 4096); an encoded node
    is its address | type << 3 (| 4, | 2 at the root); every non-NULL slot of
    a non-leaf node is an encoded child.  Kernel pointers only: the last
    slot of a range_64 node that is not full holds its metadata."""
    def is_node(e):
        return (e & 3) == 2 and e > 4096

    node_t = prog.type("struct maple_node")
    out, seen = [], set()
    root = mm.mm_mt.ma_root.value_()
    stack = [root] if is_node(root) else []
    leaves = [] if is_node(root) or not root else [root]
    while stack:
        e = stack.pop()
        node = drgn.Object(prog, node_t, address=e & ~0xFF)
        kind = (e >> 3) & 0xF           # maple_dense, leaf_64, range_64, arange_64
        slots = {0: lambda: node.slot, 1: lambda: node.mr64.slot, 2: lambda: node.mr64.slot,
                 3: lambda: node.ma64.slot}[kind]()
        for s in slots:
            v = s.value_()
            if v < 1 << 63:     # NULL, or the metadata in a range_64's last slot
                continue
            (leaves if kind in (0, 1) else stack).append(v)
    for v in leaves:
        if v & 7 or v in seen:
            continue
        seen.add(v)
        vma = drgn.Object(prog, "struct vm_area_struct", address=v)
        if vma.vm_mm.value_() != mm.value_():
            continue
        out.append((vma.vm_start.value_(), vma.vm_end.value_(), vma.vm_flags.value_(),
                    not vma.vm_file.value_()))
    return sorted(out)


# ---- page tables ----

def elf_vmcoreinfo(path):
    """The VMCOREINFO note text of an ELF64 little-endian vmcore."""
    with open(path, "rb") as f:
        ehdr = f.read(64)
        u = lambda b, o, n: int.from_bytes(b[o:o + n], "little")
        if ehdr[:4] != b"\x7fELF":
            raise LookupError(f"{path}: not an ELF file (arm64 needs its VMCOREINFO)")
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


class Arch:
    def __init__(self, prog, path):
        self.x86 = prog.platform.arch == drgn.Architecture.X86_64
        if self.x86:
            try:
                l5 = prog["__pgtable_l5_enabled"].value_()
            except (KeyError, LookupError):
                l5 = 0
            self.shifts = [48, 39, 30, 21, 12] if l5 else [39, 30, 21, 12]
            self.top_entries = 512
            self.addr_mask = 0x000FFFFFFFFFF000
            self.nx = bool(prog["__supported_pte_mask"].value_() >> 63 & 1)
            self.desc = f"x86_64 {len(self.shifts)}-level, NX {'on' if self.nx else 'off'}"
        else:
            # The VA size in use (6.12's 52-bit build runs 48-bit without
            # LPA2): TCR_EL1.T1SZ from the dump's VMCOREINFO note.
            info = elf_vmcoreinfo(path)
            t1sz = [l.split("=")[1] for l in info.splitlines() if l.startswith("NUMBER(TCR_EL1_T1SZ)=")]
            va_bits = 64 - int(t1sz[0], 0)
            levels = (va_bits - 12 + 8) // 9
            self.shifts = [12 + 9 * i for i in range(levels - 1, -1, -1)]
            self.top_entries = 1 << (va_bits - self.shifts[0])
            self.addr_mask = 0x0003FFFFFFFFF000
            self.lpa2 = va_bits == 52
            self.desc = f"arm64 {va_bits}-bit VA, {levels} levels"

    def table(self, e, level):
        """Physical address of the next table, or None (not present, or a block)."""
        if self.x86:
            if not e & 1 or (level > 0 and e & 0x80):
                return None
        elif e & 3 != 3:
            return None
        return e & self.addr_mask


def pte_tables(prog, arch, pgd, start, end):
    """(PTE table paddr, vaddr of its entry 0) for every PTE table under [start, end)."""
    def walk(table, level, base, first, count):
        shift = arch.shifts[level]
        lo = max(first, (start - base) >> shift if start > base else 0)
        hi = min(first + count - 1, (end - 1 - base) >> shift)
        for i in range(lo, hi + 1):
            e = int.from_bytes(table[i * 8:i * 8 + 8], "little")
            nxt = arch.table(e, len(arch.shifts) - 1 - level)
            if nxt is None:
                continue
            va = base + (i << shift)
            if level + 2 == len(arch.shifts):
                yield nxt, va
            else:
                yield from walk(prog.read(nxt, 4096, True), level + 1, va, 0, 512)

    top = prog.read(pgd, arch.top_entries * 8)
    yield from walk(top, 0, 0, 0, arch.top_entries)


# ---- the rules ----

def x86_rules(arch, pte, flags, anon):
    bad = []
    if not bit(pte, 0): bad.append("P clear")
    if not bit(pte, 2): bad.append("US clear")
    if bit(pte, 8): bad.append("G set")
    if not bit(pte, 5): bad.append("A clear")
    if bit(pte, 1) and not flags & VM_WRITE: bad.append("RW set in a VMA without VM_WRITE")
    if bit(pte, 6) and not bit(pte, 1): bad.append("D set without RW (shadow-stack pattern)")
    want_nx = arch.nx and not flags & VM_EXEC
    if bit(pte, 63) != want_nx:
        bad.append(f"NX {bit(pte, 63)} with VM_EXEC {int(bool(flags & VM_EXEC))}, CPU NX {int(arch.nx)}")
    if anon and pte & (1 << 3 | 1 << 4 | 1 << 7): bad.append("PWT/PCD/PAT set on anonymous memory")
    if anon and bit(pte, 9): bad.append("_PAGE_SPECIAL set on anonymous memory")
    return bad, bool(bit(pte, 1))


def arm64_rules(arch, pte, flags, anon):
    bad = []
    if pte & 3 != 3: bad.append("bits 1:0 not 0b11")
    if not bit(pte, 10): bad.append("AF clear")
    if not bit(pte, 11): bad.append("nG clear")
    if not bit(pte, 6): bad.append("AP[1] (user) clear")
    if not bit(pte, 53): bad.append("PXN clear")
    if bit(pte, 54) != (not flags & VM_EXEC):
        bad.append(f"UXN {bit(pte, 54)} with VM_EXEC {int(bool(flags & VM_EXEC))}")
    if not bit(pte, 7) and not bit(pte, 51): bad.append("hardware-writable (RDONLY clear) without PTE_WRITE")
    if bit(pte, 51) and not flags & VM_WRITE: bad.append("PTE_WRITE set in a VMA without VM_WRITE")
    if anon and (pte >> 2) & 7: bad.append(f"AttrIndx {(pte >> 2) & 7}, not MT_NORMAL")
    if anon and not arch.lpa2 and (pte >> 8) & 3 != 3: bad.append(f"SH {(pte >> 8) & 3}, not inner shareable")
    if anon and bit(pte, 56): bad.append("PTE_SPECIAL set on anonymous memory")
    return bad, bool(bit(pte, 51) or not bit(pte, 7))


def is_swap_pte(arch, old):
    if not old:
        return False
    if arch.x86:
        return not old & 1 and not old & 0x100   # P and PROTNONE clear
    return not old & 1


def frame_of(arch, pte):
    return (pte & arch.addr_mask) >> 12


def main():
    name, in_path, out_path, fx = sys.argv[1:5]
    pin, pout = open_dump(in_path, fx), open_dump(out_path, fx)
    arch = Arch(pout, out_path)
    rules = x86_rules if arch.x86 else arm64_rules
    mms = {}
    for t in for_each_task(pout):
        if t.mm.value_():
            mms.setdefault(t.mm.value_(), (t.mm, t.pid.value_()))
    violations = collections.Counter()
    examples = []
    rewritten = {}          # (mm, vaddr) -> pte
    frames = collections.defaultdict(list)   # frame -> [(mm, pid, vaddr, private writable)]

    def violate(what, mm_pid, va, pte):
        violations[what] += 1
        if len(examples) < 4:
            examples.append(f"pid {mm_pid} 0x{va:x} pte 0x{pte:x}: {what}")

    for mm_addr, (mm, pid) in mms.items():
        areas = vmas(pout, mm)
        for start, end, flags, anon in areas:
            for pt, base in pte_tables(pout, arch, mm.pgd.value_(), start, end):
                new_t, old_t = pout.read(pt, 4096, True), pin.read(pt, 4096, True)
                if new_t == old_t:
                    continue
                for i in range(512):
                    va = base + i * 4096
                    if not start <= va < end or new_t[i * 8:i * 8 + 8] == old_t[i * 8:i * 8 + 8]:
                        continue
                    new = int.from_bytes(new_t[i * 8:i * 8 + 8], "little")
                    old = int.from_bytes(old_t[i * 8:i * 8 + 8], "little")
                    rewritten[(mm_addr, va)] = new
                    if not is_swap_pte(arch, old):
                        violate(f"IN's PTE 0x{old:x} was not a swap PTE", pid, va, new)
                    bad, writable = rules(arch, new, flags, anon)
                    for b in bad:
                        violate(b, pid, va, new)
                    frame = frame_of(arch, new)
                    try:
                        pout.read(frame << 12, 8, True)
                    except drgn.FaultError:
                        violate("frame not in OUT", pid, va, new)
                    frames[frame].append((mm_addr, pid, va, writable and not flags & VM_SHARED))
    for frame, users in frames.items():
        if len(users) > 1:
            for mm_addr, pid, va, private_writable in users:
                if private_writable:
                    violate(f"private writable PTE to a frame mapped {len(users)} times",
                            pid, va, rewritten[(mm_addr, va)])
    # Every in-RAM swapped manifest page must have been rewritten.
    missing, wanted = 0, 0
    mm_of_pid = {}
    lines = open(os.path.join(fx, "manifest.tsv")).read().splitlines()
    head = lines[0].split("\t")
    for line in lines[1:]:
        r = dict(zip(head, line.split("\t")))
        if r.get("pte") != "swap" or r.get("expect") not in IN_RAM:
            continue
        pid = int(r["pid"])
        if pid not in mm_of_pid:
            try:
                mm_of_pid[pid] = find_task(pout, pid).mm.value_()
            except Exception:
                mm_of_pid[pid] = 0
        wanted += 1
        if (mm_of_pid[pid], int(r["vaddr"], 16)) not in rewritten:
            missing += 1
            if len(examples) < 4:
                examples.append(f"pid {pid} {r['vaddr']} ({r['expect']}): PTE not rewritten")
    if missing:
        violations["in-RAM manifest page not rewritten"] += missing
    if not rewritten:
        violations["no rewritten PTE at all"] += 1
    shared = sum(1 for u in frames.values() if len(u) > 1)
    if violations:
        print(f"FAIL {name}-pte-rules: {sum(violations.values())} violations in {len(rewritten)} rewritten "
              f"PTEs ({arch.desc}): {dict(violations)}; e.g. " + "; ".join(examples))
    else:
        print(f"PASS {name}-pte-rules: {len(rewritten)} rewritten PTEs in {len(mms)} mms obey the "
              f"{arch.desc} rules for their VMAs ({len(frames)} frames, {shared} mapped more than "
              f"once; all {wanted} in-RAM manifest pages among them)")


if __name__ == "__main__":
    main()
