"""Scorecard: every customer KPI from the workspace's raw tables, as tiles and trends."""

import dataclasses

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.insights import find_shifts
from bsc.kpis import COMPONENT_NAMES, COMPONENTS, KPIS, cohort_retention
from bsc.results_cache import Pending, result_key
from bsc.targets import OVERALL, evaluate, rollup, trajectories
from bsc.workspace import kpi_sources
from ui.chart_specs import cohort_heatmap_spec, segment_bar_spec, show_spec, trend_spec
from ui.churn_forecast import FORECAST, forecast_churn, predicted_churn_panel
from ui.clv_tile import clv_tile
from ui.context import page_setup, show_input_error
from ui.customer_features import prefetch_features
from ui.empty_workspace import stop_if_no_tables
from ui.filters import ALL_CUSTOMERS, PERIOD_LABELS, sidebar_filters
from ui.notes import (
    brief_bytes,
    brief_download,
    chart_notes,
    notes_panel,
    shown_notes,
    tile_note,
    workspace_notes,
)
from ui.segment_table import segment_statuses, segment_table
from ui.slow_extras import Unavailable, job, later, pending_note, refresh_when_ready, results_cache
from ui.status_chips import status_chip
from ui.target_book import (
    kpi_params,
    open_book,
    prefetch_kpis,
    prefetch_nps_link,
    segment_comparison,
    workspace_kpis,
)
from ui.text import literal
from ui.tiles import kpi_tile, money_note, shift_line, to_date_caption
from ui.why_link import why_link

# Chips sit side by side in one row: the shortest names that still read.
CHIP_TITLES = {**COMPONENT_NAMES, "loyalty": "Loyalty", OVERALL: "Overall"}
# Shown in the definitions, not as tiles of their own: the means beside the medians.
SECONDARY = {"first_response_time_mean", "resolution_time_mean"}
# Tiles that link to their key drivers on the Why page (tile KPI -> the page's target).
WHY_LINKS = {"nps": "nps", "csat": "csat", "churn_rate": "churn"}
# Four tiles a row: at 1280 px every title and value reads in full on a projector.
TILES_PER_ROW = 4

ctx = page_setup("Scorecard")
currency = ctx.workspace.currency
filters = sidebar_filters(ctx.store, ctx.workspace)
tables = ctx.store.workspace_tables(ctx.workspace.id)
fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)
params_key = f"kpi_params_{ctx.workspace.id}"
params = kpi_params(ctx)


stop_if_no_tables(tables)

try:
    with st.spinner("Computing the scorecard…"):
        result = workspace_kpis(fingerprint, tables, filters.period, filters.by, params)
except InputError as error:
    show_input_error(error)
    st.stop()

values = result.values
# Names the KPI frame: the charts and tables drawn from it are kept under this name, not a hash.
source = (fingerprint, filters.period, filters.by, params)
# Asked once: a set of a string column costs a pass over every row of the scorecard.
kpi_ids = set(values["kpi"])
segment_rows = values["segment"].isna() if filters.segment is None else values["segment"] == filters.segment
focus = values[segment_rows]
# The span of the activity (orders or responses), not of the oldest signup date.
activity = focus[focus["kpi"].isin(["active_customers", "responses"]) & (focus["n"] > 0)]
periods = sorted(p for p in (activity if len(activity) else focus)["period"].unique() if p != "all")
who = ALL_CUSTOMERS if filters.segment is None else f"{filters.by_label}: {filters.segment}"
span = f"{periods[0]} to {periods[-1]}" if periods else "no dated data"
# Said once for every amount on the page; an unknown currency is said, not guessed.
money = (
    ("money in " + literal(currency) if currency else money_note())
    if any(KPIS[k].unit == "money" for k in kpi_ids if k in KPIS)
    else None
)
st.caption(
    f"{literal(ctx.workspace.name)} · {PERIOD_LABELS[filters.period].lower()}ly · {literal(who)} · {span}"
    + (f" · {money}" if money else "")
)
# The briefing pack's download, drawn at the end once What changed is known.
brief_slot = st.empty()
to_date = to_date_caption(focus, result.coverage, result.same_days)
if to_date:
    st.caption(literal(to_date))

