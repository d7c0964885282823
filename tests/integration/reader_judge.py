#!/usr/bin/python3
"""reader_judge.py NAME LOG LEVEL MATRIX KEY=VALUE...: the verdict on one
reader's log (tests/vm/verify_drgn.py or tests/vm/verify_crash_user.py) of one
vmcore-unzram output, as one PASS/FAIL line, and one JSON line appended to
MATRIX (the input of tests/vm/compat-render, which writes docs/compat.md).

Rules (the promise of the README, per page kind of the manifest):
  - zram, zram-huge, zram-same, zeromap, swapcache rows: every one exact;
  - resident rows: every one exact, unless the dump level (LEVEL, makedumpfile
    -d) has bit 8 (user pages excluded: not ours to restore);
  - writeback rows: none may read wrong (they are not in RAM; unreadable is
    right, invented bytes are not); every one exact with writeback=exact
    (the output was made with --backing-dev);
  - crash only (the "UZ-CRASH" line): `ps` lists every manifest process,
    `swap` and `kmem -i` print no error, `swap` lists every device of the
    fixture's swaps.tsv (only where LEVEL is 0 or 1: makedumpfile -d 31 drops
    pages crash's `swap` needs, on the input as well), `vtop` shows the added
    frame.
KEY=VALUE pairs (reader, version, kernel, arch, paging, output, secs,
writeback) go into the matrix row as they are."""
import json
import sys

name, log, level, matrix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
meta = dict(kv.split("=", 1) for kv in sys.argv[5:])
text = open(log, errors="replace").read()
lines = text.splitlines()
summary = [l for l in lines if l.startswith("UZ-VERIFY ")]
checks = [l for l in lines if l.startswith("UZ-CRASH ")]
errors = [l.strip()[len("errors: "):] for l in lines if l.strip().startswith("errors: ")]

row = dict(meta, name=name, level=level)
bad = []
if not summary:
    bad.append(f"no oracle summary: {text[-300:]!r}")
else:
    s = json.loads(summary[-1][len("UZ-VERIFY "):])
    if "open_error" in s:
        bad.append(f"{meta.get('reader', 'reader')} cannot open the output: {s['open_error']}")
        row["open_error"] = s["open_error"]
    by = s.get("by_expect", {})
    row["by_expect"] = by
    for expect, c in sorted(by.items()):
        total, exact = sum(c.values()), c.get("exact", 0)
        if expect == "writeback" and meta.get("writeback") == "exact":
            # --backing-dev gave the pages written back: they must be exact.
            if exact != total:
                bad.append(f"writeback (--backing-dev): {exact}/{total} exact {dict(c)}")
        elif expect == "writeback":
            if c.get("wrong", 0):
                bad.append(f"writeback: {c['wrong']} pages read wrong (invented)")
        elif expect == "resident" and level & 8:
            continue
        elif exact != total:
            bad.append(f"{expect}: {exact}/{total} exact {dict(c)}")
    if "open_error" not in s and not any(k != "resident" for k in by):
        bad.append("no swapped pages in the manifest")
if checks:
    c = json.loads(checks[-1][len("UZ-CRASH "):])
    row["checks"] = {k: v["ok"] for k, v in c.items() if isinstance(v, dict)}
    if level & ~1 and c.get("swap", {}).get("missing"):
        # makedumpfile -d 2..31 drops pages crash's `swap` walks (it lists
        # fewer devices on the filtered INPUT as well): not required there.
        row["swap_devices_filtered"] = c["swap"]["devices"]
        c["swap"]["missing"] = []
    if not level & ~1 and c.get("swap", {}).get("missing"):
        c["swap"]["ok"] = False
    for k, v in sorted(c.items()):
        if isinstance(v, dict) and not v["ok"]:
            bad.append(f"{k}: {json.dumps({x: y for x, y in v.items() if x != 'ok'})}")
row["ok"] = not bad
row["errors"] = errors[:3]
with open(matrix, "a") as f:
    f.write(json.dumps(row, sort_keys=True) + "\n")

counts = ", ".join(f"{k} {c.get('exact', 0)}/{sum(c.values())}" for k, c in sorted(row.get("by_expect", {}).items()))
if bad:
    print(f"FAIL {name}: " + "; ".join(bad))
else:
    extra = ""
    if checks:
        extra = "; ps, swap, kmem -i, vtop ok"
    print(f"PASS {name}: exact/total: {counts}{extra}")
