"""Record what `python -m bsc kpis --json` prints for a set of files, and compare two records.

A change meant to make the command faster must leave every value as it was. This script runs the
command of a checkout (a `git worktree` of the commit before the change, and one after) on:

- every committed fixture and hostile file under ``tests/fixtures`` and ``tests/hostile``, alone
  and after four of the demo company's tables;
- the telco pairs of ``tests/fixtures`` together;
- the demo company's five CSV files and its workbook (written by the checkout's
  ``python -m bsc demo``);
- the five CSV files of each folder given with ``--csv-dir`` (the generated 100k and 1M
  companies),

each with ``--json`` and with ``--by region --json``, and keeps the standard output, the
standard error (the checkout's path replaced by ``CHECKOUT``) and the exit code of every run.

Usage::

    git worktree add /tmp/kpis-before 09dd8b8
    .venv/bin/python bench/kpis_outputs.py record /tmp/kpis-before /tmp/out-before --csv-dir DIR
    .venv/bin/python bench/kpis_outputs.py record . /tmp/out-after --csv-dir DIR
    .venv/bin/python bench/kpis_outputs.py compare /tmp/out-before /tmp/out-after

``compare`` prints every run whose output differs and exits 1 when any does. A difference of one
unit in the last printed digit (the 6th decimal) is told apart: DuckDB's parallel sums add in the
order its threads finish, so the same checkout run twice differs that way now and then.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

SPLITS = {"": [], "_by_region": ["--by", "region"]}


def runs(checkout: Path, demo: Path, csv_dirs: list[Path]) -> dict[str, list[Path]]:
    """The files of each run, by the run's name."""
    demo_tables = sorted(demo.glob("*.csv"))
    found: dict[str, list[Path]] = {"demo_csv": demo_tables, "demo_xlsx": sorted(demo.glob("*.xlsx"))}
    for folder in csv_dirs:
        found[f"company_{folder.parent.name}_{folder.name}"] = sorted(folder.glob("*.csv"))
    tests = checkout / "tests"
    for path in sorted([*tests.glob("fixtures/*"), *tests.glob("hostile/*")]):
        if not path.is_file() or path.suffix in (".md", ".py", ".json"):
            continue
        name = str(path.relative_to(tests)).replace("/", "_")
        found[f"one_{name}"] = [path]
        found[f"demo_and_{name}"] = [*demo_tables[:4], path]
    fixtures = tests / "fixtures"
    found["telco_pair"] = [fixtures / "telco_customers.csv", fixtures / "telco_status.csv"]
    found["links_telco_pair"] = [fixtures / "links_telco_customers.csv", fixtures / "links_telco_status.csv"]
    return found


def record(checkout: Path, out: Path, csv_dirs: list[Path]) -> None:
    checkout = checkout.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bsc-kpis-outputs-") as folder:
        demo = Path(folder) / "demo"
        subprocess.run([sys.executable, "-m", "bsc", "demo", "--out", str(demo)], cwd=checkout, check=True)
        for name, files in runs(checkout, demo, csv_dirs).items():
            for suffix, split in SPLITS.items():
                command = [sys.executable, "-m", "bsc", "kpis", *map(str, files), "--json", *split]
                done = subprocess.run(command, cwd=checkout, capture_output=True)
                stderr = done.stderr.replace(str(checkout).encode(), b"CHECKOUT").replace(
                    folder.encode(), b"TMP"
                )
                (out / f"{name}{suffix}.out").write_bytes(done.stdout)
                (out / f"{name}{suffix}.err").write_bytes(stderr)
                (out / f"{name}{suffix}.rc").write_text(str(done.returncode))
                print(f"{name}{suffix}: exit {done.returncode}, {len(done.stdout):,} bytes", flush=True)


# The JSON prints values to 6 decimals. DuckDB's parallel sums add in the order its threads
# finish, so the same code run twice may differ in the last bit of a double, and then in the
# last printed digit: a difference of one unit there is that, not a change of result.
LAST_DIGIT = 1.5e-6


def _last_digit_numbers(before: object, after: object) -> int | None:
    """How many numbers differ, each by at most one unit in the last printed digit, when that is
    all that differs between two JSON documents (else None)."""
    if isinstance(before, dict) and isinstance(after, dict):
        if before.keys() != after.keys():
            return None
        counts = [_last_digit_numbers(before[key], after[key]) for key in before]
        return None if None in counts else sum(counts)
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return None
        counts = [_last_digit_numbers(x, y) for x, y in zip(before, after, strict=True)]
        return None if None in counts else sum(counts)
    if before == after:
        return 0
    numbers = (int, float)
    if isinstance(before, numbers) and isinstance(after, numbers) and not isinstance(before, bool):
        return 1 if abs(before - after) <= LAST_DIGIT else None
    return None


def compare(before: Path, after: Path) -> int:
    names = sorted({path.name for path in before.iterdir()} | {path.name for path in after.iterdir()})
    different: list[str] = []
    last_digit: list[str] = []
    for name in names:
        old, new = before / name, after / name
        if old.exists() and new.exists() and old.read_bytes() == new.read_bytes():
            continue
        if old.exists() and new.exists() and name.endswith(".out"):
            numbers = _last_digit_numbers(json.loads(old.read_bytes()), json.loads(new.read_bytes()))
            if numbers is not None:
                last_digit.append(name)
                print(f"last printed digit of {numbers} number(s) only: {name}")
                continue
        different.append(name)
        print(f"differs: {name}")
    runs_compared = len({name.rsplit(".", 1)[0] for name in names})
    identical = len(names) - len(different) - len(last_digit)
    print(
        f"{runs_compared} runs, {len(names)} outputs: {identical} identical, {len(last_digit)} differ in the "
        f"last printed digit of a sum only, {len(different)} differ"
    )
    return 1 if different else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    recording = commands.add_parser("record", help="run a checkout's `bsc kpis` on every set of files")
    recording.add_argument("checkout", type=Path)
    recording.add_argument("out", type=Path)
    recording.add_argument("--csv-dir", type=Path, action="append", default=[], help="a company's CSV folder")
    comparing = commands.add_parser("compare", help="compare two records, byte for byte")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "record":
        record(args.checkout, args.out, args.csv_dir)
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
