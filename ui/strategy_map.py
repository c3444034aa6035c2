"""The Strategy map page's parts: the graph, the table of tested links, the form for user arrows.

The tests are kept with the workspace's data (:func:`ui.slow_extras.kept`) under its content
fingerprint: the built-in links once per data, each user arrow once per data and arrow.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from bsc.currency import money_text
from bsc.errors import InputError
from bsc.kpis import KPIS, KpiParams
from bsc.links import BUILT_IN, LinkResult
from bsc.links.arrows import ArrowBook, UserArrow
from bsc.links.customer import customer_links
from bsc.links.periods import period_link
from bsc.links.strategy_map import estimate_words, strategy_map_dot
from bsc.targets import evaluate
from ui.author import author_name
from ui.context import PageContext, show_input_error
from ui.slow_extras import kept
from ui.target_book import open_book, workspace_kpis
from ui.text import literal

__all__ = ["arrow_book", "arrow_form", "link_table", "strategy_graph", "target_statuses", "tested_links_of"]

MONTH = "month"
# A non-widget key: the message of the last change, shown once after the rerun that draws it.
_DONE = "strategy_map_done"


def tested_links_of(
    fingerprint: str, tables: dict, arrows: list[UserArrow], params: KpiParams
) -> list[LinkResult]:
    """The built-in links, then the user's arrows, each test kept by the data's fingerprint."""
    results = list(kept("links", fingerprint, (), lambda: customer_links(tables)))
    for arrow in arrows:

        def test(arrow: UserArrow = arrow) -> LinkResult:
            monthly = workspace_kpis(fingerprint, tables, MONTH, None, params)
            return period_link(monthly, arrow.cause, arrow.effect)

        results.append(kept("user_link", fingerprint, (arrow.cause, arrow.effect, params), test))
    return results


def target_statuses(
    ctx: PageContext, fingerprint: str, tables: dict, period: str, params: KpiParams
) -> dict[str, str]:
    """KPI id → status of its all-customers target in the latest period (only KPIs with a target)."""
    book = open_book(ctx)
    targets = [t for t in book.targets() if t.segment_by is None]
    if not targets:
        return {}
    values = workspace_kpis(fingerprint, tables, period, None, params).values
    judged = evaluate(targets, values)
    judged = judged[judged["segment"].isna() & (judged["status"] != "no_target")]
    return dict(zip(judged["kpi"], judged["status"], strict=True))


def strategy_graph(results: list[LinkResult], statuses: dict[str, str], currency: str | None) -> None:
    """The map, full width, with a line saying how to read it."""
    st.caption(
        "Financial outcomes at the top, customer objectives in the middle, service and acquisition drivers at "
        "the bottom. Arrows point from cause to effect, each tested on this workspace's data: **supported** (solid green) "
        "when its 95% interval excludes no effect, **not supported** (dashed orange-red) when it does not, "
        "**too little data** (dashed grey) or **no data** (dotted grey). Boxes show each KPI's target status "
        "for all customers in the latest period."
    )
    st.graphviz_chart(strategy_map_dot(results, statuses, currency), width="stretch")


def link_table(results: list[LinkResult], currency: str | None) -> None:
    """Every link with its estimate, interval, n, verdict and method."""
    rows = pd.DataFrame(
        {
            "Cause": [KPIS[r.cause].name for r in results],
            "Effect": [KPIS[r.effect].name for r in results],
            "Verdict": [r.verdict for r in results],
            "Estimate": [estimate_words(r, currency) or "—" for r in results],
            "95% interval": [_interval(r, currency) for r in results],
            "n": [r.n for r in results],
            "What it means": [r.meaning for r in results],
            "Method": [r.method for r in results],
            "Drawn by": ["a user" if r.user else "built in" for r in results],
        }
    )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "Estimate": st.column_config.TextColumn(
                help="pts: difference of two churn shares in percentage points; a money figure: difference "
                "of mean spend per customer; rho or r: a correlation from −1 to 1."
            ),
            "n": st.column_config.NumberColumn(help="Customers, tickets or months behind the estimate."),
            "Method": st.column_config.TextColumn(width="large"),
            "What it means": st.column_config.TextColumn(width="large"),
        },
    )


def _interval(result: LinkResult, currency: str | None) -> str:
    if not math.isfinite(result.ci_low):
        return "—"
    if result.unit == "points":
        return f"{result.ci_low:+.1f} to {result.ci_high:+.1f} pts"
    if result.unit in ("rho", "r"):
        return f"{result.ci_low:+.2f} to {result.ci_high:+.2f}"
    return f"{money_text(f'{result.ci_low:+,.2f}', currency)} to {money_text(f'{result.ci_high:+,.2f}', currency)}"


def arrow_form(ctx: PageContext, book: ArrowBook) -> None:
    """Add an arrow between two KPIs, or remove one; editors only."""
    st.subheader("Your own arrows")
    st.caption(
        "An arrow you draw is tested on the monthly values for all customers: the change of the cause from "
        "one month to the next against the change of the effect a month later (at least 12 months)."
    )
    if ctx.read_only:
        st.info(
            "Arrows cannot be added or removed here: you can view this workspace but not change it.",
            icon=":material/lock:",
        )
        return
    done = st.session_state.pop(_DONE, None)
    if done:
        st.success(literal(done), icon=":material/check:")
    author = author_name(st.container())
    names = {kpi: definition.name for kpi, definition in KPIS.items()}
    with st.form("add_arrow", border=True):
        cause_column, effect_column = st.columns(2)
        cause = cause_column.selectbox("Cause", list(names), format_func=names.get, key="arrow_cause")
        effect = effect_column.selectbox(
            "Effect", list(names), index=1, format_func=names.get, key="arrow_effect"
        )
        if st.form_submit_button("Add arrow", icon=":material/add:"):
            try:
                book.add_arrow(cause, effect, author=author)
                _done(f"Added {names[cause]} → {names[effect]}: it is tested and drawn on the map above.")
            except InputError as error:
                show_input_error(error)
    arrows = book.arrows()
    if not arrows:
        return
    labels = {arrow.id: arrow.describe() for arrow in arrows}
    with st.form("remove_arrow", border=True):
        chosen = st.selectbox("Arrow", list(labels), format_func=labels.get, key="arrow_remove")
        if st.form_submit_button("Remove arrow", icon=":material/delete:"):
            arrow = next(a for a in arrows if a.id == chosen)
            try:
                book.remove_arrow(arrow.id, author=author, expected_version=arrow.version)
                _done(f"Removed {arrow.describe()}.")
            except InputError as error:
                show_input_error(error)


def _done(message: str) -> None:
    """Rerun so that the map above shows the change; the message is shown after the rerun."""
    st.session_state[_DONE] = message
    st.rerun()


def arrow_book(ctx: PageContext) -> ArrowBook:
    return ArrowBook(ctx.store, ctx.workspace.id, BUILT_IN)
