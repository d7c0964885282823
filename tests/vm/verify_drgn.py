#!/usr/bin/python3
"""The drgn oracle: read every manifest page through drgn's own interfaces.

Owns: opening DUMP with unmodified drgn (set_core_dump, load_debug_info,
find_task, access_process_vm), comparing each page with expected.py's bytes,
and the report (per scenario and per expected state; one machine-readable
"UZ-VERIFY {json}" line).
Does not own: building fixtures, page generation (expected.py).

Usage: verify_drgn.py DUMP FIXTURE_DIR [--show-wrong N]
Exit status: 0 if every control page (region "ctl", never paged out) reads
exact; 1 if not; 2 if the dump cannot be opened at all.
"""
import os
import sys

import drgn
from drgn.helpers.linux.mm import access_process_vm
from drgn.helpers.linux.pid import find_task

sys.dont_write_bytecode = True  # keep tests/vm free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expected  # noqa: E402
import oracle_common  # noqa: E402


def open_dump(dump, fixture):
    prog = drgn.Program()
    prog.set_core_dump(dump)
    vmlinux = os.path.join(fixture, "vmlinux")
    prog.load_debug_info([vmlinux])
    return prog


def main(argv):
    args = argv[1:]
    if "--show-wrong" in args:
        i = args.index("--show-wrong")
        oracle_common.SHOW_WRONG = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dump, fixture = args
    rows = expected.read_manifest(os.path.join(fixture, "manifest.tsv"))
    try:
        prog = open_dump(dump, fixture)
    except Exception as e:  # drgn raises several types; all mean "cannot open"
        return oracle_common.cannot_open(dump, "drgn", f"{type(e).__name__}: {e}")

    tally = oracle_common.Tally(dump, fixture, "drgn", drgn.__version__)
    tasks = {}
    for row in rows:
        pid = int(row["pid"])
        if pid not in tasks:
            try:
                tasks[pid] = find_task(prog, pid)
            except Exception as e:
                tally.error(f"find_task: {type(e).__name__}: {e}")
                tasks[pid] = None
        task = tasks[pid]
        if task is None or not task:
            tally.add(row, "notask")
            continue
        try:
            data = access_process_vm(task, int(row["vaddr"], 16), 4096)
        except drgn.FaultError as e:
            tally.add(row, "unreadable", str(e).split(":")[0])
        except Exception as e:
            tally.add(row, "unreadable", f"{type(e).__name__}: {e}")
        else:
            tally.add_data(row, data)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
