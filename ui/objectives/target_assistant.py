"""The Objectives page's "Set a target" tab: the target assistant and the per-period targets.

For the KPI chosen here and the segment chosen in the sidebar, it shows the current target, a
form to set one, what history says about it (:func:`bsc.assistant.assess_target`) with its
chart, and the target of each period before the due one. Its session-state keys:
``assistant_kpi`` and ``assistant_kpi_kept`` (the KPI, kept across page switches),
``assistant_seen`` (the target version last shown), the form's ``target_*`` keys (one set per
target version, so a newer version starts a fresh form) and the per-period ``trajectory_*`` keys.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from bsc.assistant.assessment import Assessment, assess_target, chance_text
from bsc.errors import InputError
from bsc.kpis import COMPONENT_NAMES, KPIS, KpiDef
from bsc.periods import Period, parse_period, upcoming_periods
from bsc.targets import Target
from ui.author import current_author
from ui.context import PageContext, show_input_error
from ui.filters import ALL_CUSTOMERS
from ui.objectives.context import ObjectivesContext
from ui.objectives.messages import save_and_tell
from ui.target_book import kpi_series, open_book
from ui.target_charts import assistant_chart
from ui.text import literal

# Due periods offered, and the one preselected for a new target, per period unit.
UPCOMING = {"month": 12, "quarter": 8, "year": 3}
DEFAULT_AHEAD = {"month": 5, "quarter": 1, "year": 0}
FORM_FIELDS = ("due", "goal", "weight", "mode", "green", "amber")


def upcoming_due_periods(unit: str, after: Period | None) -> list[str]:
    """The due periods a target may get: the next ones from today (or after ``after``)."""
    return upcoming_periods(unit, UPCOMING[unit], today=pd.Timestamp.now(tz="UTC").date(), after=after)


def show(view: ObjectivesContext, *, just_refused: bool) -> None:
    """The assistant for the sidebar's segment and period.

    ``just_refused``: this run follows a save refused because someone else saved first (the
    refusal already says so; no second note about their change).
    """
    available = view.available_kpis()
    if not available:
        st.info("No KPI can be computed from this workspace yet.")
        return
    kpi = _pick_kpi(available)
    definition = KPIS[kpi]
    by, segment = view.filters.by, view.filters.segment
    if by is not None and segment is not None and kpi in dict(view.result.not_split):
        st.info(f"{definition.name} is not split by {literal(by)}: the target is for all customers.")
        by, segment = None, None
    if segment is None:
        by = None
    unit = view.filters.period
    series = kpi_series(view.result, kpi, segment)
    monthly = series
    if unit != "month":
        monthly = kpi_series(view.kpis("month", by), kpi, segment)
    dated = series[(series["period"] != "all") & series["value"].notna()]
    last = max((parse_period(p) for p in dated["period"]), key=lambda p: p.index, default=None)
    existing = view.book.find_target(kpi, by, segment)
    whom = ALL_CUSTOMERS.lower() if segment is None else f"{by} {segment}"
    st.caption(
        f"For **{literal(whom)}**, per {unit}. Change the split, segment and period in the sidebar "
        "(targets on a segment need the split by its attribute)."
    )

    what = {"kpi": kpi, "by": by, "segment": segment}
    version = existing.version if existing else 0
    _tell_about_changes_by_others(what, version, existing, view.author, just_refused)
    if existing:
        st.markdown(
            f"**Current target:** {literal(existing.describe())} · set by {literal(existing.updated_by)} "
            f"on {existing.updated_at:%Y-%m-%d %H:%M} UTC · version {existing.version}"
        )
    else:
        st.markdown(f"**No target yet** for {literal(definition.name)} · {literal(whom)}.")

    options = upcoming_due_periods(unit, last)
    if existing and existing.due_period in options:
        due_default = options.index(existing.due_period)
    else:
        due_default = min(DEFAULT_AHEAD[unit], len(options) - 1)
    try:
        first_look = assess_target(series, kpi=kpi, due_period=options[due_default], monthly=monthly)
    except InputError as error:
        show_input_error(error)
        return
    draft = f"{kpi}|{by}|{segment}|{version}"
    keys = {name: f"target_{name}_{draft}" for name in FORM_FIELDS}
    due, goal = _target_form(
        view.page,
        definition,
        what,
        existing,
        keys,
        options=options,
        due_default=due_default,
        goal_default=_goal_default(definition, existing, first_look),
    )

    try:
        assessment = assess_target(series, kpi=kpi, due_period=due, proposed=goal, monthly=monthly)
    except InputError as error:
        show_input_error(error)
        return
    _show_assessment(definition, assessment, unit, due, goal, view.currency)
    if not assessment.path.empty and goal is not None:
        draft_target = Target(
            kpi,
            goal,
            due,
            baseline=assessment.last_value if assessment.last_period else None,
            baseline_period=assessment.last_period,
        )
        st.space("small")
        st.altair_chart(
            assistant_chart(
                definition,
                assessment,
                existing if existing and existing.goal == goal else draft_target,
                currency=view.currency,
            ),
            width="stretch",
        )
    if existing:
        trajectory_editor(view.page, existing)


def _pick_kpi(available: list[str]) -> str:
    # The selectbox's own key is dropped on a page switch: the choice is kept in a key of our own.
    kept = st.session_state.get("assistant_kpi_kept", "nps")
    kpi = st.selectbox(
        "KPI",
        available,
        index=available.index(kept) if kept in available else 0,
        format_func=lambda k: f"{KPIS[k].name} ({COMPONENT_NAMES[KPIS[k].component]})",
        key="assistant_kpi",
    )
    st.session_state["assistant_kpi_kept"] = kpi
    return kpi


def _tell_about_changes_by_others(
    what: dict[str, Any], version: int, existing: Target | None, author: str, just_refused: bool
) -> None:
    """A note when someone else saved this target since the last run drew it."""
    seen = st.session_state.get("assistant_seen")
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


def _goal_default(definition: KpiDef, existing: Target | None, first_look: Assessment) -> float | None:
    """The current goal, else the trend's projection, else the latest value; on the input's grid.

    None (an empty field) when there is nothing to start from: a made-up 0 would read as a
    proposal, and its "chance" as a verdict."""
    if existing:
        goal = existing.goal
    elif not math.isnan(first_look.projection):
        goal = first_look.projection
    elif not math.isnan(first_look.last_value):
        goal = first_look.last_value
    else:
        return None
    low, high = definition.limits
    return round(min(max(goal, low), high) / definition.step) * definition.step


def _target_form(
    page: PageContext,
    definition: KpiDef,
    what: dict[str, Any],
    existing: Target | None,
    keys: dict[str, str],
    *,
    options: list[str],
    due_default: int,
    goal_default: float | None,
) -> tuple[str, float | None]:
    """The form to check and save a target; returns the due period and goal it shows."""
    low, high = definition.limits
    with st.form("target_form", border=True):
        due_column, goal_column, weight_column = st.columns([1, 1, 1])
        due = due_column.selectbox("Due", options, index=due_default, key=keys["due"])
        goal = goal_column.number_input(
            f"Target ({'lower' if definition.direction == 'lower' else 'higher'} is better)",
            min_value=None if math.isinf(low) else low,
            max_value=None if math.isinf(high) else high,
            value=None if goal_default is None else float(goal_default),
            placeholder="type the value to reach",
            step=definition.step,
            format=definition.input_format,
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
            disabled=page.read_only,
            args=(
                page,
                what,
                keys,
                existing.version if existing else None,
                existing.trajectory if existing else (),
            ),
        )
    return due, goal


def _save_target(
    page: PageContext,
    what: dict[str, Any],
    keys: dict[str, str],
    expected_version: int | None,
    trajectory: tuple,
) -> None:
    state = st.session_state

    def save() -> str:
        due = state[keys["due"]]
        if state[keys["goal"]] is None:
            raise InputError("Type the value to reach first: the target field is empty.")
        target = Target(
            kpi=what["kpi"],
            goal=state[keys["goal"]],
            due_period=due,
            segment_by=what["by"],
            segment=what["segment"],
            # Typed per-period targets after the (new) due period no longer apply.
            trajectory=tuple(
                p for p in trajectory if parse_period(p[0]).end_month < parse_period(due).end_month
            ),
            band_mode=state[keys["mode"]],
            green=state[keys["green"]],
            amber=state[keys["amber"]],
            weight=state[keys["weight"]],
        )
        saved = open_book(page).set_target(target, author=current_author(), expected_version=expected_version)
        return f"Saved: {saved.label}, {saved.describe()}."

    save_and_tell(save)


def _show_assessment(
    definition: KpiDef,
    assessment: Assessment,
    unit: str,
    due: str,
    goal: float | None,
    currency: str | None = None,
) -> None:
    """The verdict with its reasons, then the baseline, range, trend and chance as metrics."""
    if assessment.verdict == "implausible":
        st.warning(assessment.warning, icon=":material/warning:")
    elif assessment.verdict in ("realistic", "stretch"):
        lead = (
            "Realistic." if assessment.verdict == "realistic" else "A stretch, but history makes it possible."
        )
        st.success(f"{lead} {' '.join(assessment.reasons)}", icon=":material/check:")
    else:
        st.info(" ".join(assessment.reasons), icon=":material/info:")

    unit_word = definition.unit_title(currency)
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
        "Chance of reaching it"
        if goal is None
        else f"Chance of reaching {definition.format_value(goal, currency=currency)}",
        "—" if assessment.probability is None else chance_text(assessment.probability).replace("about ", ""),
        # Without a trend there is no chance to give: the reason, not a 0%.
        help=" ".join(assessment.reasons) if assessment.probability is None and assessment.reasons else None,
    )


def trajectory_editor(page: PageContext, target: Target) -> None:
    """The target of each period before the due one: a straight ramp, or values typed in a table."""
    due = parse_period(target.due_period)
    start = parse_period(target.baseline_period) if target.baseline_period else None
    if start is not None and start.unit == due.unit:
        first = start.shift(1)
    else:
        first = parse_period(upcoming_due_periods(due.unit, None)[0])
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
                disabled=True if page.read_only else ["Period"],
                column_config={"Target": st.column_config.NumberColumn(format="%.2f")},
                width="stretch",
            )
            st.form_submit_button(
                "Save per-period targets",
                icon=":material/timeline:",
                on_click=_save_trajectory,
                args=(page, target.id, target.version, key, periods, ramp),
                disabled=page.read_only,
            )
        if target.trajectory:
            st.button(
                "Back to a straight line",
                on_click=_straight_ramp,
                args=(page, target.id, target.version),
                key=f"straight_{target.id}",
                disabled=page.read_only,
            )


def _save_trajectory(
    page: PageContext, target_id: str, version: int, key: str, periods: list[str], ramp: list[float]
) -> None:
    def save() -> str:
        edits = (st.session_state.get(key) or {}).get("edited_rows", {})
        values = dict(zip(periods, ramp, strict=True))
        for position, changes in edits.items():
            if "Target" in changes and changes["Target"] is not None:
                values[periods[int(position)]] = changes["Target"]
        saved = open_book(page).update_target(
            target_id, {"trajectory": values}, author=current_author(), expected_version=version
        )
        return f"Saved the per-period targets of {saved.label}."

    save_and_tell(save)


def _straight_ramp(page: PageContext, target_id: str, version: int) -> None:
    def save() -> str:
        saved = open_book(page).update_target(
            target_id, {"trajectory": {}}, author=current_author(), expected_version=version
        )
        return f"{saved.label} follows a straight line to its goal again."

    save_and_tell(save)
