"""``python -m bsc brief FILE... [--targets CSV] --out brief.pdf``: the briefing pack from files.

The files are read as ``python -m bsc report`` reads them; the pack holds the scorecard for all
customers, What changed, the trend charts and the paragraph per component. Notes live in a
workspace (the Scorecard's download includes them); files on their own carry none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bsc.errors import InputError

__all__ = ["add_brief_command", "brief_command"]


def brief_command(args: argparse.Namespace) -> int:
    """Write the briefing pack of the files (and targets) to ``--out``; print its path."""
    from bsc.brief.pdf import write_brief
    from bsc.cli import _currency
    from bsc.insights import find_shifts
    from bsc.kpis import compute_kpis
    from bsc.links import link_rows, tested_links
    from bsc.targets import read_targets_file, targets_from_frame
    from bsc.workspace import files_workspace

    if args.out.suffix.lower() != ".pdf":
        raise InputError(f"The briefing pack is a PDF: name the output file ….pdf, not {args.out.name}.")
    targets = []
    if args.targets is not None:
        targets = targets_from_frame(read_targets_file(args.targets.name, args.targets.read_bytes()))
    found: set[str] = set()
    with files_workspace(args.files, found) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        if not tables:
            raise InputError("None of the files holds a table that can be used.")
        result = compute_kpis(tables, period=args.period)
        shifts, _ = find_shifts(tables)
        links = link_rows(tested_links(tables))
    written = write_brief(
        args.out,
        result,
        targets,
        (),
        workspace=", ".join(path.name for path in args.files),
        currency=_currency(args.currency, found),
        shifts=shifts,
        links=links,
    )
    print(written)
    return 0


def add_brief_command(commands: argparse._SubParsersAction) -> None:
    """Register ``brief`` on the CLI's sub-commands."""
    brief = commands.add_parser(
        "brief", help="write the briefing pack (scorecard, What changed, trends, tested paragraphs) as a PDF"
    )
    brief.add_argument("files", nargs="+", type=Path)
    brief.add_argument("--targets", type=Path, help="targets file (CSV or Excel)")
    brief.add_argument("--period", choices=["month", "quarter", "year"], default="month")
    brief.add_argument("--out", type=Path, required=True, help="the .pdf file to write")
    brief.add_argument(
        "--currency",
        metavar="CODE",
        help="currency of the money values, e.g. EUR (default: as the files name it)",
    )
    brief.set_defaults(run=brief_command)
