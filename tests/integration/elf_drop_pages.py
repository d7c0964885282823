#!/usr/bin/python3
"""elf_drop_pages.py IN.elf LIST OUT.elf: OUT is the ELF64 vmcore IN without
the pages whose PFNs LIST names (first word of each line, hexadecimal with
0x or decimal): every PT_LOAD is split around them, as makedumpfile -E
leaves out the pages it filters, and the notes are copied unchanged.  A
"filtered" dump that surely lacks those pages, for zram-keep's tests; written
here from the ELF specification, without the project's dump library.
Kernel data pages inside the kernel image (held by two PT_LOADs, listed as
"other" only) are kept.  Prints the
number of pages dropped."""
import os
import struct
import sys

PAGE = 4096


def main():
    src, listfile, dst = sys.argv[1:4]
    drop, kernel_data = set(), set()
    for line in open(listfile):
        w = line.split()
        if w:
            drop.add(int(w[0], 0))
            if len(w) < 2 or set(w[1].split(",")) <= {"other"}:
                kernel_data.add(int(w[0], 0))
    with open(src, "rb") as f:
        ehdr = bytearray(f.read(64))
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or ehdr[5] != 1:
            raise SystemExit(f"{src}: not an ELF64 little-endian file")
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        f.seek(phoff)
        phdrs = [struct.unpack("<IIQQQQQQ", f.read(phentsize)[:56]) for _ in range(phnum)]
        # A page of kernel data that two PT_LOADs hold (the kernel image,
        # mapped at its own virtual address and in the direct map) stays:
        # makedumpfile never filters the kernel image, and readers take
        # kernel-image addresses from its own segment.  Pages of the image's
        # freed init sections hold anything (zsmalloc pages, page tables):
        # those listed with such a category go.
        seen, twice = set(), set()
        for ph in phdrs:
            if ph[0] == 1:
                for p in range(ph[4] // PAGE, (ph[4] + ph[5] + PAGE - 1) // PAGE):
                    (twice if p in seen else seen).add(p)
        drop -= twice & kernel_data
        notes, loads = [], []
        for ph in phdrs:
            p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align = ph
            if p_type == 4:
                f.seek(p_offset)
                notes.append((ph, f.read(p_filesz)))
            elif p_type == 1:
                if p_paddr % PAGE:
                    raise SystemExit(f"{src}: PT_LOAD at 0x{p_paddr:x} is not page-aligned")
                # runs of kept pages: (first page index, count); the last
                # page may be partial
                runs, start = [], None
                n = (p_filesz + PAGE - 1) // PAGE
                for i in range(n + 1):
                    kept = i < n and (p_paddr // PAGE + i) not in drop
                    if kept and start is None:
                        start = i
                    elif not kept and start is not None:
                        runs.append((start, i - start))
                        start = None
                tail = p_memsz - p_filesz      # zero-filled memory after the file data
                for first, count in runs:
                    size = min(count * PAGE, p_filesz - first * PAGE)
                    last = first + count == n
                    loads.append((p_flags, p_offset + first * PAGE, p_vaddr + first * PAGE,
                                  p_paddr + first * PAGE, size, size + (tail if last else 0), p_align))
        dropped = len(drop & seen)
        out_phnum = len(notes) + len(loads)
        data_off = 64 + out_phnum * 56
        note_offs = []
        for _, blob in notes:
            note_offs.append(data_off)
            data_off += len(blob)
        data_off = (data_off + PAGE - 1) // PAGE * PAGE
        struct.pack_into("<Q", ehdr, 32, 64)
        struct.pack_into("<HH", ehdr, 54, 56, out_phnum)
        with open(dst, "wb") as g:
            g.write(ehdr)
            for (ph, blob), off in zip(notes, note_offs):
                g.write(struct.pack("<IIQQQQQQ", 4, ph[1], off, ph[3], ph[4], len(blob), len(blob), ph[7]))
            off = data_off
            placed = []
            for p_flags, src_off, vaddr, paddr, filesz, memsz, align in loads:
                g.write(struct.pack("<IIQQQQQQ", 1, p_flags, off, vaddr, paddr, filesz, memsz, align))
                placed.append((src_off, off, filesz))
                off += filesz
            for _, blob in notes:
                g.write(blob)
            for src_off, out_off, size in placed:
                g.seek(out_off)
                f.seek(src_off)
                done = 0
                while done < size:
                    n = os.copy_file_range(f.fileno(), g.fileno(), size - done, src_off + done, out_off + done)
                    if n <= 0:
                        raise SystemExit(f"{dst}: copy_file_range stopped")
                    done += n
            g.truncate(off)
    print(dropped)


if __name__ == "__main__":
    main()
