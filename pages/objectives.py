"""Objectives & targets: set targets with the assistant, edit them together, try what-ifs, keep the log."""

import math

import pandas as pd
import streamlit as st

from bsc.assistant import Levers, assess_target, chance_text, project_whatif, whatif_base
from bsc.errors import InputError
from bsc.kpis import COMPONENT_NAMES, KPIS
from bsc.periods import Period, parse_period, upcoming_periods
from bsc.report import scorecard_xlsx
from bsc.store import ConflictError
from bsc.targets import (
    INITIATIVE_STATUSES,
    STATUS_LABELS,
    Initiative,
    Objective,
    Target,
    evaluate,
    read_targets_file,
    rollup,
    targets_from_frame,
    targets_to_csv,
    targets_to_xlsx,
)
from ui.author import author_name, current_author
from ui.context import page_setup, show_input_error, show_read_only_notice
from ui.empty_workspace import stop_if_no_tables
from ui.filters import ALL_CUSTOMERS, PERIOD_LABELS, sidebar_filters
from ui.status_chips import status_chip, status_text
from ui.target_book import kpi_params, kpi_series, open_book, workspace_kpis, workspace_nps_link
from ui.target_charts import assistant_chart, whatif_chart
from ui.text import literal
from ui.versioned_editor import apply_pending, show_outcome, versioned_editor

UPCOMING = {"month": 12, "quarter": 8, "year": 3}
DEFAULT_AHEAD = {"month": 5, "quarter": 1, "year": 0}
MESSAGE = "objectives_message"

ctx = page_setup("Objectives & targets")
filters = sidebar_filters(ctx.store, ctx.workspace)
show_read_only_notice(
    ctx,
    "its targets, objectives and initiatives can be viewed, checked with the assistant, tried in the "
    "what-if and exported, but not changed.",
)
author = author_name()
tables = ctx.store.workspace_tables(ctx.workspace.id)
stop_if_no_tables(tables)

fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)
params = kpi_params(ctx)
try:
    with st.spinner("Computing the scorecard…"):
        result = workspace_kpis(fingerprint, tables, filters.period, filters.by, params)
except InputError as error:
    show_input_error(error)
    st.stop()
book = open_book(ctx)
st.caption(
    f"{literal(ctx.workspace.name)} · {PERIOD_LABELS[filters.period].lower()}ly · targets are stored at once "
    "and shared with everyone who opens this workspace."
)
if not author and not ctx.read_only:
    st.warning(
        "Give your name in the sidebar first: every change is logged with it.", icon=":material/badge:"
    )

messages = st.session_state.pop(MESSAGE, [])
for kind, text in messages:
    # Messages carry names typed by users (objectives, segments, authors): shown as typed.
    {"success": st.success, "conflict": st.error, "error": st.error}[kind](literal(text))
just_refused = any(kind == "conflict" for kind, _ in messages)


# Edits made in the tables of the previous run are saved first, so that everything below
# shows the stored result.

TARGET_FIELDS = {
    "Due": "due_period",
    "Target": "goal",
    "Bands": "band_mode",
    "Green": "green",
    "Amber": "amber",
    "Weight": "weight",
}


def _apply_target_edit(row: dict | None, changes: dict | None) -> str:
    if row is None:
        raise InputError("Add targets with “Set a target”.")
    if changes is None:
        book.delete_target(row["id"], author=author, expected_version=int(row["version"]))
        return f"Deleted the target for {row['KPI']} · {row['Segment']}."
    fields = {TARGET_FIELDS[column]: value for column, value in changes.items() if column in TARGET_FIELDS}
    saved = book.update_target(row["id"], fields, author=author, expected_version=int(row["version"]))
    return f"Saved: {saved.label}, {saved.describe()}."


