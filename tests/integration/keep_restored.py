#!/usr/bin/python3
"""keep_restored.py NAME ORIGINAL FILTERED KEPT LIST: did zram-keep put back
the pages LIST names (zram-needed --list: "PFN categories" per line)?  All
three dumps are read through unmodified drgn (physical reads), not through
the project's dump library.  PASS when every listed page that ORIGINAL holds
is present in KEPT with ORIGINAL's bytes, and at least one of them was
absent from FILTERED (else the merge had nothing to do and the check shows
nothing).  Prints one line: PASS|FAIL NAME-restored: ..."""
import sys

import drgn

PAGE = 4096


def open_dump(path):
    prog = drgn.Program()
    prog.set_core_dump(path)
    return prog


def read(prog, pfn):
    try:
        return prog.read(pfn * PAGE, PAGE, True)
    except drgn.FaultError:
        return None


def main():
    name, orig_path, filtered_path, kept_path, listfile = sys.argv[1:6]
    orig, filtered, kept = open_dump(orig_path), open_dump(filtered_path), open_dump(kept_path)
    pfns = [int(l.split()[0], 0) for l in open(listfile) if l.split()]
    checked = absent = 0
    bad = []
    for pfn in pfns:
        want = read(orig, pfn)
        if want is None:
            continue
        checked += 1
        if read(filtered, pfn) is None:
            absent += 1
        got = read(kept, pfn)
        if got != want:
            bad.append(f"0x{pfn:x} {'absent' if got is None else 'differs'}")
    if bad:
        print(f"FAIL {name}-restored: {len(bad)} of {checked} needed pages not as in ORIGINAL: "
              + ", ".join(bad[:5]))
    elif not absent:
        print(f"FAIL {name}-restored: FILTERED lacked none of the {checked} needed pages: nothing to merge")
    elif not checked:
        print(f"FAIL {name}-restored: no needed page listed")
    else:
        print(f"PASS {name}-restored: {absent} of {checked} needed pages absent from FILTERED, "
              f"all {checked} present in the merged dump with ORIGINAL's bytes (drgn)")


if __name__ == "__main__":
    main()