targets = open_book(ctx).targets()
statuses = evaluate(targets, values, by=filters.by)
focus_statuses = statuses[
    statuses["segment"].isna() if filters.segment is None else statuses["segment"] == filters.segment
]
status_by_kpi = {row.kpi: row for row in focus_statuses.itertuples()}
all_notes = workspace_notes(ctx)
notes = shown_notes(all_notes, filters.by, filters.segment)
if targets:
    summary = rollup(focus_statuses)
    summary = pd.concat([summary.tail(1), summary.head(-1)])  # the whole perspective first
    chips = st.columns(len(summary))
    for column, part in zip(chips, summary.itertuples(), strict=True):
        with column:
            score = "" if pd.isna(part.score) else f"score {part.score:.0f} · "
            plural = "" if part.targets == 1 else "s"
            status_chip(CHIP_TITLES[part.component], part.status, f"{score}{part.targets} target{plural}")
else:
    st.caption("No targets yet: set objectives and targets to see statuses and scores here.")

# What changed scans every segment: filled at the end of the script, after the tiles.
changed_slot = st.empty()

clv_fit = None
available = [k for k in KPIS.values() if k.id in kpi_ids and k.id not in SECONDARY]
# Each tile's rows, split once rather than filtered from the whole frame tile by tile.
focus_by_kpi = dict(tuple(focus.groupby("kpi", sort=False, observed=True)))
# The same days of the segment shown, filtered once for every tile.
focus_same_days = result.same_days[
    result.same_days["segment"].isna()
    if filters.segment is None
    else result.same_days["segment"] == filters.segment
]
same_days_by_kpi = dict(tuple(focus_same_days.groupby("kpi", sort=False, observed=True)))
forecast_slot = None
for component in COMPONENTS:
    definitions = [k for k in available if k.component == component]
    if not definitions:
        continue
    st.subheader(COMPONENT_NAMES[component], anchor=False)
    for start in range(0, len(definitions), TILES_PER_ROW):
        columns = st.columns(TILES_PER_ROW)
        for column, definition in zip(columns, definitions[start : start + TILES_PER_ROW], strict=False):
            with column:
                same_days = same_days_by_kpi.get(definition.id, focus_same_days.iloc[:0])
                tile_options = {
                    "coverage": result.coverage.get(definition.id),
                    "same_days": same_days,
                    "assumptions": result.notes.get(definition.id)
                    if definition.id in result.assumptions
                    else None,
                    "currency": currency,
                }
                rows, status = (
                    focus_by_kpi.get(definition.id, focus.iloc[:0]),
                    status_by_kpi.get(definition.id),
                )
                if definition.id == "clv":
                    # The probabilistic CLV where a transaction log allows (ui/clv_tile.py).
                    clv_fit = clv_tile(
                        definition,
                        rows,
                        status,
                        fingerprint=fingerprint,
                        tables=tables,
                        margin=params.margin,
                        segment=filters.segment,
                        **tile_options,
                    )
                else:
                    kpi_tile(definition, rows, status, **tile_options)
                tile_note(definition.id, rows, status, notes)
                if definition.id in WHY_LINKS:
                    why_link(WHY_LINKS[definition.id])
    if component == "retention" and "churn_rate" in kpi_ids:
        # Filled at the end of the script, so the model never holds up the rest of the page.
        forecast_slot = st.empty()

if result.unavailable:
    with st.expander(f"Not available from this workspace ({len(result.unavailable)})"):
        st.dataframe(
            pd.DataFrame(
                {
                    "KPI": [KPIS[k].name for k, _ in result.unavailable],
                    "Why": [r for _, r in result.unavailable],
                }
            ),
            hide_index=True,
            width="stretch",
        )

# Segments side by side: each segment against the rest, for the latest whole period.
comparison = (
    segment_comparison(fingerprint, filters.period, filters.by, params, values) if filters.by else None
)
if comparison is not None:
    segment_table(comparison, [k for k in KPIS if k in kpi_ids], filters.by_label, currency, source=source)
    segment_statuses(statuses, list(KPIS), filters.by_label, currency)