OBJECTIVE_FIELDS = {
    "Objective": "name",
    "Description": "description",
    "Owner": "owner",
    "Due": "due_date",
    "KPIs": "kpis",
}
INITIATIVE_FIELDS = {
    "Initiative": "name",
    "Owner": "owner",
    "Status": "status",
    "Start": "start_date",
    "End": "end_date",
}


def _apply_objective_edit(row: dict | None, changes: dict | None) -> str:
    if row is None:
        values = {OBJECTIVE_FIELDS[c]: v for c, v in (changes or {}).items() if c in OBJECTIVE_FIELDS}
        saved = book.add_objective(
            Objective(
                name=values.get("name") or "",
                description=values.get("description") or "",
                owner=values.get("owner") or "",
                due_date=values.get("due_date") or None,
                kpis=tuple(values.get("kpis") or ()),
            ),
            author=author,
        )
        return f"Added the objective “{saved.name}”."
    if changes is None:
        book.delete_objective(row["id"], author=author, expected_version=int(row["version"]))
        return f"Deleted the objective “{row['Objective']}” and its initiatives."
    fields = {OBJECTIVE_FIELDS[c]: v for c, v in changes.items() if c in OBJECTIVE_FIELDS}
    saved = book.update_objective(row["id"], fields, author=author, expected_version=int(row["version"]))
    return f"Saved the objective “{saved.name}”."


def _apply_initiative_edit(row: dict | None, changes: dict | None) -> str:
    if row is None:
        values = {INITIATIVE_FIELDS.get(c, c): v for c, v in (changes or {}).items()}
        names = {o.name: o.id for o in book.objectives()}
        objective = values.get("Objective")
        if objective not in names:
            raise InputError("Choose the objective a new initiative belongs to.")
        saved = book.add_initiative(
            Initiative(
                objective_id=names[objective],
                name=values.get("name") or "",
                owner=values.get("owner") or "",
                status=values.get("status") or "planned",
                start_date=values.get("start_date") or None,
                end_date=values.get("end_date") or None,
            ),
            author=author,
        )
        return f"Added the initiative “{saved.name}”."
    if changes is None:
        book.delete_initiative(row["id"], author=author, expected_version=int(row["version"]))
        return f"Deleted the initiative “{row['Initiative']}”."
    fields = {INITIATIVE_FIELDS[c]: v for c, v in changes.items() if c in INITIATIVE_FIELDS}
    saved = book.update_initiative(row["id"], fields, author=author, expected_version=int(row["version"]))
    return f"Saved the initiative “{saved.name}”."


edits = {
    "targets": apply_pending("targets", _apply_target_edit),
    "objectives": apply_pending("objectives", _apply_objective_edit),
    "initiatives": apply_pending("initiatives", _apply_initiative_edit),
}
statuses = evaluate(book.targets(), result.values, by=filters.by)
shown = (
    statuses
    if filters.segment is None
    else statuses[statuses["segment"].isna() | (statuses["segment"] == filters.segment)]
)
chips = st.columns(6)
for column, row in zip(chips, rollup(shown).itertuples(), strict=True):
    score = "no score" if math.isnan(row.score) else f"score {row.score:.0f}"
    with column:
        status_chip(row.name, row.status, f"{score} · {row.targets} target{'s' if row.targets != 1 else ''}")

tab_set, tab_targets, tab_objectives, tab_whatif, tab_log, tab_files = st.tabs(
    ["Set a target", "Targets", "Objectives & initiatives", "What-if", "Audit log", "Import / export"]
)


# --------------------------------------------------------------------------------------------
# Set a target: the assistant
# --------------------------------------------------------------------------------------------


def _upcoming(unit: str, after: Period | None) -> list[str]:
    return upcoming_periods(unit, UPCOMING[unit], today=pd.Timestamp.now(tz="UTC").date(), after=after)


