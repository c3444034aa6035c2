"""The strategy map's cause-and-effect links, each tested on the workspace's data.

The Balanced Scorecard draws arrows from the customer objectives to the financial outcomes
(satisfaction drives retention, retention drives revenue and lifetime value); this package
tests them instead of taking them on trust. One module per idea:

- :mod:`bsc.links.result`: :class:`LinkResult`, the verdicts and the intervals behind them;
- :mod:`bsc.links.customer`: the built-in links, tested customer by customer and lagged;
- :mod:`bsc.links.spend`: customers' spend in a window after a date, summed by the engine;
- :mod:`bsc.links.periods`: the generic test of a user's arrow on two KPIs' monthly series;
- :mod:`bsc.links.arrows`: :class:`ArrowBook`, the user arrows stored per workspace;
- :mod:`bsc.links.strategy_map`: the map as a Graphviz DOT graph;
- :mod:`bsc.links.command`: ``python -m bsc links``.

:func:`tested_links` is the one call the app, the command line and the briefing make.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from bsc.kpis import KpiResult, compute_kpis
from bsc.links.customer import CUSTOMER_LINKS, customer_links
from bsc.links.periods import MIN_PERIODS, period_link
from bsc.links.result import NO_DATA, NOT_SUPPORTED, SUPPORTED, TOO_LITTLE, VERDICTS, LinkResult

__all__ = [
    "BUILT_IN",
    "MIN_PERIODS",
    "NOT_SUPPORTED",
    "NO_DATA",
    "SUPPORTED",
    "TOO_LITTLE",
    "VERDICTS",
    "LinkResult",
    "link_rows",
    "tested_links",
]

BUILT_IN: frozenset[tuple[str, str]] = frozenset((link.cause, link.effect) for link in CUSTOMER_LINKS)


def tested_links(
    tables: Mapping[str, Sequence[Path | str]],
    arrows: Iterable[tuple[str, str]] = (),
    *,
    monthly: KpiResult | None = None,
) -> list[LinkResult]:
    """Every built-in link, then each user arrow ``(cause, effect)``, tested on ``tables``.

    ``monthly`` is the workspace's monthly scorecard (:func:`bsc.kpis.compute_kpis` with
    ``period="month"``), computed here when a user arrow needs it and none is given.
    """
    results = customer_links(tables)
    arrows = list(arrows)
    if arrows:
        if monthly is None:
            monthly = compute_kpis(tables, period="month")
        results += [period_link(monthly, cause, effect) for cause, effect in arrows]
    return results


def link_rows(results: Iterable[LinkResult]) -> list[dict[str, object]]:
    """The results as the records of ``python -m bsc links --json`` (NaN where no estimate)."""
    return [
        {
            "cause": r.cause,
            "effect": r.effect,
            "estimate": r.estimate,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "n": r.n,
            "verdict": r.verdict,
            "method": r.method,
            "unit": r.unit,
            "meaning": r.meaning,
            "drawn_by_user": r.user,
        }
        for r in results
    ]
