"""The command line: ``python -m bsc COMMAND ...``.

Bad input prints one clear line on stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bsc.brief.command import add_brief_command
from bsc.errors import InputError
from bsc.import_command import add_import_command
from bsc.json_output import strict_json
from bsc.lifetime_commands import add_lifetime_commands
from bsc.why_commands import add_why_commands

EXIT_BAD_INPUT = 2
EXIT_BUG = 1


def inspect_command(args: argparse.Namespace) -> int:
    """Print each table found in the files: kind, rows, detected roles and problems.

    ``outcomes`` are the columns that say who churned or why: never segments.
    """
    from bsc.detect import detect_mapping
    from bsc.ingest import read_path
    from bsc.prepare import prepare_table

    report = []
    for path in args.files:
        for table in read_path(path):
            mapping = detect_mapping(table.frame, table.name)
            problems = list(table.problems)
            try:
                problems += prepare_table(table.frame, mapping).problems
            except InputError as error:
                problems.append(_problem("error", str(error)))
            report.append(
                {
                    "name": table.name,
                    "kind": mapping.kind,
                    "rows": len(table.frame),
                    "roles": dict(mapping.roles),
                    "segments": list(mapping.segments),
                    "attributes": list(mapping.attributes),
                    "outcomes": list(mapping.outcomes),
                    "confidence": {role: round(c, 2) for role, c in mapping.confidence.items()},
                    "problems": [
                        {
                            "severity": p.severity,
                            "message": p.message,
                            "rows": p.rows,
                            "examples": list(p.examples),
                        }
                        for p in problems
                    ],
                }
            )
    if args.json:
        print(strict_json({"tables": report}, default=str))
        return 0
    for table in report:
        print(f"{table['name']}: {table['kind']}, {table['rows']:,} rows")
        for role, column in table["roles"].items():
            confidence = table["confidence"].get(role)
            suffix = f" ({confidence:.0%})" if confidence is not None else ""
            print(f"  {role:<20} <- {column}{suffix}")
        for label in ("segments", "attributes", "outcomes"):
            if table[label]:
                print(f"  {label:<20} <- {', '.join(table[label])}")
        for problem in table["problems"]:
            examples = f"; e.g. {', '.join(problem['examples'])}" if problem["examples"] else ""
            print(f"  [{problem['severity']}] {problem['message']} ({problem['rows']} rows{examples})")
    return 0


def kpis_command(args: argparse.Namespace) -> int:
    """Print every KPI per period (and segment) computed from the files.

    Each row says whether the data covers its whole period (``complete``; the text output marks
    a partial period "to date") and, where the data cannot know the value, has none (JSON
    ``null``) and the ``reason``. The assumptions behind a KPI (the CLV's margin, churn base and
    discounting) are listed with it.

    With ``--by``, the segments are also set side by side (:func:`bsc.kpis.compare.compare_segments`):
    for each KPI's latest whole period, each segment against all customers, tested against the
    rest of the customers, ``comparison`` in the JSON.
    """
    from bsc.workspace import files_workspace

    found: set[str] = set()
    # The KPI engine is imported by files_workspace while the files are read (on the part of the
    # cores reading leaves free), not here before it: that import alone takes about 0.4 s.
    with files_workspace(args.files, found) as (tables, refused):
        from bsc.kpis import KPIS, compute_kpis

        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        if not tables:
            raise InputError("None of the files holds a table that can be used.")
        result = compute_kpis(tables, period=args.period, by=_segment_attribute(tables, args.by))
    currency = _currency(args.currency, found)
    values = result.values
    rows = [
        {
            "kpi": row.kpi,
            "period": row.period,
            "segment": None if pd_isna(row.segment) else str(row.segment),
            "value": _number(row.value),
            "n": None if pd_isna(row.n) else int(row.n),
            "ci_low": _number(row.ci_low),
            "ci_high": _number(row.ci_high),
            "complete": bool(row.complete),
            "reason": None if pd_isna(row.reason) else str(row.reason),
        }
        for row in values.itertuples()
    ]
    unavailable = [{"kpi": kpi, "reason": reason} for kpi, reason in result.unavailable]
    assumptions = {kpi: {**facts, "note": result.notes.get(kpi)} for kpi, facts in result.assumptions.items()}
    comparison = _segment_comparison(values) if result.by is not None else None
    if args.json:
        report = {
            "currency": currency,
            "kpis": rows,
            "unavailable": unavailable,
            "assumptions": assumptions,
            "meaning": {
                "currency": CURRENCY_MEANING,
                "complete": "false when the data covers the period only in part (a value to date)",
                "reason": "why the data cannot know a value; the value is then null",
            },
        }
        if comparison is not None:
            from bsc.kpis.compare import COMPARISON_METHOD

            report["comparison"] = comparison
            report["comparison_method"] = COMPARISON_METHOD
            report["meaning"] |= COMPARISON_MEANING
        print(strict_json(report))
        return 0
    print(f"{'kpi':<26} {'period':<9} {'segment':<16} {'value':>14} {'n':>9}  95% interval")
    for row in rows:
        definition = KPIS[row["kpi"]]
        value = definition.format_value(row["value"], currency=currency)
        interval = (
            f"{definition.format_value(row['ci_low'], currency=currency)} to "
            f"{definition.format_value(row['ci_high'], currency=currency)}"
            if row["ci_low"] is not None
            else ""
        )
        n = "" if row["n"] is None else f"{row['n']:,}"
        flags = ("  to date" if not row["complete"] else "") + (
            f"  ({row['reason']})" if row["reason"] else ""
        )
        print(
            f"{row['kpi']:<26} {row['period']:<9} {row['segment'] or '':<16} {value:>14} {n:>9}  {interval}{flags}"
        )
    print(_money_line(currency))
    if any(not row["complete"] for row in rows):
        print("to date: the data covers that period only in part; do not compare it with whole periods.")
    for kpi, facts in assumptions.items():
        details = ", ".join(
            f"{key.replace('_', ' ')}: {value}" for key, value in facts.items() if key != "note"
        )
        print(f"assumptions of {kpi}: {details}")
    for item in unavailable:
        print(f"unavailable: {item['kpi']}: {item['reason']}")
    if comparison:
        print(f"\nsegments against all customers, each KPI's latest whole period (by {result.by}):")
        for cell in comparison:
            definition = KPIS[cell["kpi"]]
            p = "" if cell["p_adjusted"] is None else f", adjusted p = {cell['p_adjusted']:.2g}"
            print(
                f"  {cell['kpi']} {cell['period']} {cell['segment']}: "
                f"{definition.format_value(cell['value'], currency=currency)} against "
                f"{definition.format_value(cell['all_value'], currency=currency)}: {cell['verdict']}{p}"
            )
        print(
            "  better / worse: a real difference (not noise) at a 5% false-discovery rate over the table; "
            "not tested: counts grow with a segment's size, so no test is fair."
        )
    return 0


CURRENCY_MEANING = (
    "ISO 4217 code of every money value (revenue, CLV, CPA...): from --currency, else named by the "
    "files' amount cells or headers; null when unknown (the values are then in the data's currency)"
)


def _currency(typed: str | None, found: set[str]) -> str | None:
    """The currency of the money values: ``--currency`` when given, else the one the files name
    (None when they name none, or several)."""
    from bsc.currency import currency_code

    if typed is not None:
        return currency_code(typed)
    return next(iter(found)) if len(found) == 1 else None


def _money_line(currency: str | None) -> str:
    from bsc.currency import UNKNOWN_CURRENCY_SIGN

    if currency is not None:
        return f"money: {currency}."
    return (
        f"money: {UNKNOWN_CURRENCY_SIGN} is the data's currency, which the files do not name; "
        "give it with --currency CODE (e.g. EUR)."
    )


# What each field of a ``comparison`` row of ``kpis --by COLUMN --json`` means.
COMPARISON_MEANING = {
    "comparison": (
        "one row per segment and KPI, for the KPI's latest whole period with an all-customers value "
        "('all' for undated data): the segment against all customers"
    ),
    "all_value": "the KPI for all customers in that period; all_n their number (customers, answers...)",
    "difference": "the segment's value minus all customers', in the KPI's unit",
    "rest_value": "the KPI for every customer outside the segment, the other sample of the test",
    "test": "the two-sample test used (the KPI's own, as between two periods); null when none is fair",
    "p_value": "the test's two-sided p-value: the segment against the rest of the customers",
    "p_adjusted": "the p-value adjusted by Benjamini-Hochberg over every tested cell of the table",
    "real": "true when p_adjusted is at most 0.05: a real difference (not noise)",
    "verdict": "better or worse (by the KPI's direction) when real, else within noise or not tested",
}


def _segment_comparison(values) -> list[dict]:
    """The segment × KPI comparison of a split KPI frame, as JSON rows (see :data:`COMPARISON_MEANING`)."""
    from bsc.kpis.compare import compare_segments

    table = compare_segments(values)
    return [
        {
            "kpi": row.kpi,
            "period": row.period,
            "segment": row.segment,
            "value": _number(row.value),
            "n": None if row.n is None or pd_isna(row.n) else int(row.n),
            "all_value": _number(row.all_value),
            "all_n": None if row.all_n is None or pd_isna(row.all_n) else int(row.all_n),
            "difference": _number(row.difference),
            "rest_value": _number(row.rest_value),
            "test": row.test,
            # p-values keep every digit: a rounded 1e-9 would read as 0.
            "p_value": _probability(row.p_value),
            "p_adjusted": _probability(row.p_adjusted),
            "real": bool(row.real),
            "verdict": row.verdict,
        }
        for row in table.itertuples()
    ]


def _probability(value: object) -> float | None:
    return None if pd_isna(value) else float(value)


def _segment_attribute(tables: dict, typed: str | None) -> str | None:
    """The segment attribute that ``--by`` names, as the file's header or in any case (``Contract``)."""
    from bsc.kpis.tables import resolve_segment_attribute

    return None if typed is None else resolve_segment_attribute(tables, typed)


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _number(value: object) -> float | None:
    return None if pd_isna(value) else round(float(value), 6)