def _save_target(what: dict, keys: dict, expected_version: int | None, trajectory: tuple) -> None:
    state = st.session_state
    try:
        due = state[keys["due"]]
        target = Target(
            kpi=what["kpi"],
            goal=state[keys["goal"]],
            due_period=due,
            segment_by=what["by"],
            segment=what["segment"],
            trajectory=tuple(
                p for p in trajectory if parse_period(p[0]).end_month < parse_period(due).end_month
            ),
            band_mode=state[keys["mode"]],
            green=state[keys["green"]],
            amber=state[keys["amber"]],
            weight=state[keys["weight"]],
        )
        saved = open_book(ctx).set_target(target, author=current_author(), expected_version=expected_version)
        state[MESSAGE] = [("success", f"Saved: {saved.label}, {saved.describe()}.")]
    except ConflictError as error:
        state[MESSAGE] = [("conflict", str(error))]
    except InputError as error:
        state[MESSAGE] = [("error", str(error))]


def target_assistant() -> None:
    available = [k for k in KPIS if k in set(result.values["kpi"])]
    if not available:
        st.info("No KPI can be computed from this workspace yet.")
        return
    kept = st.session_state.get("assistant_kpi_kept", "nps")
    kpi = st.selectbox(
        "KPI",
        available,
        index=available.index(kept) if kept in available else 0,
        format_func=lambda k: f"{KPIS[k].name} ({COMPONENT_NAMES[KPIS[k].component]})",
        key="assistant_kpi",
    )
    st.session_state["assistant_kpi_kept"] = kpi
    definition = KPIS[kpi]
    by, segment = filters.by, filters.segment
    if by is not None and segment is not None and kpi in dict(result.not_split):
        st.info(f"{definition.name} is not split by {literal(by)}: the target is for all customers.")
        by, segment = None, None
    if segment is None:
        by = None
    unit = filters.period
    series = kpi_series(result, kpi, segment)
    monthly = series
    if unit != "month":
        monthly = kpi_series(workspace_kpis(fingerprint, tables, "month", by, params), kpi, segment)
    dated = series[(series["period"] != "all") & series["value"].notna()]
    last = max((parse_period(p) for p in dated["period"]), key=lambda p: p.index, default=None)
    existing = book.find_target(kpi, by, segment)
    whom = ALL_CUSTOMERS.lower() if segment is None else f"{by} {segment}"
    st.caption(
        f"For **{literal(whom)}**, per {unit}. Change the split, segment and period in the sidebar "
        "(targets on a segment need the split by its attribute)."
    )

    seen = st.session_state.get("assistant_seen")
    what = {"kpi": kpi, "by": by, "segment": segment}
    version = existing.version if existing else 0
    if (
        seen
        and seen["what"] == what
        and seen["version"] != version
        and existing
        and existing.updated_by != author
        and not just_refused
    ):
        st.info(
            f"{literal(existing.updated_by)} changed this target while you were looking: it is now "
            f"{literal(existing.describe())}. The form shows the current value.",
            icon=":material/group:",
        )
    st.session_state["assistant_seen"] = {"what": what, "version": version}
    if existing:
        st.markdown(
            f"**Current target:** {literal(existing.describe())} · set by {literal(existing.updated_by)} "
            f"on {existing.updated_at:%Y-%m-%d %H:%M} UTC · version {existing.version}"
        )
    else:
        st.markdown(f"**No target yet** for {literal(definition.name)} · {literal(whom)}.")

    options = _upcoming(unit, last)
    if existing and existing.due_period in options:
        due_default = options.index(existing.due_period)
    else:
        due_default = min(DEFAULT_AHEAD[unit], len(options) - 1)
    try:
        first_look = assess_target(series, kpi=kpi, due_period=options[due_default], monthly=monthly)
    except InputError as error:
        show_input_error(error)
        return
    if existing:
        goal_default = existing.goal
    elif not math.isnan(first_look.projection):
        goal_default = first_look.projection
    elif not math.isnan(first_look.last_value):
        goal_default = first_look.last_value
    else:
        goal_default = 0.0
    step, number_format = definition.step, definition.input_format
    low, high = definition.limits
    goal_default = round(min(max(goal_default, low), high) / step) * step
    draft = f"{kpi}|{by}|{segment}|{version}"
    keys = {name: f"target_{name}_{draft}" for name in ("due", "goal", "weight", "mode", "green", "amber")}

    with st.form("target_form", border=True):
        due_column, goal_column, weight_column = st.columns([1, 1, 1])
        due = due_column.selectbox("Due", options, index=due_default, key=keys["due"])
        goal = goal_column.number_input(
            f"Target ({'lower' if definition.direction == 'lower' else 'higher'} is better)",
            min_value=None if math.isinf(low) else low,
            max_value=None if math.isinf(high) else high,
            value=float(goal_default),
            step=step,
            format=number_format,
            key=keys["goal"],
        )
        weight_column.number_input(
            "Weight in the roll-up",
            min_value=0.0,
            max_value=100.0,
            value=existing.weight if existing else 1.0,
            step=0.5,
            key=keys["weight"],
        )
        with st.expander("Bands: when is it on track, at risk, off track?"):
            mode_column, green_column, amber_column = st.columns(3)
            mode_column.radio(
                "Tolerances",
                ["relative", "absolute"],
                index=0 if not existing or existing.band_mode == "relative" else 1,
                format_func=lambda m: "% of the target" if m == "relative" else f"in {definition.unit_words}",
                key=keys["mode"],
            )
            green_column.number_input(
                "On track while it misses by at most",
                min_value=0.0,
                value=existing.green if existing else 0.0,
                step=0.5,
                key=keys["green"],
            )
            amber_column.number_input(
                "At risk while it misses by at most",
                min_value=0.0,
                value=existing.amber if existing else 10.0,
                step=0.5,
                key=keys["amber"],
            )
        buttons = st.container(horizontal=True)
        buttons.form_submit_button("Check the chance", icon=":material/query_stats:")
        buttons.form_submit_button(
            "Save target",
            type="primary",
            icon=":material/save:",
            on_click=_save_target,
            disabled=ctx.read_only,
            args=(
                what,
                keys,
                existing.version if existing else None,
                existing.trajectory if existing else (),
            ),
        )

    try:
        assessment = assess_target(series, kpi=kpi, due_period=due, proposed=goal, monthly=monthly)
    except InputError as error:
        show_input_error(error)
        return
    if assessment.verdict == "implausible":
        st.warning(assessment.warning, icon=":material/warning:")
    elif assessment.verdict in ("realistic", "stretch"):
        lead = (
            "Realistic." if assessment.verdict == "realistic" else "A stretch, but history makes it possible."
        )
        st.success(f"{lead} {' '.join(assessment.reasons)}", icon=":material/check:")
    else:
        st.info(" ".join(assessment.reasons), icon=":material/info:")

    unit_word = definition.unit_words
    suffix = f" ({unit_word})" if unit_word else ""

    def bare(value: float) -> str:
        """The number alone: its unit is said once, in the label."""
        return definition.format_value(value, unit=False)

    first_row = st.columns(3)
    first_row[0].metric(f"Latest, {assessment.last_period or '—'}{suffix}", bare(assessment.last_value))
    first_row[1].metric(
        f"Last three months{suffix}",
        bare(assessment.last_three_months),
        help=f"{', '.join(assessment.three_months)}; ratios pooled over their responses or customers.",
    )
    first_row[2].metric(
        f"Range so far{suffix}",
        f"{bare(assessment.low)} to {bare(assessment.high)}" if assessment.periods else "—",
        help=f"Lowest in {assessment.low_period}, highest in {assessment.high_period}.",
    )
    second_row = st.columns(3)
    second_row[0].metric(
        f"Trend for {due}{suffix}",
        bare(assessment.projection),
        help=f"A straight line over the last {min(assessment.periods, 24)} {unit}s with data.",
    )
    second_row[1].metric(
        f"95% prediction interval{suffix}",
        f"{bare(assessment.interval[0])} to {bare(assessment.interval[1])}"
        if not math.isnan(assessment.projection)
        else "—",
        help="Where the KPI should land in the due period if the trend and its ups and downs go on.",
    )
    second_row[2].metric(
        f"Chance of reaching {definition.format_value(goal)}",
        "—" if assessment.probability is None else chance_text(assessment.probability).replace("about ", ""),
    )
    draft_target = Target(
        kpi,
        goal,
        due,
        baseline=assessment.last_value if assessment.last_period else None,
        baseline_period=assessment.last_period,
    )
    if not assessment.path.empty:
        st.space("small")
        st.altair_chart(
            assistant_chart(
                definition, assessment, existing if existing and existing.goal == goal else draft_target
            ),
            width="stretch",
        )
    if existing:
        trajectory_editor(existing)


