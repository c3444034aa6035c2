"""Computing the scorecard of a workspace: :func:`compute_kpis` and its :class:`KpiResult`.

Also the workspace's date range and the monthly cohort retention table of the Scorecard page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from bsc.engine import Backend, default_backend
from bsc.errors import InputError
from bsc.kpis.coverage import Bounds
from bsc.kpis.frames import TOTAL
from bsc.kpis.record import KpiDef, KpiParams
from bsc.kpis.registry import KPIS
from bsc.kpis.same_days import SAME_DAYS_COLUMNS, same_days_before
from bsc.kpis.sources import Scorecard, Unavailable
from bsc.kpis.tables import Tables, columns_by_kind, customer_period_table
from bsc.periods import GRANULARITIES, Granularity, period_label
from bsc.result_files import keep_type
from bsc.schema import KINDS

# The periods a scorecard can be computed per (kept under this name for the pages and the CLI).
PERIODS = GRANULARITIES


@keep_type
@dataclass(frozen=True)
class KpiResult:
    """The scorecard: values per KPI, period and segment, and what could not be computed.

    Attributes
    ----------
    values
        Columns ``kpi, period, segment, value, numerator, denominator, n, ci_low, ci_high,
        std_error, complete, reason``; ``segment`` is NA on the all-customers rows;
        ``ci_low``/``ci_high`` are set for sample statistics only; ``std_error`` (the value's
        standard error, in its unit) for the KPIs whose change test needs it (NPS and means).
        ``complete`` is false for a period the KPI's data covers only in part (cut short by the
        end or the start of the data: a value "to date"); ``reason`` says why a value cannot be
        known from the data (then every number of the row is NA), e.g. churn in the first months
        of a transaction log.
    unavailable
        ``(kpi, reason)`` for each KPI that could not be computed at all.
    not_split
        ``(kpi, reason)`` for each KPI computed for all customers only although ``by`` was set.
    notes
        Method and assumptions per KPI where there is a choice (churn method, CLV margin...).
    coverage
        Per dated KPI, the first and last date of the data behind it (of the tables its roles
        come from; where several, the latest first and the earliest last date).
    same_days
        For a period the transaction log covers only in part, the order KPIs over the same days
        of the period before (see :func:`bsc.kpis.same_days.same_days_before`).
    assumptions
        Structured assumptions per KPI (the CLV's margin, churn base and discounting).
    """

    values: pd.DataFrame
    unavailable: list[tuple[str, str]]
    not_split: list[tuple[str, str]]
    notes: dict[str, str]
    period: Granularity
    by: str | None
    params: KpiParams
    coverage: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=dict)
    same_days: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SAME_DAYS_COLUMNS))
    assumptions: dict[str, dict[str, object]] = field(default_factory=dict)

    def kpi(self, kpi_id: str) -> pd.DataFrame:
        """The rows of one KPI."""
        return self.values[self.values["kpi"] == kpi_id].reset_index(drop=True)


def compute_kpis(
    tables: Tables,
    *,
    period: Granularity = "month",
    by: str | None = None,
    params: KpiParams | None = None,
    backend: Backend | None = None,
    kpis: Iterable[str] | None = None,
) -> KpiResult:
    """Compute the scorecard for a workspace.

    Parameters
    ----------
    tables
        Table kind id (see :mod:`bsc.schema`) -> canonical Parquet files of that kind; several
        files of a kind are unioned. Kinds that are not product kinds are ignored.
    period
        ``"month"``, ``"quarter"``, ``"year"`` or ``"all"``.
    by
        A segment attribute (one of :func:`segment_attributes`), or None for all customers.
    params
        Assumptions; :class:`KpiParams` defaults when None.
    backend
        Where to compute; :func:`bsc.engine.default_backend` when None.
    kpis
        Only these KPI ids (default: every KPI of :data:`KPIS`).

    Returns
    -------
    KpiResult
        A KPI whose roles are missing is listed in ``unavailable`` with the reason; it never
        raises. Periods the data covers only in part are marked (``complete``), values the data
        cannot know are NA with a ``reason``.

    Raises
    ------
    InputError
        For an unknown period, KPI id or segment attribute, or unreadable tables.
    """
    if period not in PERIODS:
        raise InputError(f"Unknown period {period!r}; choose one of {', '.join(PERIODS)}.")
    wanted = list(KPIS) if kpis is None else list(kpis)
    unknown = [kpi for kpi in wanted if kpi not in KPIS]
    if unknown:
        raise InputError(f"Unknown KPI(s) {', '.join(unknown)}; known KPIs are {', '.join(KPIS)}.")
    params = params or KpiParams()
    scorecard = Scorecard(tables, period=period, by=by, params=params, backend=backend or default_backend())

    frames: list[pd.DataFrame] = []
    unavailable: list[tuple[str, str]] = []
    not_split: list[tuple[str, str]] = []
    coverage: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
    for kpi_id in wanted:
        definition = KPIS[kpi_id]
        reason = definition.missing_roles(scorecard.roles)
        if reason is None:
            try:
                rows = definition.compute(scorecard)
            except Unavailable as error:
                reason = str(error)
        if reason is not None:
            unavailable.append((kpi_id, reason))
            continue
        if by is not None and len(rows) and not (rows["segment"] != TOTAL).any():
            not_split.append((kpi_id, _not_split_reason(definition, by)))
        frames.append(rows.assign(kpi=kpi_id))
        bounds = _kpi_coverage(scorecard, definition)
        if bounds is not None:
            coverage[kpi_id] = bounds
    computed = [kpi for kpi in wanted if kpi not in dict(unavailable)]
    return KpiResult(
        values=_finish(frames, period),
        unavailable=unavailable,
        not_split=not_split,
        notes={kpi: note for kpi, note in scorecard.notes.items() if kpi in wanted},
        period=period,
        by=by,
        params=params,
        coverage=coverage,
        same_days=same_days_before(scorecard, computed),
        assumptions={kpi: facts for kpi, facts in scorecard.assumptions.items() if kpi in wanted},
    )


def _kpi_coverage(scorecard: Scorecard, definition: KpiDef) -> Bounds:
    """The dates the data behind a KPI covers: of the tables of its first role set present."""
    option = next(
        (roles for roles in definition.requires if all(scorecard.has(*role.split(".")) for role in roles)),
        (),
    )
    kinds = dict.fromkeys(role.split(".")[0] for role in option)
    bounds = [
        scorecard.coverage(kind) for kind in kinds if kind != "feedback" or scorecard.has("feedback", "date")
    ]
    bounds = [bound for bound in bounds if bound is not None]
    if not bounds:
        return None
    return max(bound[0] for bound in bounds), min(bound[1] for bound in bounds)


def whole_periods(values: pd.DataFrame) -> pd.Series:
    """Which rows of a KPI frame are of a period the data covers whole (``complete``).

    A frame without a ``complete`` column (made by hand, or by an older release) counts every
    period as whole.
    """
    if "complete" not in values:
        return pd.Series(True, index=values.index)
    return values["complete"].fillna(True).astype(bool)


def whole_known(values: pd.DataFrame) -> pd.Series:
    """Which rows of a KPI frame hold a value of a whole period: known (a value) and complete.

    Targets, their baselines and the assistant's trend read only these rows: a period "to date"
    is not compared with whole ones.
    """
    return values["value"].notna() & whole_periods(values)


def latest_basis(values: pd.DataFrame) -> pd.Series:
    """The rows a target or trend reads: those of whole periods with a value, or, when no period
    with a value is whole (data covering a few weeks), every row with a value."""
    whole = whole_known(values)
    return whole if whole.any() else values["value"].notna()


def date_range(tables: Tables, *, backend: Backend | None = None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last date over every date role of every table, or None without dates."""
    backend = backend or default_backend()
    lows: list[pd.Timestamp] = []
    highs: list[pd.Timestamp] = []
    for kind, columns in columns_by_kind(tables).items():
        dates = [role.id for role in KINDS[kind].roles if role.type == "date" and role.id in columns]
        if not dates:
            continue
        table = backend.read(kind, tables[kind])
        bounds = {}
        for column in dates:
            bounds[f"{column}_min"] = table[column].min()
            bounds[f"{column}_max"] = table[column].max()
        row = backend.execute(table.aggregate(**bounds)).iloc[0]
        lows += [pd.Timestamp(row[f"{column}_min"]) for column in dates if pd.notna(row[f"{column}_min"])]
        highs += [pd.Timestamp(row[f"{column}_max"]) for column in dates if pd.notna(row[f"{column}_max"])]
    if not lows:
        return None
    return min(lows), max(highs)


def cohort_retention(tables: Tables, *, backend: Backend | None = None) -> pd.DataFrame:
    """Monthly acquisition cohorts × months since first order, for a retention heatmap.

    A customer's cohort is the month of their first order; they count as retained in month
    *k* of the cohort when they order in the *k*-th calendar month after it.

    .. math:: \\mathrm{retention}_{c,k} = 100 \\cdot
        \\frac{\\#\\{\\text{customers of cohort } c \\text{ ordering in month } c + k\\}}
        {\\#\\{\\text{customers of cohort } c\\}}

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort`` ("2024-01"), ``months_since_first`` (0, 1, ...), ``customers``,
        ``cohort_size``, ``retention`` (%, 100 at month 0). Only (cohort, month) pairs with at
        least one ordering customer are listed. Empty (same columns) without a transaction
        table holding customer ids and dates.
    """
    columns = ["cohort", "months_since_first", "customers", "cohort_size", "retention"]
    present = columns_by_kind(tables).get("transactions", {})
    if not {"customer_id", "date"} <= set(present):
        return pd.DataFrame(columns=columns)
    backend = backend or default_backend()
    months = customer_period_table(backend, tables["transactions"], "month")
    months = months.select("customer_id", month=months.period)
    months = months.mutate(cohort=months.month.min().over(group_by=months.customer_id))
    months = months.mutate(
        months_since_first=(months.month.year() - months.cohort.year()) * 12
        + months.month.month()
        - months.cohort.month()
    )
    counts = backend.execute(
        months.group_by("cohort", "months_since_first").aggregate(customers=months.count())
    )
    if counts.empty:
        return pd.DataFrame(columns=columns)
    counts["cohort"] = pd.to_datetime(counts["cohort"])
    counts = counts.sort_values(["cohort", "months_since_first"], ignore_index=True)
    sizes = counts[counts["months_since_first"] == 0].set_index("cohort")["customers"]
    counts["cohort_size"] = counts["cohort"].map(sizes).astype("int64")
    counts["customers"] = counts["customers"].astype("int64")
    counts["months_since_first"] = counts["months_since_first"].astype("int64")
    counts["retention"] = 100.0 * counts["customers"] / counts["cohort_size"]
    counts["cohort"] = counts["cohort"].dt.strftime("%Y-%m")
    return counts[columns]


def _finish(frames: list[pd.DataFrame], unit: str) -> pd.DataFrame:
    columns = [
        *("kpi", "period", "segment", "value", "numerator", "denominator", "n", "ci_low", "ci_high"),
        "std_error",
        *("complete", "reason"),
    ]
    if not frames:
        return pd.DataFrame({column: pd.Series(dtype="float64") for column in columns}).astype(
            {"kpi": "string", "period": "string", "segment": "string", "n": "Int64", "complete": "bool"}
            | {"reason": "string"}
        )
    values = pd.concat(frames, ignore_index=True)
    order = {kpi: position for position, kpi in enumerate(KPIS)}
    values["_order"] = values["kpi"].map(order)
    values["_total"] = values["segment"] != TOTAL
    values = values.sort_values(["_order", "period", "_total", "segment"], ignore_index=True)
    labels = {start: period_label(pd.Timestamp(start), unit) for start in values["period"].unique()}
    values["period"] = values["period"].map(labels)
    values["segment"] = values["segment"].where(values["segment"] != TOTAL, None)
    values = values[columns].astype(
        {"kpi": "string", "period": "string", "segment": "string", "complete": "bool", "reason": "string"}
    )
    values["n"] = values["n"].round().astype("Int64")
    return values


def _not_split_reason(definition: KpiDef, by: str) -> str:
    if definition.split == "channel":
        return f"marketing figures split only by channel, not by {by}; shown for all customers"
    if definition.split == "none":
        return "the market is not broken down by segment; shown for all customers"
    return f"its data cannot be linked to {by}; shown for all customers"