st.header("Trends", divider="gray")
trend_ids = [k.id for k in available]
default_trend = "nps" if "nps" in trend_ids else trend_ids[0]
chosen = st.selectbox(
    "KPI",
    trend_ids,
    index=trend_ids.index(st.session_state.get("trend_kpi_kept", default_trend))
    if st.session_state.get("trend_kpi_kept") in trend_ids
    else trend_ids.index(default_trend),
    format_func=lambda k: f"{KPIS[k].name} ({COMPONENT_NAMES[KPIS[k].component]})",
    key="trend_kpi",
)
st.session_state["trend_kpi_kept"] = chosen
definition = KPIS[chosen]
chosen_values = values[values["kpi"] == chosen]
if (chosen_values["period"] != "all").any():
    others: list[str] = []
    if filters.by:
        # A handful of lines at most: other segments only when asked for.
        others = st.multiselect(
            "Compare with other segments",
            sorted(s for s in chosen_values["segment"].dropna().unique() if s != filters.segment),
            max_selections=4,
            key="trend_others",
            help="The chart shows all customers and the segment chosen in the sidebar; add up to four more.",
        )
    paths = trajectories(targets, chosen_values, by=filters.by)
    show_spec(
        trend_spec(
            chosen,
            chosen_values,
            paths,
            filters.segment,
            tuple(others),
            filters.by_label,
            currency,
            chart_notes(all_notes, chosen, filters.by),
            source=source,
        )
    )
    notes_panel(ctx, definition, periods, notes, segment_by=filters.by, segment=filters.segment)
else:
    st.caption(
        f"{literal(definition.name)} has no dated values (the data has no dates): "
        "it is shown for all time, on its tile and below."
    )
if comparison is not None and chosen in set(comparison["kpi"]):
    show_spec(
        segment_bar_spec(
            chosen, comparison[comparison["kpi"] == chosen], filters.by_label, currency, source=source
        )
    )
chosen_rows = focus[focus["kpi"] == chosen]
honesty = []
if not chosen_rows["complete"].all():
    honesty.append(
        "A hollow point is a period the data cover only in part (to date): not comparable with whole ones."
    )
unknown = chosen_rows[chosen_rows["reason"].notna()]
if len(unknown):
    honesty.append(
        f"No value for {', '.join(unknown['period'])}: {unknown['reason'].iloc[0]}."
        if len(unknown) <= 3
        else f"No value for {unknown['period'].iloc[0]} to {unknown['period'].iloc[-1]}: {unknown['reason'].iloc[0]}."
    )
if honesty:
    st.caption(literal(" ".join(honesty)))
not_split = dict(result.not_split)
if filters.by and chosen in not_split:
    st.caption(f"Not split by {literal(filters.by_label)}: {literal(not_split[chosen])}.")
with st.expander(f"How {definition.name} is computed"):
    sources = kpi_sources(definition.requires, ctx.store.list_datasets(ctx.workspace.id))
    st.markdown(f"**Formula:** {definition.formula}")
    if definition.description:
        st.markdown(definition.description)
    if chosen in result.notes:
        st.markdown(f"**Method:** {result.notes[chosen]}")
    if definition.parameters:
        settings = dataclasses.asdict(params)
        st.markdown("**Parameters:** " + ", ".join(f"{p} = {settings[p]}" for p in definition.parameters))
    st.markdown("**Fed by:**")
    st.code("\n".join(sources) or "—", language=None)

# A slow extra: at ten million orders its per-customer-and-month table waits for the engine.
cohorts: pd.DataFrame | Pending | Unavailable | None = None
if "transactions" in tables:
    st.header("Cohort retention", divider="gray")
    cohorts = later("cohorts", fingerprint, (), job(cohort_retention, tables))
    if isinstance(cohorts, Pending):
        pending_note("Cohort retention", cohorts)
    elif isinstance(cohorts, Unavailable):
        st.caption(f"Cohort retention: not available — {literal(cohorts.message)}")
    elif cohorts.empty:
        st.info("No orders with customer ids and dates to build cohorts from.")
    else:
        show_spec(cohort_heatmap_spec(fingerprint, cohorts))

st.header("Definitions and assumptions", divider="gray")
with st.expander("Every KPI: formula, direction and data"):
    datasets = ctx.store.list_datasets(ctx.workspace.id)
    unavailable = dict(result.unavailable)
    st.dataframe(
        pd.DataFrame(
            {
                "KPI": [k.name for k in KPIS.values()],
                "Component": [COMPONENT_NAMES[k.component] for k in KPIS.values()],
                "Formula": [k.formula for k in KPIS.values()],
                "Better when": [k.direction for k in KPIS.values()],
                "Fed by": ["; ".join(kpi_sources(k.requires, datasets)) for k in KPIS.values()],
                "Status": [unavailable.get(k.id, "computed") for k in KPIS.values()],
            }
        ),
        hide_index=True,
        width="stretch",
    )