def _save_trajectory(target_id: str, version: int, key: str, periods: list[str], ramp: list[float]) -> None:
    state = st.session_state
    edits = (state.get(key) or {}).get("edited_rows", {})
    values = dict(zip(periods, ramp, strict=True))
    for position, changes in edits.items():
        if "Target" in changes and changes["Target"] is not None:
            values[periods[int(position)]] = changes["Target"]
    try:
        saved = open_book(ctx).update_target(
            target_id, {"trajectory": values}, author=current_author(), expected_version=version
        )
        state[MESSAGE] = [("success", f"Saved the per-period targets of {saved.label}.")]
    except ConflictError as error:
        state[MESSAGE] = [("conflict", str(error))]
    except InputError as error:
        state[MESSAGE] = [("error", str(error))]


def _straight_ramp(target_id: str, version: int) -> None:
    try:
        saved = open_book(ctx).update_target(
            target_id, {"trajectory": {}}, author=current_author(), expected_version=version
        )
        st.session_state[MESSAGE] = [("success", f"{saved.label} follows a straight line to its goal again.")]
    except InputError as error:
        st.session_state[MESSAGE] = [
            ("conflict" if isinstance(error, ConflictError) else "error", str(error))
        ]


def trajectory_editor(target: Target) -> None:
    """The target of each period before the due one: a straight ramp, or values typed in a table."""
    due = parse_period(target.due_period)
    start = parse_period(target.baseline_period) if target.baseline_period else None
    if start is not None and start.unit == due.unit:
        first = start.shift(1)
    else:
        first = parse_period(_upcoming(due.unit, None)[0])
    periods = [first.shift(step).label for step in range(due.index - first.index)]
    with st.expander(
        "Per-period targets"
        + (" (typed values)" if target.trajectory else " (straight line from the baseline)")
    ):
        if not periods:
            st.caption("There is no period between the baseline and the due period.")
            return
        ramp = [round(target.value_at(period), 4) for period in periods]
        frame = pd.DataFrame({"Period": periods, "Target": ramp})
        key = f"trajectory_{target.id}_{target.version}"
        with st.form(f"trajectory_form_{target.id}", border=False):
            st.data_editor(
                frame,
                key=key,
                hide_index=True,
                disabled=True if ctx.read_only else ["Period"],
                column_config={"Target": st.column_config.NumberColumn(format="%.2f")},
                width="stretch",
            )
            st.form_submit_button(
                "Save per-period targets",
                icon=":material/timeline:",
                on_click=_save_trajectory,
                args=(target.id, target.version, key, periods, ramp),
                disabled=ctx.read_only,
            )
        if target.trajectory:
            st.button(
                "Back to a straight line",
                on_click=_straight_ramp,
                args=(target.id, target.version),
                key=f"straight_{target.id}",
                disabled=ctx.read_only,
            )