def changes_command(args: argparse.Namespace) -> int:
    """Print the significant KPI shifts What changed shows, for the files' tables.

    The last nine months against the nine before, in every segment; only shifts that pass a 5 %
    false-discovery-rate check over all the comparisons are listed (see :mod:`bsc.insights`).
    """
    from bsc.insights import find_shifts
    from bsc.kpis import KPIS
    from bsc.workspace import files_workspace

    found: set[str] = set()
    with files_workspace(args.files, found) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        if not tables:
            raise InputError("None of the files holds a table that can be used.")
        shifts, comparisons = find_shifts(tables)
    currency = _currency(args.currency, found)
    changes = [
        {
            "kpi": shift.kpi,
            "segment_by": shift.attribute,
            "segment": shift.segment,
            "before": _number(shift.before),
            "after": _number(shift.after),
            "unit": KPIS[shift.kpi].unit_title(currency),
            "better": shift.better,
            "before_periods": shift.before_periods,
            "after_periods": shift.after_periods,
            "p_value": _number(shift.p_value),
        }
        for shift in shifts
    ]
    if args.json:
        print(
            strict_json(
                {
                    "currency": currency,
                    "comparisons": comparisons,
                    "method": CHANGES_METHOD,
                    "changes": changes,
                    "meaning": {"currency": CURRENCY_MEANING},
                }
            )
        )
        return 0
    if comparisons == 0:
        print(
            "Nothing to compare: What changed needs 18 months of data (the last nine months against "
            "the nine before) and KPIs it can test."
        )
        return 0
    for shift in shifts:
        print(
            f"{shift.headline_in(currency)} (months {shift.after_periods} against {shift.before_periods}; "
            f"p = {shift.p_value:.2g})"
        )
    if not shifts:
        print("No KPI changed beyond noise in any segment.")
    print(f"{comparisons:,} segment × KPI comparisons; {CHANGES_METHOD}")
    return 0