with st.expander("Assumptions"), st.form("kpi_params"):
    left, right = st.columns(2)
    inactivity = left.number_input(
        "Inactivity window (days)",
        min_value=1,
        max_value=730,
        value=params.inactivity_days,
        help="A transaction log's customer counts as churned once their last order is older than this.",
    )
    margin = right.number_input(
        "Gross margin for CLV (%)", min_value=1.0, max_value=100.0, value=params.margin * 100, step=1.0
    )
    weights = dict(params.csi_weights)
    st.write("Weights of the customer satisfaction index")
    weight_columns = st.columns(4)
    new_weights = {
        kpi: column.number_input(
            kpi.upper(), min_value=0.0, max_value=10.0, value=weights.get(kpi, 0.0), step=0.5
        )
        for column, kpi in zip(weight_columns, ("nps", "csat", "ces", "rating"), strict=True)
    }
    if st.form_submit_button("Apply"):
        try:
            st.session_state[params_key] = dataclasses.replace(
                params, inactivity_days=int(inactivity), margin=margin / 100, csi_weights=new_weights
            )
        except InputError as error:
            show_input_error(error)
        else:
            st.rerun()

# The slow extras, once everything else is drawn: kept with the data, else computed in the
# background while a note stands in their place, and the page reruns when they have arrived.
waiting: list[Pending] = [extra for extra in (clv_fit, cohorts) if isinstance(extra, Pending)]
changes = later("shifts", fingerprint, (), job(find_shifts, tables))
if isinstance(changes, Pending):
    waiting.append(changes)
    with changed_slot.container():
        pending_note("What changed", changes)
elif isinstance(changes, Unavailable):
    changed_slot.caption(f"What changed: not available — {literal(changes.message)}")
elif changes[0]:
    shifts, comparisons = changes
    with changed_slot.container(border=True):
        st.markdown(f"**What changed** · last {shifts[0].after_periods} against {shifts[0].before_periods}")
        st.markdown("  \n".join(shift_line(shift, filters.labels, currency) for shift in shifts[:5]))
        st.caption(
            "Only real changes (not noise) are listed, largest first, comparing whole months whose "
            "values the data can know.",
            help=f"Each shift passed its test after allowing for all {comparisons} segment × KPI "
            "comparisons made: a 5% false-discovery rate (Benjamini–Hochberg), so about 1 in 20 "
            "listed shifts may still be chance.",
        )

links_cache, links_key = results_cache(), result_key("links", fingerprint)


def _tested_links() -> list[dict]:
    # The strategy map's built-in links, as its page keeps them (ui/strategy_map.py), tested
    # only when the pack is asked for and nobody has opened the map yet.
    from bsc.links import customer_links, link_rows

    return link_rows(links_cache.get_or_compute(links_key, lambda: customer_links(tables)))


with brief_slot.container():
    brief_download(
        brief_bytes(
            result,
            targets,
            [n for n in all_notes if n.segment_by is None],
            changes[0] if isinstance(changes, tuple) else None,
            links_of=_tested_links,
            workspace=ctx.workspace.name,
            currency=currency,
        ),
        ctx.workspace.name,
    )

if forecast_slot is not None:
    forecast = later(
        FORECAST,
        fingerprint,
        (filters.by, filters.period, params),
        job(forecast_churn, tables, filters.by, filters.period, params),
    )
    with forecast_slot.container():
        if isinstance(forecast, Pending):
            waiting.append(forecast)
            pending_note("Predicted churn for the next period", forecast)
        else:
            predicted_churn_panel(
                fingerprint, tables, filters.by, filters.segment, filters.period, targets, params=params
            )
refresh_when_ready(waiting)
# The next click most likely asks for another split or period: have them ready by then.
prefetch_kpis(fingerprint, tables, filters.period, filters.by, params, filters.labels)
# And what the Objectives and Segmentation pages need beyond them: the what-if's NPS-churn link
# reads every survey answer, the segmentation every customer's features.
prefetch_nps_link(fingerprint, tables)
prefetch_features(fingerprint, tables)
