#!/usr/bin/python3
"""phys_equal.py NAME ELF OTHER: every page of the ELF64 vmcore ELF (its
PT_LOAD physical ranges, parsed here) reads the same through unmodified drgn
from ELF and from OTHER (any format drgn opens: a kdump-compressed copy made
by the project's writer, for instance).  Neither side is read with the
project's dump library.  Prints one line: PASS|FAIL NAME: ..."""
import struct
import sys

import drgn

PAGE = 4096
CHUNK = 256 * PAGE


def ranges(path):
    with open(path, "rb") as f:
        ehdr = f.read(64)
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        f.seek(phoff)
        out = set()
        for _ in range(phnum):
            p_type, _, _, _, p_paddr, p_filesz, _, _ = struct.unpack("<IIQQQQQQ", f.read(phentsize)[:56])
            if p_type == 1 and p_filesz:
                out.add((p_paddr, p_paddr + p_filesz))
    return sorted(out)


def main():
    name, elf, other = sys.argv[1:4]
    a, b = drgn.Program(), drgn.Program()
    a.set_core_dump(elf)
    b.set_core_dump(other)
    pages = 0
    bad = []
    for start, end in ranges(elf):
        addr = start
        while addr < end:
            n = min(CHUNK, end - addr)
            x = a.read(addr, n, True)
            try:
                y = b.read(addr, n, True)
            except drgn.FaultError as e:
                y = None
                bad.append(f"0x{addr:x}+0x{n:x}: {e}")
            if y is not None and x != y:
                for off in range(0, n, PAGE):
                    if x[off:off + PAGE] != y[off:off + PAGE]:
                        bad.append(f"page 0x{(addr + off) // PAGE:x} differs")
            pages += (n + PAGE - 1) // PAGE
            addr += n
    if bad or not pages:
        print(f"FAIL {name}: {len(bad)} differences in {pages} pages (drgn): " + "; ".join(bad[:4]))
    else:
        print(f"PASS {name}: {pages} pages read identical through drgn from both files")


if __name__ == "__main__":
    main()