with tab_set:
    target_assistant()


# --------------------------------------------------------------------------------------------
# Targets table
# --------------------------------------------------------------------------------------------


def targets_table() -> None:
    targets = book.targets()
    by_id = statuses.set_index("target_id") if len(statuses) else pd.DataFrame()
    rows = []
    for target in targets:
        status = by_id.loc[target.id] if target.id in by_id.index else None
        rows.append(
            {
                "id": target.id,
                "version": target.version,
                "KPI": KPIS[target.kpi].short_name,
                "Segment": ALL_CUSTOMERS
                if target.segment is None
                else f"{target.segment_by}: {target.segment}",
                "Due": target.due_period,
                "Target": target.goal,
                "Bands": target.band_mode,
                "Green": target.green,
                "Amber": target.amber,
                "Weight": target.weight,
                "Baseline": "—"
                if target.baseline is None
                else f"{KPIS[target.kpi].format_value(target.baseline)} ({target.baseline_period})",
                "Latest": "—" if status is None else KPIS[target.kpi].format_value(status["value"]),
                "Target now": "—" if status is None else KPIS[target.kpi].format_value(status["target"]),
                "Status": f"split by {target.segment_by} to see it"
                if status is None
                else status_text(status["status"]),
                "Set by": target.updated_by,
            }
        )
    shown = ["KPI", "Segment", "Status", "Latest", "Target now", *TARGET_FIELDS, "Baseline", "Set by"]
    frame = pd.DataFrame(rows, columns=["id", "version", *shown])
    if frame.empty:
        show_outcome(edits["targets"])
        st.info("No targets yet: set one under “Set a target”, or import a file.", icon=":material/flag:")
        return
    st.caption(
        "Edit a cell to save it at once (the log records who and when); select rows and press the bin to "
        "delete. If someone else saved the same target first, your edit is refused and the current value shown."
    )
    versioned_editor(
        "targets",
        frame,
        edits["targets"],
        read_only=ctx.read_only,
        num_rows="delete",
        disabled=["KPI", "Segment", "Baseline", "Latest", "Target now", "Status", "Set by"],
        column_order=shown,
        column_config={
            "Due": st.column_config.TextColumn(help="A month (2027-06), quarter (2027-Q2) or year (2027)"),
            "Target": st.column_config.NumberColumn(format="%.2f", help="The goal in the KPI's unit"),
            "Bands": st.column_config.SelectboxColumn(options=["relative", "absolute"], required=True),
            "Green": st.column_config.NumberColumn(
                min_value=0.0, format="%.2f", help="On track while missing by at most this"
            ),
            "Amber": st.column_config.NumberColumn(
                min_value=0.0, format="%.2f", help="At risk while missing by at most this"
            ),
            "Weight": st.column_config.NumberColumn(min_value=0.0, format="%.1f"),
        },
        width="stretch",
    )