CHANGES_METHOD = (
    "a change is listed when it passes a 5% false-discovery-rate check (Benjamini–Hochberg) over "
    "all the comparisons; before and after are pooled over nine months each, on the KPI's scale "
    "(% for shares, points for the NPS, money for the CPA)."
)


def report_command(args: argparse.Namespace) -> int:
    """Write the scorecard workbook: KPIs from the files, statuses from the targets file."""
    from bsc.kpis import compute_kpis
    from bsc.report import write_scorecard
    from bsc.targets import read_targets_file, targets_from_frame
    from bsc.workspace import files_workspace

    targets = []
    if args.targets is not None:
        targets = targets_from_frame(read_targets_file(args.targets.name, args.targets.read_bytes()))
    by = args.by
    if by is None:
        attributes = {target.segment_by for target in targets if target.segment_by}
        by = attributes.pop() if len(attributes) == 1 else None
    found: set[str] = set()
    with files_workspace(args.files, found) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        if not tables:
            raise InputError("None of the files holds a table that can be used.")
        result = compute_kpis(tables, period=args.period, by=_segment_attribute(tables, by))
    names = ", ".join(path.name for path in args.files)
    currency = _currency(args.currency, found)
    written = write_scorecard(args.out, result, targets, workspace=names, currency=currency)
    print(written)
    return 0


