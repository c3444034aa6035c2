"""The command line's "why" commands: ``drivers`` (key drivers of NPS, CSAT or churn) and
``themes`` (themes of the comments), registered by :func:`add_why_commands` in :mod:`bsc.cli`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bsc.errors import InputError
from bsc.json_output import strict_json

__all__ = ["add_why_commands", "drivers_command", "themes_command"]


def drivers_command(args: argparse.Namespace) -> int:
    """Print the key drivers of ``--target``: each feature's share of the fit (general dominance),
    its bootstrap 95 % interval, whether it is within noise, and its performance (0–100)."""
    from bsc.drivers import driver_data, key_drivers
    from bsc.workspace import files_workspace

    with files_workspace(args.files) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        if not tables:
            raise InputError("None of the files holds a table that can be used.")
        data = driver_data(tables, args.target)
        analysis = key_drivers(data.frame, args.target, data.features)
    if args.json:
        print(strict_json(analysis.as_dict()))
        return 0
    print(
        f"Key drivers of {analysis.target}: {analysis.measure} {analysis.r2:.3f} "
        f"(95% interval {analysis.r2_low:.3f} to {analysis.r2_high:.3f}), {analysis.rows_used:,} rows, "
        f"{analysis.resamples} bootstrap resamples"
    )
    print(
        "importance = the feature's Shapley share of the fit (all add up to it); "
        "performance = a rating's mean on its scale, 0 lowest to 100 highest"
    )
    print(f"{'feature':<30} {'importance':>10} {'95% interval':>19} {'performance':>11}")
    for driver in analysis.drivers:
        performance = "—" if driver.performance is None else f"{driver.performance:.0f}"
        noise = "  within noise" if driver.within_noise else ""
        print(
            f"{driver.label[:30]:<30} {driver.importance:>10.4f} "
            f"{driver.ci_low:>8.4f} to {driver.ci_high:<7.4f} {performance:>11}{noise}"
        )
    for note in (*analysis.notes, *(f"left out (explain least alone): {n}" for n in analysis.left_out)):
        print(note)
    return 0


def themes_command(args: argparse.Namespace) -> int:
    """Print the themes of the comments: top words, share of comments, NPS effect with its 95 %
    interval, and example comments."""
    from bsc.themes import comments_frame, find_themes
    from bsc.workspace import files_workspace

    with files_workspace(args.files) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        if not tables:
            raise InputError("None of the files holds a table that can be used.")
        analysis = find_themes(comments_frame(tables), themes=args.themes)
    if args.json:
        print(
            strict_json(
                {
                    "comments": analysis.comments,
                    "answers": analysis.answers,
                    "language": analysis.language,
                    "change_windows": {"before": analysis.before_periods, "after": analysis.after_periods},
                    "notes": list(analysis.notes),
                    "themes": [theme.as_dict() for theme in analysis.themes],
                }
            )
        )
        return 0
    print(f"{len(analysis.themes)} themes in {analysis.comments:,} comments ({analysis.language} stop words)")
    print(
        "share = comments about the theme / comments; NPS effect = mean 0–10 answer of its writers "
        "minus every other answer's"
    )
    for theme in analysis.themes:
        change = " (real change lately)" if theme.change_real else ""
        print(
            f"- {theme.label}: {theme.share:.1%} of comments{change}, NPS effect {theme.nps_effect:+.2f} "
            f"({theme.ci_low:+.2f} to {theme.ci_high:+.2f})"
        )
        for example in theme.examples:
            print(f"    “{example}”")
    return 0


def _themes_count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None


def add_why_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``drivers`` and ``themes`` on the command line's sub-commands."""
    drivers = commands.add_parser(
        "drivers", help="key drivers of NPS, CSAT or churn, with bootstrap intervals"
    )
    drivers.add_argument("files", nargs="+", type=Path)
    drivers.add_argument("--target", choices=("nps", "csat", "churn"), required=True)
    drivers.add_argument("--json", action="store_true", help="print JSON")
    drivers.set_defaults(run=drivers_command)

    themes = commands.add_parser("themes", help="themes of the survey comments, with their NPS effect")
    themes.add_argument("files", nargs="+", type=Path)
    themes.add_argument("--themes", type=_themes_count, default=None, help="number of themes (default 8)")
    themes.add_argument("--json", action="store_true", help="print JSON")
    themes.set_defaults(run=themes_command)
