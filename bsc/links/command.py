"""``python -m bsc links FILE... [--json]``: the strategy map's links tested on files.

Registered in :func:`bsc.cli.build_parser`; bad input raises :class:`bsc.errors.InputError`,
which the command line prints on one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import sys

from bsc.errors import InputError
from bsc.json_output import strict_json

__all__ = ["LINKS_MEANING", "links_command"]

LINKS_MEANING = {
    "estimate": "the effect, in the unit named by 'unit': 'points' is a difference of two churn shares in "
    "percentage points, 'money' a difference of mean spend per customer, 'rho' and 'r' a correlation (−1 to 1)",
    "ci_low, ci_high": "the 95% interval of the estimate",
    "n": "customers, tickets or months behind the estimate",
    "verdict": "'supported' when the interval excludes 0 on the expected side; 'not supported by this data' "
    "otherwise; 'too little data' below the minimum stated in 'method'; 'no data' when a table or column "
    "the test needs is missing",
}


def links_command(args: argparse.Namespace) -> int:
    """Print every built-in link of the strategy map, tested on the tables of the files."""
    from bsc.kpis import KPIS
    from bsc.links import link_rows, tested_links
    from bsc.workspace import files_workspace

    with files_workspace(args.files) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        if not tables:
            raise InputError("None of the files holds a table that can be used.")
        results = tested_links(tables)
    if args.json:
        print(strict_json({"links": link_rows(results), "meaning": LINKS_MEANING}))
        return 0
    for result in results:
        arrow = f"{KPIS[result.cause].name} → {KPIS[result.effect].name}"
        if math.isfinite(result.estimate):
            numbers = (
                f"{result.estimate:+,.2f} {result.unit} (95% interval {result.ci_low:+,.2f} to "
                f"{result.ci_high:+,.2f}; n = {result.n:,})"
            )
        else:
            numbers = f"no estimate (n = {result.n:,})"
        print(f"{arrow}: {result.verdict.upper()}, {numbers}")
        print(f"  {result.meaning}")
        print(f"  Method: {result.method}")
    return 0