def segment_command(args: argparse.Namespace) -> int:
    """Segment the customers of the files with k-means and print each segment's profile.

    ``--features`` takes feature ids or labels (a customers column's header), in any case.
    """
    from bsc.features import customer_features
    from bsc.segmentation import DEFAULT_FEATURES, CustomerSegmentation
    from bsc.workspace import files_workspace

    k = _segment_count(args.k)
    with files_workspace(args.files) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        if not tables:
            raise InputError("None of the files holds a table that can be used.")
        features = customer_features(tables)
    if args.features:
        chosen = features.resolve([name.strip() for name in args.features.split(",") if name.strip()])
    else:
        chosen = [name for name in DEFAULT_FEATURES if name in features.frame.columns]
        chosen = chosen or list(features.frame.columns)
    frame = features.select(chosen)
    model = CustomerSegmentation(k).fit(frame)
    profiles = model.profiles_
    report = {
        "k": model.k_,
        "silhouette": _number(model.silhouette_),
        "features": chosen,
        "labels": {name: features.definitions[name].label for name in chosen},
        "sizes": [int(size) for size in profiles.sizes],
        "profiles": [
            {
                "segment": int(segment),
                "name": model.names_[int(segment)],
                "size": int(profiles.sizes[segment]),
                **{name: _number(profiles.means.loc[segment, name]) for name in chosen},
            }
            for segment in profiles.sizes.index
        ],
        "stability_ari": _number(model.stability_ari_),
        "reason": model.k_reason_,
    }
    if args.json:
        print(strict_json(report))
        return 0
    customers = sum(report["sizes"])
    print(f"{customers:,} customers in {model.k_} segments. {model.k_reason_}")
    print("Features: " + ", ".join(f"{label} ({name})" for name, label in report["labels"].items()))
    print(
        f"Silhouette {model.silhouette_:.2f}; stability (adjusted Rand index over refits) {model.stability_ari_:.2f}"
    )
    if not model.stable_:
        print("warning: the segments change between refits; treat them with care", file=sys.stderr)
    print(
        f"{'segment':<8} {'name':<26} {'customers':>10} {'share':>6}  "
        + "  ".join(f"{report['labels'][n][:14]:>14}" for n in chosen)
    )
    for row in report["profiles"]:
        means = "  ".join("—".rjust(14) if row[n] is None else f"{row[n]:>14,.2f}" for n in chosen)
        print(
            f"{row['segment']:<8} {row['name']:<26} {row['size']:>10,} {row['size'] / customers:>6.1%}  {means}"
        )
    return 0


