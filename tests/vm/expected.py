#!/usr/bin/python3
"""Regenerate the exact 4096 bytes of a fixture page (port of pagegen.h).

Owns: the Python twin of tests/vm/pagegen.h and manifest.tsv parsing.
Does not own: reading dumps (verify_drgn.py does that).

Usage:
  expected.py MANIFEST ROW_NUMBER > page.bin     (1-based data row, header excluded)
  expected.py --page LABEL INDEX SEED KIND VADDR > page.bin
  expected.py --selftest UZFIX_BINARY           (compare with the C generator)
"""
import csv
import subprocess
import sys

PAGE_SIZE = 4096
HEADER_SIZE = 64
LABEL_MAX = 24
VERSION = 1
MASK64 = (1 << 64) - 1

KINDS = {"text": 1, "random": 2, "zero": 3, "word": 4, "zeroruns": 5}

WORDS = [w.encode() for w in (
    "zram ", "swap ", "page ", "kernel ", "memory ", "dump ", "crash ", "drgn ",
    "the ", "of ", "and ", "a ", "to ", "in ", "is ", "compressed ",
    "object ", "handle ", "class ", "pool ", "entry ", "offset ", "table ", "slot ",
    "lorem ", "ipsum ", "dolor ", "sit ", "amet, ", "fixture ", "vmcore ", "\n",
)]


class Rng:
    def __init__(self, label, index, seed, kind):
        h = 0xcbf29ce484222325
        for b in label.encode():
            h ^= b
            h = (h * 0x100000001b3) & MASK64
        h ^= (index * 0x9e3779b97f4a7c15) & MASK64
        h ^= ((seed << 32) | kind) & MASK64
        self.state = h if h else 1
        for _ in range(4):
            self.next()

    def next(self):
        x = self.state
        x ^= (x << 13) & MASK64
        x ^= x >> 7
        x ^= (x << 17) & MASK64
        self.state = x
        return x


def _text(rng, page, start, end):
    p = start
    while p < end:
        word = WORDS[rng.next() % 32]
        n = min(len(word), end - p)
        page[p:p + n] = word[:n]
        p += n


def page_bytes(label, index, seed, kind, vaddr):
    """The 4096 bytes pagegen_fill() writes for these arguments."""
    kind_no = KINDS[kind] if isinstance(kind, str) else kind
    rng = Rng(label, index, seed, kind_no)
    page = bytearray(PAGE_SIZE)
    if kind_no == KINDS["zero"]:
        return bytes(page)
    if kind_no == KINDS["word"]:
        word = (rng.next() | 1).to_bytes(8, "little")
        return word * (PAGE_SIZE // 8)
    page[0:12] = b"UZFIXTURE-v1"
    lab = label.encode()[:LABEL_MAX]
    page[16:16 + len(lab)] = lab
    page[40:48] = (vaddr & MASK64).to_bytes(8, "little")
    page[48:52] = (index & 0xffffffff).to_bytes(4, "little")
    page[52:56] = (seed & 0xffffffff).to_bytes(4, "little")
    page[56:60] = kind_no.to_bytes(4, "little")
    page[60:64] = VERSION.to_bytes(4, "little")
    if kind_no == KINDS["random"]:
        for off in range(HEADER_SIZE, PAGE_SIZE, 8):
            page[off:off + 8] = rng.next().to_bytes(8, "little")
    elif kind_no == KINDS["zeroruns"]:
        p = HEADER_SIZE
        while p < PAGE_SIZE:
            text_end = min(p + 100 + rng.next() % 400, PAGE_SIZE)
            _text(rng, page, p, text_end)
            p = text_end + 300 + rng.next() % 1200
    else:
        _text(rng, page, HEADER_SIZE, PAGE_SIZE)
    return bytes(page)


def read_manifest(path):
    """Rows of manifest.tsv as dicts (first line is the column header)."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def row_bytes(row):
    return page_bytes(row["label"], int(row["index"]), int(row["seed"]), row["kind"],
                      int(row["vaddr"], 16))


def selftest(uzfix):
    cases = 0
    for kind in KINDS:
        for label, index, seed, vaddr in (("z0:swap", 0, 7, 0x7f0000001000),
                                          ("a-very-long-label-over-24-bytes:swap", 513, 0xffffffff, 0xffffffffff000),
                                          ("thr:t2-ctl", 3, 1001, 0x1000)):
            want = subprocess.run([uzfix, "gen", label, str(index), str(seed), kind, hex(vaddr)],
                                  check=True, stdout=subprocess.PIPE).stdout
            got = page_bytes(label, index, seed, kind, vaddr)
            if want != got:
                print(f"FAIL expected.py differs from uzfix gen for {kind} {label} {index}")
                return 1
            cases += 1
    print(f"PASS expected.py matches uzfix gen on {cases} pages")
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--selftest":
        return selftest(argv[2])
    if len(argv) == 7 and argv[1] == "--page":
        data = page_bytes(argv[2], int(argv[3], 0), int(argv[4], 0), argv[5], int(argv[6], 0))
    elif len(argv) == 3:
        rows = read_manifest(argv[1])
        n = int(argv[2])
        if not 1 <= n <= len(rows):
            print(f"expected.py: row {n} out of range 1..{len(rows)} in {argv[1]}", file=sys.stderr)
            return 2
        data = row_bytes(rows[n - 1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
