#!/usr/bin/python3
"""swapped_exact.py NAME LOG: the verdict of the drgn oracle's log
(tests/vm/verify --oracle drgn, or tests/vm/verify_drgn.py) on the swapped
manifest pages: every in-RAM one (zram, zram-huge, zram-same, zeromap,
swapcache) must read exact, and no written-back page may read wrong
(invented).  Prints one PASS/FAIL line named NAME-drgn.  Shared by the
zram-keep, makedumpfile-zram and kdump-tools-hook suites."""
import json
import sys

name, log = sys.argv[1], sys.argv[2]
lines = [l for l in open(log, errors="replace") if l.startswith("UZ-VERIFY ")]
if not lines:
    print(f"FAIL {name}-drgn: no oracle summary: {open(log, errors='replace').read()[-300:]!r}")
    sys.exit(0)
s = json.loads(lines[-1][10:])
if "open_error" in s:
    print(f"FAIL {name}-drgn: drgn cannot open the output: {s['open_error']}")
    sys.exit(0)
need = ["zram", "zram-huge", "zram-same", "zeromap", "swapcache"]
bad, seen = [], []
for expect, c in s["by_expect"].items():
    total = sum(c.values())
    if expect == "writeback":
        if c.get("wrong", 0):
            bad.append(f"writeback: {c['wrong']} pages read wrong (invented)")
    elif expect in need:
        seen.append(f"{expect} {c.get('exact', 0)}/{total}")
        if c.get("exact", 0) != total:
            bad.append(f"{expect}: {c.get('exact', 0)}/{total} exact {dict(c)}")
if not seen:
    bad.append("no swapped pages in the manifest")
print(f"{'FAIL' if bad else 'PASS'} {name}-drgn: " + ("; ".join(bad) if bad else "exact: " + ", ".join(seen)))