def _segment_count(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        k = int(text)
    except ValueError:
        raise InputError(f"--k must be 'auto' or a whole number of segments, not {text!r}.") from None
    if k < 2:
        raise InputError(f"--k must be at least 2 segments, not {k}.")
    return k


def churn_command(args: argparse.Namespace) -> int:
    """Cross-validate churn models on the customers of the files and print the figures."""
    from bsc.churn import MODEL_LABELS, analyse_churn, churn_data_from_files

    data = churn_data_from_files(args.files, target=args.target)
    analysis = analyse_churn(data, model=args.model, include=args.include or (), exclude=args.exclude or ())
    summary = analysis.summary()
    if args.json:
        print(strict_json(summary))
        return 0
    scores = analysis.scores
    print(summary["definition"])
    print(
        f"{summary['n']:,} customers, {summary['positives']:,} churned ({summary['positives'] / summary['n']:.1%})"
    )
    print(analysis.verdict)
    print(analysis.choice)
    print(
        f"{MODEL_LABELS[summary['model']]}: ROC AUC {scores.roc_auc:.3f} ± {scores.roc_auc_std:.3f}, "
        f"PR AUC {scores.pr_auc:.3f} ± {scores.pr_auc_std:.3f}, Brier {scores.brier:.3f} ± {scores.brier_std:.3f}"
        " (cross-validated; ROC AUC 0.5 = coin toss, 1 = perfect)"
    )
    noise = summary["features_within_noise"]
    print(
        "top features: "
        + (", ".join(summary["top_features"]) or "none")
        + (
            f" ({len(noise)} more column(s) within noise, their importance interval includes 0: {', '.join(noise)})"
            if noise
            else ""
        )
    )
    for item in summary["excluded"]:
        print(f"excluded: {item['column']}: {item['reason']}")
    for warning in summary["warnings"]:
        print(f"warning: {warning['message']}", file=sys.stderr)
    return 0


def demo_command(args: argparse.Namespace) -> int:
    """Write a generated demo company as CSV files (and an .xlsx workbook when it fits)."""
    from bsc.demo import write_company

    written = write_company(args.out, customers=args.customers, months=args.months, seed=args.seed)
    for path in written:
        print(path)
    return 0


def _problem(severity: str, message: str):
    from bsc.mapping import Problem

    return Problem(severity=severity, message=message)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bsc", description="Customer Scorecard from the command line"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="show the tables, roles and problems found in files")
    inspect.add_argument("files", nargs="+", type=Path)
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(run=inspect_command)

    kpis = commands.add_parser("kpis", help="compute every KPI from files, per period and segment")
    kpis.add_argument("files", nargs="+", type=Path)
    kpis.add_argument("--period", choices=["month", "quarter", "year"], default="month")
    kpis.add_argument("--by", metavar="COLUMN", help="split by a segment attribute")
    kpis.add_argument("--json", action="store_true", help="print JSON")
    kpis.add_argument(
        "--currency",
        metavar="CODE",
        help="currency of the money values, e.g. EUR (default: as the files name it)",
    )
    kpis.set_defaults(run=kpis_command)

    changes = commands.add_parser("changes", help="list the KPI shifts What changed finds in files")
    changes.add_argument("files", nargs="+", type=Path)
    changes.add_argument("--json", action="store_true", help="print JSON")
    changes.add_argument(
        "--currency",
        metavar="CODE",
        help="currency of the money values, e.g. EUR (default: as the files name it)",
    )
    changes.set_defaults(run=changes_command)

    report = commands.add_parser("report", help="write the scorecard as a formatted Excel workbook")
    report.add_argument("files", nargs="+", type=Path)
    report.add_argument("--targets", type=Path, help="targets file (CSV or Excel)")
    report.add_argument("--period", choices=["month", "quarter", "year"], default="month")
    report.add_argument("--by", metavar="COLUMN", help="split by a segment attribute")
    report.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
    report.add_argument(
        "--currency",
        metavar="CODE",
        help="currency of the money values, e.g. EUR (default: as the files name it)",
    )
    report.set_defaults(run=report_command)
    add_brief_command(commands)

    segment = commands.add_parser("segment", help="segment customers with k-means and profile the segments")
    segment.add_argument("files", nargs="+", type=Path)
    segment.add_argument("--k", default="auto", help="number of segments, or 'auto' (default) to choose 2–10")
    segment.add_argument(
        "--features", metavar="A,B,C", help="comma-separated features (default: RFM and tenure)"
    )
    segment.add_argument("--json", action="store_true", help="print JSON")
    segment.set_defaults(run=segment_command)

    churn = commands.add_parser("churn", help="cross-validate churn models on the customers of files")
    churn.add_argument("files", nargs="+", type=Path)
    churn.add_argument("--target", metavar="COLUMN", help="the churn column (default: detected)")
    churn.add_argument("--model", choices=("logreg", "gbm", "auto"), default="auto", help="default: auto")
    churn.add_argument(
        "--include",
        action="append",
        metavar="COLUMN",
        help="use this column whatever the checks say (repeatable)",
    )
    churn.add_argument(
        "--exclude", action="append", metavar="COLUMN", help="leave this column out (repeatable)"
    )
    churn.add_argument("--json", action="store_true", help="print JSON")
    churn.set_defaults(run=churn_command)

    add_lifetime_commands(commands)

    add_why_commands(commands)

    add_import_command(commands)

    links = commands.add_parser("links", help="test the strategy map's cause-and-effect links on files")
    links.add_argument("files", nargs="+", type=Path)
    links.add_argument("--json", action="store_true", help="print JSON")
    links.set_defaults(run=links_command)

    demo = commands.add_parser("demo", help="write a generated demo company")
    demo.add_argument("--customers", type=_positive_int, default=3000)
    demo.add_argument("--months", type=_positive_int, default=30)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--out", type=Path, required=True)
    demo.set_defaults(run=demo_command)
    return parser


def links_command(args: argparse.Namespace) -> int:
    # Imported when run: the links import the KPI engine, which other commands load meanwhile.
    from bsc.links.command import links_command as run_links

    return run_links(args)


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # a bug, not bad input: still one line, unless asked for the traceback
        if os.environ.get("BSC_DEBUG"):
            raise
        print(
            f"error: unexpected {type(error).__name__}: {error} (set BSC_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_BUG