with tab_targets:
    targets_table()


# --------------------------------------------------------------------------------------------
# Objectives and initiatives
# --------------------------------------------------------------------------------------------


def _kpi_statuses(kpis: tuple[str, ...]) -> str:
    overall = statuses[statuses["segment"].isna()].set_index("kpi") if len(statuses) else pd.DataFrame()
    parts = []
    for kpi in kpis:
        status = overall.loc[kpi, "status"] if kpi in overall.index else None
        label = STATUS_LABELS.get(status, "not computed") if status else "not computed"
        parts.append(f"{KPIS[kpi].name}: {label}")
    return "; ".join(parts)


def objectives_section() -> None:
    objectives = book.objectives()
    st.subheader("Objectives", anchor=False)
    st.caption("Add a row at the bottom of the table; link the KPIs that show progress.")
    frame = pd.DataFrame(
        [
            {
                "id": o.id,
                "version": o.version,
                "Objective": o.name,
                "Description": o.description,
                "Owner": o.owner,
                "Due": o.due_date,
                "KPIs": list(o.kpis),
                "KPI status": _kpi_statuses(o.kpis),
            }
            for o in objectives
        ],
        columns=["id", "version", "Objective", "Description", "Owner", "Due", "KPIs", "KPI status"],
    )
    frame["Due"] = pd.to_datetime(frame["Due"]).dt.date
    available = [k for k in KPIS if k in set(result.values["kpi"])]
    versioned_editor(
        "objectives",
        frame,
        edits["objectives"],
        read_only=ctx.read_only,
        num_rows="dynamic",
        disabled=["KPI status"],
        column_order=["Objective", "Owner", "Due", "KPI status", "KPIs", "Description"],
        column_config={
            "Objective": st.column_config.TextColumn(required=True, width="medium"),
            "Description": st.column_config.TextColumn(width="medium"),
            "Due": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "KPIs": st.column_config.MultiselectColumn(
                options=available, format_func=lambda k: KPIS[k].name, width="medium"
            ),
            "KPI status": st.column_config.TextColumn(width="large"),
        },
        width="stretch",
    )

    st.subheader("Initiatives", anchor=False)
    if not objectives:
        st.caption("Initiatives hang under objectives: add an objective first.")
        return
    names = {o.name: o.id for o in objectives}
    by_id = {o.id: o.name for o in objectives}

    initiatives = book.initiatives()
    frame = pd.DataFrame(
        [
            {
                "id": i.id,
                "version": i.version,
                "Objective": by_id.get(i.objective_id, ""),
                "Initiative": i.name,
                "Owner": i.owner,
                "Status": i.status,
                "Start": i.start_date,
                "End": i.end_date,
            }
            for i in initiatives
        ],
        columns=["id", "version", "Objective", "Initiative", "Owner", "Status", "Start", "End"],
    )
    for column in ("Start", "End"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    versioned_editor(
        "initiatives",
        frame,
        edits["initiatives"],
        read_only=ctx.read_only,
        num_rows="dynamic",
        disabled=["Objective"] if not len(frame) else False,
        column_order=["Objective", "Initiative", "Owner", "Status", "Start", "End"],
        column_config={
            "Objective": st.column_config.SelectboxColumn(options=list(names), required=True),
            "Initiative": st.column_config.TextColumn(required=True),
            "Status": st.column_config.SelectboxColumn(options=list(INITIATIVE_STATUSES), default="planned"),
            "Start": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "End": st.column_config.DateColumn(format="YYYY-MM-DD"),
        },
        width="stretch",
    )


with tab_objectives:
    objectives_section()


# --------------------------------------------------------------------------------------------
# What-if
# --------------------------------------------------------------------------------------------


@st.fragment
def whatif_panel() -> None:
    monthly = workspace_kpis(fingerprint, tables, "month", None, params)
    try:
        base = whatif_base(monthly.values, margin=params.margin)
    except InputError as error:
        show_input_error(error)
        return
    link = workspace_nps_link(fingerprint, tables)
    st.caption(
        "Move the levers to see the next twelve months for all customers, against today's rates. "
        "Every assumption is listed under the result."
    )
    levers = st.columns(4)
    retention = levers[0].slider(
        "Retention (points a month)", 0.0, 2.0, 0.0, 0.05, format="+%.2f", key="whatif_retention"
    )
    nps = levers[1].slider("NPS (points)", 0, 30, 0, 1, format="+%d", key="whatif_nps")
    cpa = levers[2].slider("CPA (% lower)", 0, 50, 0, 1, format="−%d%%", key="whatif_cpa")
    conversion = levers[3].slider(
        "Conversion (points)", 0.0, 5.0, 0.0, 0.1, format="+%.1f", key="whatif_conversion"
    )
    outcome = project_whatif(
        base,
        Levers(retention_points=retention, nps_points=nps, cpa_cut_percent=cpa, conversion_points=conversion),
        link=link,
    )
    summary = outcome.summary.set_index("measure")
    tiles = st.columns(3)
    for column, (measure, label) in zip(
        tiles,
        [
            ("Active customers in month 12", "Active customers, month 12"),
            ("Revenue over 12 months", "Revenue, next 12 months"),
            ("CLV", "CLV"),
        ],
        strict=True,
    ):
        row = summary.loc[measure]
        value = f"{row['scenario']:,.0f}"
        delta = f"{row['change']:+,.0f} ({row['change_percent']:+.1f}%)" if row["change"] else None
        column.metric(label, value, delta=delta, border=True, help=f"Today's rates: {row['today']:,.0f}")
    st.space("small")
    left, right = st.columns(2)
    left.altair_chart(
        whatif_chart(outcome, "active_customers", "Active (ordering) customers per month", "Customers"),
        width="stretch",
    )
    right.altair_chart(
        whatif_chart(outcome, "revenue", "Revenue per month", "Revenue (money)"), width="stretch"
    )
    st.markdown("**Assumptions**")
    # The assumptions are the model's own sentences (numbers and KPI names), not data-supplied text.
    st.markdown("\n".join(f"- {line}" for line in outcome.assumptions))


with tab_whatif:
    whatif_panel()


# --------------------------------------------------------------------------------------------
# Audit log
# --------------------------------------------------------------------------------------------

with tab_log:
    log = book.audit_log(limit=2000)
    if log.empty:
        st.info("Nothing has been changed in this workspace yet.")
    else:
        people = ["Everyone", *sorted(log["who"].unique())]
        chosen = st.selectbox("Who", people, key="audit_who")
        if chosen != "Everyone":
            log = log[log["who"] == chosen]
        st.dataframe(
            log,
            hide_index=True,
            width="stretch",
            column_config={
                "when": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                "who": "Who",
                "what": "What",
                "field": "Field",
                "old": "Old value",
                "new": "New value",
            },
        )


# --------------------------------------------------------------------------------------------
# Import and export
# --------------------------------------------------------------------------------------------


def _import(frame: pd.DataFrame) -> None:
    try:
        summary = open_book(ctx).import_targets(frame, author=current_author())
    except InputError as error:
        st.session_state[MESSAGE] = [("error", str(error))]
    else:
        st.session_state[MESSAGE] = [
            (
                "success",
                f"Imported: {summary.created} new, {summary.updated} changed, {summary.unchanged} unchanged.",
            )
        ]


with tab_files:
    targets_now = book.targets()
    st.subheader("Export", anchor=False)
    downloads = st.columns(3)
    downloads[0].download_button(
        "Targets (CSV)",
        targets_to_csv(targets_now),
        file_name="targets.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    downloads[1].download_button(
        "Targets (Excel)",
        targets_to_xlsx(targets_now),
        file_name="targets.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
    workspace_name = ctx.workspace.name
    downloads[2].download_button(
        "Scorecard workbook (Excel)",
        lambda: scorecard_xlsx(result, targets_now, workspace=workspace_name),
        file_name="scorecard.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:",
        type="primary",
    )
    st.caption(
        f"The workbook holds the KPIs per {filters.period}"
        + (f" split by {literal(filters.by)}" if filters.by else "")
        + ": a summary with statuses, one sheet per component, the targets and the definitions."
    )
    st.subheader("Import targets", anchor=False)
    st.caption(
        "A CSV or Excel file with the columns kpi, segment, period, target and, if you like, green, amber and "
        "weight. Segment as attribute=value (e.g. region=North), empty for all customers; write tolerances "
        "with % to make them relative to the target."
    )
    upload = st.file_uploader("Targets file", type=["csv", "xlsx"], key="targets_upload")
    if upload is not None:
        try:
            rows = read_targets_file(upload.name, upload.getvalue())
            parsed = targets_from_frame(rows)
        except InputError as error:
            show_input_error(error)
        else:
            st.dataframe(rows, hide_index=True, width="stretch")
            st.button(
                f"Import {len(parsed)} target{'s' if len(parsed) != 1 else ''}",
                type="primary",
                on_click=_import,
                args=(rows,),
                key="targets_import",
                disabled=not parsed or ctx.read_only,
            )
