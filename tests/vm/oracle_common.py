"""Counting and reporting shared by the oracles (verify_drgn.py, verify_crash.py).

Owns: classifying each manifest page as exact / unreadable / wrong / notask,
the per-scenario and per-expected-state report, the control-page verdict and
the machine-readable "UZ-VERIFY {json}" line.
Does not own: how an oracle reads a page.
"""
import collections
import json
import os

import expected

OUTCOMES = ("exact", "unreadable", "wrong", "notask")
SHOW_WRONG = 3


def is_control(row):
    """Control pages: region name ending in "ctl" (mlock'd, never paged out)."""
    return row["label"].rsplit(":", 1)[-1].endswith("ctl")


def user_pages_in(dump, fixture):
    """False if info.json says the dump level excluded user pages."""
    try:
        with open(os.path.join(fixture, "info.json")) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return True
    for d in info.get("dumps", []):
        if d.get("file") == os.path.basename(dump):
            return d.get("user_pages", True)
    return True


def cannot_open(dump, oracle, why):
    print(f"verify: {oracle} cannot open {dump}: {why}")
    summary = {"dump": os.path.basename(dump), "oracle": oracle, "ok": False, "open_error": why}
    print("UZ-VERIFY " + json.dumps(summary, sort_keys=True))
    return 2


class Tally:
    def __init__(self, dump, fixture, oracle, version):
        self.dump, self.fixture, self.oracle, self.version = dump, fixture, oracle, version
        self.by_scenario = collections.defaultdict(collections.Counter)
        self.by_expect = collections.defaultdict(collections.Counter)
        self.control = collections.Counter()
        self.errors = collections.Counter()
        self.shown = 0

    def error(self, msg):
        self.errors[msg] += 1

    def add(self, row, outcome, why=None):
        if why:
            self.errors[why] += 1
        self.by_scenario[row["scenario"] + ("/ctl" if is_control(row) else "")][outcome] += 1
        self.by_expect[row["expect"]][outcome] += 1
        if is_control(row):
            self.control[outcome] += 1

    def add_data(self, row, data):
        outcome = "exact" if data == expected.row_bytes(row) else "wrong"
        if outcome == "wrong" and self.shown < SHOW_WRONG:
            self.shown += 1
            print(f"  wrong: pid {row['pid']} {row['vaddr']} {row['label']}#{row['index']} "
                  f"expect={row['expect']} first bytes {bytes(data[:16]).hex()}")
        self.add(row, outcome)

    def finish(self):
        """Prints the report; returns the exit status."""
        def line(name, counter):
            total = sum(counter.values())
            return f"  {name:<22} {total:5d} pages: " + ", ".join(
                f"{o} {counter[o]}" for o in OUTCOMES if counter[o])

        print(f"verify: {self.dump} with {self.oracle} {self.version}")
        print(" by scenario:")
        for name in sorted(self.by_scenario):
            print(line(name, self.by_scenario[name]))
        print(" by expected state:")
        for name in sorted(self.by_expect):
            print(line(name, self.by_expect[name]))
        for msg, n in self.errors.most_common(5):
            print(f"  errors: {n} x {msg}")
        control, total = self.control, sum(self.control.values())
        if user_pages_in(self.dump, self.fixture):
            ok = total > 0 and control["exact"] == total
            print(f" control pages exact: {control['exact']}/{total} -> {'OK' if ok else 'FAIL'}")
        else:
            # makedumpfile -d 8/31 drops user pages: the control pages must be gone.
            ok = total > 0 and control["unreadable"] == total
            print(f" control pages unreadable (user pages excluded by the dump level): "
                  f"{control['unreadable']}/{total} -> {'OK' if ok else 'FAIL'}")
        summary = {
            "dump": os.path.basename(self.dump), "oracle": self.oracle, "ok": ok,
            "control": {"exact": control["exact"], "unreadable": control["unreadable"], "total": total},
            "by_expect": {k: dict(v) for k, v in self.by_expect.items()},
            "by_scenario": {k: dict(v) for k, v in self.by_scenario.items()},
        }
        print("UZ-VERIFY " + json.dumps(summary, sort_keys=True))
        return 0 if ok else 1
