#!/usr/bin/env bash
# The inspection commands on a real dump, checked against what the guest
# itself recorded: --zram-info --json lists every zram swap device with the
# algorithm the guest configured (swaps.tsv) and slot counts equal to the
# kernel's mm_stat; --ps lists every manifest process; --vaddr and --slot
# return, for sample manifest pages of every device, exactly the bytes the
# workload wrote (tests/vm/expected.py).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${UZ_BUILD:-$here/build/asan}/vmcore-unzram
[ -x "$bin" ] || { echo "FAIL inspect-binary: $bin not built"; exit 1; }
fx=$("$here/tests/vm/fixtures" --kernel 6.1 2>/dev/null | tail -n 1)
[ -d "$fx" ] || { echo "FAIL inspect-fixtures: could not build fixtures"; exit 0; }
/usr/bin/python3 - "$bin" "$fx" "$here" <<'PY'
import json, subprocess, sys
bin, fx, here = sys.argv[1:4]
sys.path.insert(0, here + "/tests/vm")
import expected
dump = fx + "/kdump-elf.vmcore"
dbg = ["--vmlinux", fx + "/vmlinux", "-d", fx + "/debug-modules"]
def run(*args):
    p = subprocess.run([bin, *args, *dbg, dump], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout
def check(name, fn):
    try:
        msg = fn()
        print(f"PASS {name}: {msg}")
    except Exception as e:
        print(f"FAIL {name}: {e}")

swaps = [l.split("\t") for l in open(fx + "/swaps.tsv").read().splitlines()[1:]]
def zram_info():
    info = json.loads(run("--zram-info", "--json"))
    devs = {d["name"]: d for d in info["devices"]}
    for typ, dev, algo, *_ in swaps:
        d = devs.get(dev)
        assert d, f"{dev} missing"
        assert d["algorithms"][0] == algo, f"{dev}: algorithm {d['algorithms'][0]}, guest set {algo}"
        assert d["swap_type"] == int(typ), f"{dev}: swap type {d['swap_type']}, guest had {typ}"
        k = d["slot_kinds"]; ms = d["mm_stat"]
        stored = k["stored"] + k["same_filled"] + k["written_back"]
        assert stored == ms["pages_stored"], f"{dev}: {stored} slots in use, kernel says {ms['pages_stored']}"
        assert k["same_filled"] == ms["same_pages"], f"{dev}: {k['same_filled']} same-filled, kernel {ms['same_pages']}"
        assert k["stored_bytes"] == ms["compr_data_size"], f"{dev}: {k['stored_bytes']} bytes, kernel {ms['compr_data_size']}"
    return f"{len(swaps)} devices, algorithms and counts equal the guest's"
check("inspect-zram-info", zram_info)

rows = expected.read_manifest(fx + "/manifest.tsv")
def ps():
    tasks = json.loads(run("--ps", "--json"))
    pids = {t["pid"] for t in tasks}
    want = {int(r["pid"]) for r in rows}
    assert want <= pids, f"missing PIDs {sorted(want - pids)}"
    return f"{len(tasks)} tasks, all {len(want)} manifest PIDs listed"
check("inspect-ps", ps)

# One compressed sample page per device (so every algorithm), and one page
# of each other in-RAM state.
samples = {}
for r in rows:
    if r["expect"] == "zram":
        samples.setdefault((r["device"], r["kind"], r["expect"]), r)
    elif r["expect"] in ("zram-huge", "zram-same", "swapcache", "resident"):
        samples.setdefault(("", "", r["expect"]), r)
samples = {k: v for k, v in samples.items() if k[2] != "zram" or k[1] == min(
    kk[1] for kk in samples if kk[0] == k[0] and kk[2] == "zram")}
def pages():
    n = 0
    for (dev, kind, exp), r in sorted(samples.items()):
        want = expected.row_bytes(r)
        v = json.loads(run("--vaddr", f"{r['pid']}:{r['vaddr']}", "--json"))
        assert bytes.fromhex(v["data"]) == want, f"--vaddr {r['pid']}:{r['vaddr']} ({dev} {kind}) differs"
        if v["kind"] == "swap" and exp != "swapcache":
            s = json.loads(run("--slot", f"{r['device']}:{r['swap_offset']}", "--json"))
            assert bytes.fromhex(s["data"]) == want, f"--slot {dev}:{r['swap_offset']} differs"
        n += 1
    return f"{n} sample pages (one per device, so every algorithm, and one per other state) exact through --vaddr and --slot"
check("inspect-vaddr-slot", pages)
PY
exit 0
