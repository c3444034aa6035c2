"""The strategy map as a Graphviz DOT graph: KPI boxes in tiers, arrows labelled with their verdicts.

Financial outcomes sit at the top, the customer objectives in the middle (satisfaction and
loyalty under retention), the service and acquisition drivers at the bottom; every arrow points
up from cause to effect. An arrow's colour, line and words say its verdict, with the estimate;
a box is filled with its target status (:data:`bsc.targets.STATUS_COLOURS`) and names it, so
that the map reads on a projector and without colour. Only the KPIs an arrow touches are drawn.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping

from bsc.currency import money_text
from bsc.kpis import KPIS
from bsc.links.result import NO_DATA, NOT_SUPPORTED, SUPPORTED, LinkResult
from bsc.targets import STATUS_COLOURS, STATUS_LABELS

__all__ = ["TIERS", "VERDICT_STYLES", "estimate_words", "strategy_map_dot"]

# Bottom to top, one row of boxes each (the page says which is which). A KPI not listed goes to
# the second row.
TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Drivers",
        (
            "first_response_time",
            "first_response_time_mean",
            "resolution_time",
            "resolution_time_mean",
            "cpa",
            "conversion_rate",
        ),
    ),
    (
        "Customer: satisfaction and loyalty",
        ("nps", "csat", "ces", "rating", "csi", "responses", "loyalty_engagement"),
    ),
    (
        "Customer: retention",
        (
            "churn_rate",
            "retention_rate",
            "repeat_purchase_rate",
            "active_customers",
            "new_customers",
            "customer_growth",
            "market_share",
        ),
    ),
    (
        "Financial outcomes",
        ("revenue", "revenue_per_customer", "clv", "orders", "average_order_value", "purchase_frequency"),
    ),
)

# Streamlit draws every label of a graph in its own small font (about 10 units), whatever the DOT
# says, then scales the drawing to the page's width: the DOT's sizes are set to match that font,
# with a little room, so that boxes fit their words and the whole map, scaled up, reads at about 15 px.

# Colour, line style and pen width per verdict: dark enough for a projector, told apart by line too.
VERDICT_STYLES: dict[str, tuple[str, str, float]] = {
    SUPPORTED: ("#006D4F", "solid", 2.0),
    NOT_SUPPORTED: ("#B03A00", "dashed", 1.4),
    NO_DATA: ("#8C8C8C", "dotted", 1.0),
}
_TOO_LITTLE_STYLE = ("#6B6B6B", "dashed", 1.0)


def estimate_words(result: LinkResult, currency: str | None = None) -> str:
    """The estimate as written on an arrow: "+22.3 pts", "+€28.37", "rho -0.04", or "" without one."""
    if not math.isfinite(result.estimate):
        return ""
    if result.unit == "points":
        return f"{result.estimate:+.1f} pts"
    if result.unit in ("rho", "r"):
        return f"{result.unit} {result.estimate:+.2f}"
    return money_text(f"{result.estimate:+,.2f}", currency)


def strategy_map_dot(
    results: Iterable[LinkResult], statuses: Mapping[str, str] | None = None, currency: str | None = None
) -> str:
    """The DOT text of the map.

    Parameters
    ----------
    results
        The tested links (:func:`bsc.links.tested_links`).
    statuses
        KPI id → status key of :data:`bsc.targets.STATUS_LABELS` (all customers, latest period);
        a KPI without one is drawn as "No target".
    currency
        The workspace's currency, for money estimates.
    """
    results = list(results)
    statuses = dict(statuses or {})
    drawn = list(dict.fromkeys(kpi for r in results for kpi in (r.cause, r.effect) if kpi in KPIS))
    lines = [
        "digraph strategy_map {",
        '  graph [rankdir=BT, nodesep=0.15, ranksep=0.3, fontname="Helvetica", bgcolor="white", pad=0.05];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, margin="0.08,0.03"];',
        '  edge [fontname="Helvetica", fontsize=12, arrowsize=0.7];',
    ]
    tier_of = {kpi: index for index, (_, kpis) in enumerate(TIERS) for kpi in kpis}
    for index, _ in enumerate(TIERS):
        members = [kpi for kpi in drawn if tier_of.get(kpi, 1) == index]
        if not members:
            continue
        lines += ["  " + _box(kpi, statuses.get(kpi, "no_target")) for kpi in members]
        lines.append(f"  {{rank=same; {'; '.join(members)};}}")
    for result in results:
        if result.cause in KPIS and result.effect in KPIS:
            lines.append("  " + _arrow(result, currency))
    lines.append("}")
    return "\n".join(lines)


def _box(kpi: str, status: str) -> str:
    fill = STATUS_COLOURS.get(status, STATUS_COLOURS["no_target"])
    # White text on the darker fills, black on the light ones and the greys.
    text = "white" if status in ("green", "red") else "black"
    words = STATUS_LABELS.get(status, STATUS_LABELS["no_target"])
    name = html.escape(KPIS[kpi].short_name)
    # The KPI's name large, its status in words below it, smaller.
    label = f'<<B>{name}</B><BR/><FONT POINT-SIZE="12">{html.escape(words.lower())}</FONT>>'
    return f'{kpi} [label={label}, fillcolor="{fill}", fontcolor="{text}", color="#333333"];'


def _arrow(result: LinkResult, currency: str | None) -> str:
    colour, style, width = VERDICT_STYLES.get(result.verdict, _TOO_LITTLE_STYLE)
    words = result.verdict.replace("not supported by this data", "not supported")
    estimate = estimate_words(result, currency)
    label = f"{words}\\n{estimate}" if estimate else words
    if result.user:
        label += "\\n(your arrow)"
    return (
        f'{result.cause} -> {result.effect} [label="{label}", color="{colour}", fontcolor="{colour}", '
        f"style={style}, penwidth={width}];"
    )
