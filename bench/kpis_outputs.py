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

``compare`` prints every run whose output differs and exits 1 when any does.
"""

from __future__ import annotations

import argparse
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


def compare(before: Path, after: Path) -> int:
    names = sorted({path.name for path in before.iterdir()} | {path.name for path in after.iterdir()})
    different = [
        name
        for name in names
        if not (before / name).exists()
        or not (after / name).exists()
        or (before / name).read_bytes() != (after / name).read_bytes()
    ]
    for name in different:
        print(f"differs: {name}")
    runs_compared = len({name.rsplit(".", 1)[0] for name in names})
    print(
        f"{runs_compared} runs, {len(names)} outputs: {len(names) - len(different)} identical, {len(different)} not"
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
