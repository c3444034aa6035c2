"""The KPI registry and its computations: the customer perspective of the Balanced Scorecard.

Each KPI is one :class:`KpiDef` record in :data:`KPIS` (its formula as shown to users, the
roles it needs, unit, direction, parameters, how its values are written, the values it can take,
whether it is a total) plus a short function that turns a few small
per-period tables of sums and counts into values. Those tables are computed by Ibis
expressions over the workspace's canonical Parquet tables, a handful of queries in all (one
per source table, whatever the number of KPIs), so the same definitions run unchanged on
DuckDB (the default) and on Spark (see :mod:`bsc.engine`); only the final divisions and the
confidence intervals (:mod:`bsc.stats`) happen in pandas, on frames of a few hundred rows.

Some tables are derived once per set of files and kept in memory by the backend, since no
setting changes them: one row per order; one row per customer and month (quarter, year, all
time) with orders; one row per customer of the customers table (see :func:`load_tables`).

Conventions
-----------
- Periods are calendar months ("2024-01"), quarters ("2024-Q1"), years ("2024"), or "all".
  A table without dates (feedback without a date column, a churn flag) is reported under
  "all" whatever period is asked for. Every period between the first and last one with data
  is reported, empty periods included (counts 0, ratios NaN).
- Segments: ``by`` names a segment attribute (see :func:`segment_attributes`). A customer
  attribute reaches facts of other tables through ``customer_id``; where there is no customers
  table, a categorical column of the fact table itself serves. Rows whose customer has no
  value for the attribute (or is not in the customers table) form the segment "(unknown)".
  The all-customers rows (``segment`` NA) are always present. A KPI whose data cannot be linked
  to the attribute is computed for all customers only and listed in :attr:`KpiResult.not_split`.
  Marketing figures (CPA, conversion rate) split only by channel: ``by="acquisition_channel"``
  (or ``"channel"``) pairs the marketing ``channel`` with the customers' acquisition channel.
- An order is a distinct ``order_id``; without order ids, a distinct customer and day.
  Transaction lines without a customer id or date are left out.
- Percentages are on 0–100; numerator and denominator are the raw quantities behind a value
  (e.g. promoters − detractors and responses for the NPS).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from bsc import stats
from bsc.engine import ASSIGNMENTS, Backend, default_backend, table_columns
from bsc.errors import InputError
from bsc.periods import (
    ALL_TIME,
    GRANULARITIES,
    PANDAS_FREQ,
    TRUNCATE_UNIT,
    Granularity,
    period_label,
    period_start,
)
from bsc.schema import KINDS

__all__ = [
    "COMPONENTS",
    "COMPONENT_NAMES",
    "KPIS",
    "PERIODS",
    "UNKNOWN_SEGMENT",
    "KpiDef",
    "KpiParams",
    "KpiResult",
    "cohort_retention",
    "compute_kpis",
    "date_range",
    "format_number",
    "load_tables",
    "segment_attributes",
]

Component = Literal["satisfaction", "retention", "acquisition", "loyalty", "service"]
COMPONENTS: tuple[Component, ...] = ("satisfaction", "retention", "acquisition", "loyalty", "service")
COMPONENT_NAMES: dict[Component, str] = {
    "satisfaction": "Satisfaction",
    "retention": "Retention",
    "acquisition": "Acquisition",
    "loyalty": "Loyalty and value",
    "service": "Service",
}
# The periods a scorecard can be computed per (kept under this name for the pages and the CLI).
PERIODS = GRANULARITIES
ChurnMethod = Literal["auto", "churn_date", "churn_flag", "inactivity"]
UNKNOWN_SEGMENT = "(unknown)"

Tables = Mapping[str, Sequence[Path | str]]

# Internal markers, replaced before results leave this module.
_TOTAL = "\x00all customers"
_CHANNEL_ALIASES = ("acquisition_channel", "channel")
_DEFAULT_CSI_WEIGHTS = (("ces", 1.0), ("csat", 1.0), ("nps", 1.0), ("rating", 1.0))


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiParams:
    """Assumptions behind the KPIs, with defaults; change them with ``dataclasses.replace``.

    Parameters
    ----------
    inactivity_days
        For a transaction log, a customer is active while their last order is at most this many
        days old; churned once it is older (default 90).
    margin
        Gross margin on revenue used by the CLV, as a fraction (default 0.30).
    csi_weights
        Weights of the satisfaction KPIs in the customer satisfaction index, by KPI id
        (``nps``, ``csat``, ``ces``, ``rating``); a mapping is accepted and stored as sorted
        pairs. Default: equal weights.
    rating_scale
        Lowest and highest possible rating, used to rescale ratings to 0–100 in the CSI
        (default 1 to 5).
    market_size_unit
        Whether the marketing table's market size counts revenue (default) or customers;
        market share divides our revenue or our active customers by it.
    churn_method
        ``"auto"`` (churn dates, else the churn flag, else the inactivity window), or one of
        ``"churn_date"``, ``"churn_flag"``, ``"inactivity"`` to force a method.
    confidence
        Confidence level of the intervals of sample statistics (default 0.95).
    """

    inactivity_days: int = 90
    margin: float = 0.30
    csi_weights: tuple[tuple[str, float], ...] = _DEFAULT_CSI_WEIGHTS
    rating_scale: tuple[float, float] = (1.0, 5.0)
    market_size_unit: Literal["revenue", "customers"] = "revenue"
    churn_method: ChurnMethod = "auto"
    confidence: float = 0.95

    def __post_init__(self) -> None:
        weights = self.csi_weights
        if isinstance(weights, Mapping):
            weights = tuple(weights.items())
        weights = tuple(sorted((str(kpi), float(weight)) for kpi, weight in weights))
        object.__setattr__(self, "csi_weights", weights)
        object.__setattr__(self, "rating_scale", tuple(float(bound) for bound in self.rating_scale))
        problems = []
        if not (isinstance(self.inactivity_days, int) and self.inactivity_days >= 1):
            problems.append(
                f"the inactivity window must be a whole number of days ≥ 1, not {self.inactivity_days}"
            )
        if not 0.0 < self.margin <= 1.0:
            problems.append(f"the margin must be a fraction between 0 and 1 (e.g. 0.3), not {self.margin}")
        unknown = sorted(set(dict(weights)) - {"nps", "csat", "ces", "rating"})
        if unknown:
            problems.append(
                f"CSI weights can only be given for nps, csat, ces and rating, not {', '.join(unknown)}"
            )
        if any(weight < 0 for _, weight in weights) or not any(weight > 0 for _, weight in weights):
            problems.append("CSI weights must be ≥ 0 with at least one above 0")
        low, high = self.rating_scale
        if not high > low:
            problems.append(f"the rating scale must run from a lower to a higher value, not {low} to {high}")
        if self.market_size_unit not in ("revenue", "customers"):
            problems.append(
                f"the market size unit must be 'revenue' or 'customers', not {self.market_size_unit!r}"
            )
        if self.churn_method not in ("auto", "churn_date", "churn_flag", "inactivity"):
            problems.append(f"unknown churn method {self.churn_method!r}")
        if not 0.0 < self.confidence < 1.0:
            problems.append(f"the confidence level must lie between 0 and 1, not {self.confidence}")
        if problems:
            raise InputError("Invalid KPI settings: " + "; ".join(problems) + ".")

    def csi_weight(self, kpi: str) -> float:
        """Weight of one satisfaction KPI in the CSI (0 when not listed)."""
        return dict(self.csi_weights).get(kpi, 0.0)


# What follows a formatted value, by unit. Counts, money, scores and orders go bare: their unit
# words belong in the label or column title, where they are said once for every value.
_VALUE_SUFFIXES = {"%": "%", "points": " points", "hours": " h"}
# Excel number formats of the workbook, by unit: the same suffixes as on screen.
_EXCEL_FORMATS = {
    "%": '0.0"%"',
    "points": "0.0",
    "score": "0.00",
    "index": "0.0",
    "count": "#,##0",
    "money": "#,##0.00",
    "orders": "0.00",
    "hours": '0.0" h"',
}


def format_number(value: float | None, *, signed: bool = False) -> str:
    """A number to about three significant digits: "35", "74.5", "2.46", "0.045", "12,346".

    Decimals: none from 1,000 (with thousands separators), one from 10, two from 0.1, three
    below; trailing zeros are dropped (35.0 -> "35"). A value that rounds to zero is "0", never
    "-0". With ``signed``, values above zero get a "+". None and NaN are "—".
    """
    if value is None or pd.isna(value):
        return "—"
    value = float(value)
    size = abs(value)
    decimals = 0 if size >= 1000 else 1 if size >= 10 else 2 if size >= 0.1 else 3
    if round(value, decimals) == 0:
        value = 0.0  # -0.0004 would otherwise read "-0"
    text = f"{value:{'+' if signed and value else ''},.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True)
class KpiDef:
    """One KPI of the registry: every fact about it, and the function that computes it.

    Attributes
    ----------
    short_name
        The title of its tile, short enough to fit a fifth of a projector-wide page
        (18 characters at most), so that no title is cut off.
    requires
        Alternatives of role sets, each role written ``kind.role``: the KPI is available when
        every role of at least one set is present.
    unit
        ``"%"``, ``"points"`` (NPS), ``"score"``, ``"index"`` (0–100), ``"count"``,
        ``"money"``, ``"orders"`` or ``"hours"``; it decides the suffix of a formatted value.
    unit_words
        The unit as a reader says it, for axis titles and labels: "%", "points", "customers",
        "money", "hours"...
    step, input_format
        Step of the +/− buttons of a number input for a target, and its ``printf`` format.
    split
        How the KPI splits by segment: ``"customer"`` (through the customer id), ``"channel"``
        (marketing channel only) or ``"none"`` (all customers only).
    description
        What the value means and its edge cases, for the definitions page.
    limits
        Lowest and highest value the KPI can take at all (a target outside is refused).
    total
        A sum or count over the period (revenue, orders, customers): it grows with the length
        of the period, and several periods pool by a plain mean, not weighted by their n.
    period_rate
        A rate of what happens within the period (churn, repeat purchases, growth, orders or
        revenue per customer): not a total, but like one, a quarter's value is not comparable
        with a month's.
    signed
        Values are changes (customer growth): written with a sign, "+2.5%".
    """

    id: str
    name: str
    short_name: str
    component: Component
    formula: str
    requires: tuple[tuple[str, ...], ...]
    unit: str
    unit_words: str
    step: float
    input_format: str
    direction: Literal["higher", "lower"]
    compute: Callable[[_Scorecard], pd.DataFrame] = field(repr=False, compare=False)
    description: str = ""
    sample_statistic: bool = False
    parameters: tuple[str, ...] = ()
    split: Literal["customer", "channel", "none"] = "customer"
    limits: tuple[float, float] = (-math.inf, math.inf)
    total: bool = False
    period_rate: bool = False
    signed: bool = False

    def format_value(self, value: float | None, *, unit: bool = True) -> str:
        """A value as shown everywhere: "35 points", "74.5%", "2.46", "1,234", "12.5 h", "+2.5%".

        The number as :func:`format_number` writes it, followed by the unit's suffix ("%",
        " points", " h"; nothing for counts, money, scores and orders, nor when ``unit`` is
        false). NPS is unsigned ("35 points", "-12 points"): a sign marks changes, such as the
        tile's delta or customer growth. None and NaN are "—".
        """
        text = format_number(value, signed=self.signed)
        if not unit or text == "—":
            return text
        return text + _VALUE_SUFFIXES.get(self.unit, "")

    @property
    def excel_format(self) -> str:
        """The workbook's number format for values of this KPI."""
        number = _EXCEL_FORMATS.get(self.unit, "General")
        return f"+{number};-{number};{number}" if self.signed else number

    @property
    def depends_on_period_length(self) -> bool:
        """Whether a value over a quarter differs from one over a month by the length alone."""
        return self.total or self.period_rate

    def check_limits(self, value: float, what: str) -> None:
        """Refuse ``value`` outside :attr:`limits`: "{what} for {name} must be between ..."."""
        low, high = self.limits
        if not low <= value <= high:
            span = f"between {low:g} and {high:g}" if math.isfinite(high) else f"at least {low:g}"
            raise InputError(f"{what} for {self.name} must be {span}, not {value:g}.")

    def missing_roles(self, present: Mapping[str, Iterable[str]]) -> str | None:
        """Why the KPI cannot be computed from tables holding ``present`` roles (None if it can)."""
        roles = {f"{kind}.{role}" for kind, kind_roles in present.items() for role in kind_roles}
        if any(set(option) <= roles for option in self.requires):
            return None
        options = [" and ".join(_role_label(role) for role in option) for option in self.requires]
        return "needs " + "; or ".join(options)


@dataclass(frozen=True)
class KpiResult:
    """The scorecard: values per KPI, period and segment, and what could not be computed.

    Attributes
    ----------
    values
        Columns ``kpi, period, segment, value, numerator, denominator, n, ci_low, ci_high``;
        ``segment`` is NA on the all-customers rows; ``ci_low``/``ci_high`` are set for sample
        statistics only.
    unavailable
        ``(kpi, reason)`` for each KPI that could not be computed at all.
    not_split
        ``(kpi, reason)`` for each KPI computed for all customers only although ``by`` was set.
    notes
        Method and assumptions per KPI where there is a choice (churn method, CLV margin...).
    """

    values: pd.DataFrame
    unavailable: list[tuple[str, str]]
    not_split: list[tuple[str, str]]
    notes: dict[str, str]
    period: Granularity
    by: str | None
    params: KpiParams

    def kpi(self, kpi_id: str) -> pd.DataFrame:
        """The rows of one KPI."""
        return self.values[self.values["kpi"] == kpi_id].reset_index(drop=True)


class _Unavailable(Exception):
    """A KPI cannot be computed from this workspace; the message says why."""


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


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
        raises.

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
    scorecard = _Scorecard(tables, period=period, by=by, params=params, backend=backend or default_backend())

    frames: list[pd.DataFrame] = []
    unavailable: list[tuple[str, str]] = []
    not_split: list[tuple[str, str]] = []
    for kpi_id in wanted:
        definition = KPIS[kpi_id]
        reason = definition.missing_roles(scorecard.roles)
        if reason is None:
            try:
                rows = definition.compute(scorecard)
            except _Unavailable as error:
                reason = str(error)
        if reason is not None:
            unavailable.append((kpi_id, reason))
            continue
        if by is not None and len(rows) and not (rows["segment"] != _TOTAL).any():
            not_split.append((kpi_id, _not_split_reason(definition, by)))
        frames.append(rows.assign(kpi=kpi_id))
    return KpiResult(
        values=_finish(frames, period),
        unavailable=unavailable,
        not_split=not_split,
        notes={kpi: note for kpi, note in scorecard.notes.items() if kpi in wanted},
        period=period,
        by=by,
        params=params,
    )


def load_tables(tables: Tables, *, backend: Backend | None = None) -> None:
    """Read a workspace's tables into the backend's memory ahead of the first scorecard.

    Reads every kind and derives, once per set of files, the tables the KPI queries start from:
    one row per order, orders and revenue per customer and period (month, quarter, year, all
    time), one row per customer. Optional: :func:`compute_kpis` derives what it needs on first
    use.
    """
    backend = backend or default_backend()
    paths = {kind: list(files) for kind, files in tables.items() if kind in KINDS and files}
    for kind, files in paths.items():
        backend.read(kind, files)
    if "transactions" in paths:
        for unit in PERIODS:
            _customer_period_table(backend, paths["transactions"], unit)
    if "customers" in paths:
        backend.derive("customers", "customers", paths["customers"], _one_row_per_customer)


def segment_attributes(tables: Tables) -> list[str]:
    """The attributes a scorecard can be split by, sorted.

    The segment (string) columns of the customers table and its acquisition channel; where
    there is no customers table, the segment columns of the fact tables. When only the
    marketing table has a channel, ``"channel"`` (it splits the marketing KPIs). Saved
    segmentations (``tables["assignments"]``) add their segment columns.
    Reads file footers only.
    """
    columns = _columns_by_kind(tables)
    attributes: set[str] = set(_assigned_attributes(tables))
    if "customers" in columns:
        attributes |= _segment_columns(columns["customers"], "customers")
        if "acquisition_channel" in columns["customers"]:
            attributes.add("acquisition_channel")
    else:
        for kind in ("transactions", "feedback", "support"):
            attributes |= _segment_columns(columns.get(kind, {}), kind)
    if "channel" in columns.get("marketing", {}) and not attributes & set(_CHANNEL_ALIASES):
        attributes.add("channel")
    return sorted(attributes)


def date_range(tables: Tables, *, backend: Backend | None = None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last date over every date role of every table, or None without dates."""
    backend = backend or default_backend()
    lows: list[pd.Timestamp] = []
    highs: list[pd.Timestamp] = []
    for kind, columns in _columns_by_kind(tables).items():
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
    present = _columns_by_kind(tables).get("transactions", {})
    if not {"customer_id", "date"} <= set(present):
        return pd.DataFrame(columns=columns)
    backend = backend or default_backend()
    months = _customer_period_table(backend, tables["transactions"], "month")
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


# --------------------------------------------------------------------------------------------
# The per-workspace computation: a few Ibis queries, each returning a small frame
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """Sums and counts of one source table per period and segment.

    ``frame`` has columns ``period`` (period start, or ``ALL_TIME``), ``segment`` (``_TOTAL``
    on the all-customers rows) and the measures; every period between the first and the last
    is present for every segment.
    """

    frame: pd.DataFrame
    split: bool


class _Scorecard:
    """The workspace seen by the KPI functions: tables, period, segment and the shared sources.

    Each source (orders, customers, surveys, tickets, marketing) is one Ibis query run on
    first use and shared by every KPI that needs it.
    """

    def __init__(
        self, tables: Tables, *, period: Granularity, by: str | None, params: KpiParams, backend: Backend
    ) -> None:
        self.paths = {kind: list(paths) for kind, paths in tables.items() if kind in KINDS and paths}
        self.assignments = list(tables.get(ASSIGNMENTS, []))
        self.columns = _columns_by_kind(self.paths)
        self.roles = {
            kind: {role for role in KINDS[kind].role_ids if role in columns}
            for kind, columns in self.columns.items()
        }
        self.period = period
        self.params = params
        self.backend = backend
        self.notes: dict[str, str] = {}
        self.by = by
        self._data_bounds: dict[tuple[str, str], tuple[pd.Timestamp, pd.Timestamp] | None] = {}
        self._churn: dict[str, pd.DataFrame] = {}
        self._customer_segment_column = self._resolve_segment(by)

    # -- tables, periods and segments --------------------------------------------------------

    def has(self, kind: str, *roles: str) -> bool:
        return set(roles) <= self.roles.get(kind, set())

    def table(self, kind: str) -> ir.Table:
        return self.backend.read(kind, self.paths[kind])

    def _resolve_segment(self, by: str | None) -> str | None:
        """The customers column behind ``by`` (None when it is not a customer attribute)."""
        if by is None:
            return None
        tables = {**self.paths, ASSIGNMENTS: self.assignments}
        if by not in segment_attributes(tables) and by not in _CHANNEL_ALIASES:
            choices = segment_attributes(tables)
            listed = ", ".join(choices) if choices else "none in this workspace"
            raise InputError(f"'{by}' is not a segment attribute of these tables; choose one of: {listed}.")
        if by in _assigned_attributes({ASSIGNMENTS: self.assignments}):
            return by
        customers = self.columns.get("customers", {})
        if by in customers and (
            by == "acquisition_channel" or by in _segment_columns(customers, "customers")
        ):
            return by
        if by in _CHANNEL_ALIASES and "acquisition_channel" in customers:
            return "acquisition_channel"
        return None

    def own_segment_column(self, kind: str) -> str | None:
        """A column of ``kind`` itself that carries the segment, when customers do not."""
        if self.by is None or self._customer_segment_column is not None:
            return None
        columns = self.columns.get(kind, {})
        if kind == "marketing":
            return None
        if self.by in _segment_columns(columns, kind):
            return self.by
        return None

    def period_key(self, column: ir.TimestampValue) -> ir.TimestampValue | None:
        """Start of the period of a date column, None for ``period="all"``."""
        if self.period == "all":
            return None
        return column.truncate(TRUNCATE_UNIT[self.period])

    def lifetime_period_key(self, column: ir.TimestampValue) -> ir.TimestampValue:
        """Period start used for lifetimes; yearly when the scorecard is over all time."""
        unit = "year" if self.period == "all" else self.period
        return column.truncate(TRUNCATE_UNIT[unit])

    @functools.cached_property
    def customer_attributes(self) -> ir.Table | None:
        """One row per customer: ``_segment`` (when split by a customer attribute), ``_member``,
        ``_signup_date``, ``_churn_date`` and ``_churned``, as far as the customers table has them.

        Internal columns start with "_", which no canonical column name does, so that joining
        them to a fact table never clashes with the fact's own columns.
        """
        assigned = self.assigned_segments
        if "customers" not in self.paths:
            return assigned
        customers = self.backend.derive(
            "customers", "customers", self.paths["customers"], _one_row_per_customer
        )
        if assigned is not None:
            customers = customers.left_join(assigned, "customer_id").drop("customer_id_right")
        elif self._customer_segment_column is not None:
            customers = customers.mutate(_segment=customers[self._customer_segment_column])
        wanted = ["_segment", "_member", "_signup_date", "_churn_date", "_churned"]
        return customers.select("customer_id", *[column for column in wanted if column in customers.columns])

    @functools.cached_property
    def assigned_segments(self) -> ir.Table | None:
        """``customer_id`` and ``_segment`` from the saved segmentation split by (None otherwise).

        Without a customers table these are the customer attributes; with one, they are joined
        onto it, so that the customers table still says who the customers are.
        """
        column = self._customer_segment_column
        if column is None or column not in _assigned_attributes({ASSIGNMENTS: self.assignments}):
            return None
        saved = self.backend.read(ASSIGNMENTS, self.assignments)
        saved = saved.filter(saved.customer_id.notnull() & saved[column].notnull())
        return saved.group_by("customer_id").aggregate(_segment=saved[column].max())

    def segment_mode(self, kind: str) -> Literal["customer", "row"] | None:
        """How facts of ``kind`` get their segment.

        ``"customer"``: from the customers table through ``customer_id`` (each customer in one
        segment, so segment sums add up to the total); ``"row"``: from the fact's own column;
        None: the facts cannot be split.
        """
        if self._customer_segment_column is not None:
            if kind == "customers" and self.assigned_segments is not None:
                return "customer"
            return "customer" if "customer_id" in self.roles.get(kind, set()) else None
        return "row" if self.own_segment_column(kind) is not None else None

    def with_own_segment(self, table: ir.Table, kind: str) -> ir.Table:
        """Add ``_segment`` from the fact table's own column (``"row"`` mode)."""
        return table.mutate(_segment=table[self.own_segment_column(kind)].fill_null(UNKNOWN_SEGMENT))

    def join_customers(self, table: ir.Table, *columns: str) -> ir.Table:
        """Add customer attributes (``_segment``, ``_member``) through ``customer_id``.

        Facts of customers missing from the customers table get the segment "(unknown)" and
        count as non-members.
        """
        attributes = self.customer_attributes.select("customer_id", *columns)
        table = table.left_join(attributes, "customer_id").drop("customer_id_right")
        fills = {"_segment": UNKNOWN_SEGMENT, "_member": False}
        return table.mutate(**{column: table[column].fill_null(fills[column]) for column in columns})

    def segmented(self, table: ir.Table, kind: str) -> tuple[ir.Table, Literal["customer", "row"] | None]:
        """``table`` with a ``_segment`` column when it can be split, and the segment mode."""
        mode = self.segment_mode(kind)
        if mode == "customer":
            table = self.join_customers(table, "_segment")
        elif mode == "row":
            table = self.with_own_segment(table, kind)
        return table, mode

    def run(self, table: ir.Table, keys: Mapping[str, ir.Value | None], **measures: ir.Value) -> pd.DataFrame:
        """Group ``table`` by the non-None ``keys`` and execute; a None period key means all time."""
        groups = {name: key for name, key in keys.items() if key is not None}
        expression = table.group_by(**groups).aggregate(**measures) if groups else table.aggregate(**measures)
        frame = self.backend.execute(expression)
        if "period" in keys and keys["period"] is None:
            frame["period"] = ALL_TIME
        return frame

    @functools.cached_property
    def order_table(self) -> ir.Table:
        """One row per order (see :func:`_orders_from_lines`), derived once per loaded table."""
        return _order_table(self.backend, self.paths["transactions"])

    @functools.cached_property
    def customer_period_table(self) -> ir.Table:
        """Orders and revenue per customer and period, derived once per loaded table."""
        return _customer_period_table(self.backend, self.paths["transactions"], self.period)

    @property
    def dated_lines(self) -> ir.Table:
        """Transaction lines with a customer id and a date."""
        lines = self.table("transactions")
        lines = lines.filter(lines.customer_id.notnull() & lines.date.notnull())
        return lines if "amount" in lines.columns else lines.mutate(amount=ibis.null("float64"))

    def data_bounds(self, kind: str, column: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The first and last date of a column (None when it has none)."""
        if (kind, column) not in self._data_bounds:
            table = self.table(kind)
            row = self.backend.execute(table.aggregate(first=table[column].min(), last=table[column].max()))
            first, last = row["first"].iloc[0], row["last"].iloc[0]
            self._data_bounds[kind, column] = (
                None if pd.isna(last) else (pd.Timestamp(first), pd.Timestamp(last))
            )
        return self._data_bounds[kind, column]

    def data_end(self, kind: str, column: str) -> pd.Timestamp | None:
        """The last date of a column (None when it has none)."""
        bounds = self.data_bounds(kind, column)
        return None if bounds is None else bounds[1]

    # -- sources -----------------------------------------------------------------------------

    @functools.cached_property
    def orders(self) -> _Source:
        """Per period and segment: active customers, orders, revenue, repeat buyers, members.

        One query from the customer-month table: customers in the period -> period and
        segment. With segments from a column of the order lines, a second branch sums the lines
        by segment.
        """
        mode = self.segment_mode("transactions")
        per_customer = self.customer_period_table
        if self.period == "all":
            # A constant period keeps one query shape for every period choice.
            per_customer = per_customer.mutate(period=ibis.literal(0))
        attributes = ["_segment"] if mode == "customer" else []
        if self.has("customers", "customer_id", "loyalty_member"):
            attributes.append("_member")
        if attributes:
            per_customer = self.join_customers(per_customer, *attributes)

        def period_sums(table: ir.Table, segment: ir.Value) -> ir.Table:
            return table.group_by(period=table.period, segment=segment).aggregate(
                active=table.count(),
                orders=table.orders.sum(),
                revenue=table.revenue.sum(),
                repeaters=(table.orders >= 2).sum(),
                members=table["_member"].sum() if "_member" in table.columns else ibis.literal(0),
            )

        expression = period_sums(
            per_customer, per_customer["_segment"] if mode == "customer" else ibis.literal(_TOTAL)
        )
        if mode == "row":
            # Segments come from the order lines, and an order or a customer may span several;
            # the total above counts each once.
            lines = self.with_own_segment(self.dated_lines, "transactions")
            if self.has("transactions", "order_id"):
                order_key = lines.order_id.fill_null("day " + lines.date.truncate("D").cast("string"))
            else:
                order_key = lines.date.truncate("D")
            line_period = self.period_key(lines.date)
            line_period = line_period if line_period is not None else ibis.literal(0)
            # Same type as the total's period (a loaded table may carry a timestamp precision).
            lines = lines.mutate(period=line_period.cast(per_customer["period"].type()), order_key=order_key)
            keys = ["customer_id", "period", "_segment"]
            per_order = lines.group_by(*keys, "order_key").aggregate(revenue=lines.amount.sum())
            per_segment = per_order.group_by(*keys).aggregate(
                orders=per_order.count(), revenue=per_order.revenue.sum()
            )
            if "_member" in attributes:
                per_segment = self.join_customers(per_segment, "_member")
            expression = period_sums(per_segment, per_segment["_segment"]).union(expression)
        frame = self.backend.execute(expression)
        if self.period == "all":
            frame["period"] = ALL_TIME
        frame = _complete(
            frame, self.period, fill_zero=["active", "orders", "revenue", "repeaters", "members"]
        )
        if mode == "customer":
            frame = _with_totals(frame)
        return _Source(frame, split=mode is not None)

    @functools.cached_property
    def customer_list(self) -> tuple[ir.Table, Literal["customer", "row"] | None]:
        """One row per known customer: segment, acquisition date, churn date and flag, membership.

        Customers are those of the customers table, acquired at their signup date. Without
        signup dates, the customers of the transactions join them, acquired at their first
        order. With a segment from a transaction column, a customer whose orders carry several
        values counts under the greatest one (so that each customer is counted once).
        """
        attributes = self.customer_attributes
        mode = self.segment_mode("customers") if attributes is not None else None
        if not self.has("customers", "signup_date") and self.has("transactions", "customer_id", "date"):
            lines = self.order_table
            measures: dict[str, ir.Value] = {"_first_order": lines.date.min()}
            if attributes is None and self.segment_mode("transactions") == "row":
                lines = self.with_own_segment(self.dated_lines, "transactions")
                measures = {"_first_order": lines.date.min(), "_segment": lines["_segment"].max()}
                mode = "row"
            first_orders = lines.group_by("customer_id").aggregate(**measures)
            if attributes is None:
                return first_orders.rename(_acquired="_first_order"), mode
            if "customers" not in self.paths:
                # Saved segments without a customers table: the buyers are still the customers.
                customers = first_orders.left_join(attributes, "customer_id").drop("customer_id_right")
                customers = customers.rename(_acquired="_first_order")
                return customers.mutate(_segment=customers["_segment"].fill_null(UNKNOWN_SEGMENT)), mode
            joined = attributes.outer_join(first_orders, "customer_id")
            customers = joined.mutate(
                customer_id=joined.customer_id.fill_null(joined.customer_id_right),
                _acquired=joined["_first_order"],
            ).drop("customer_id_right", "_first_order")
        elif attributes is None or "customers" not in self.paths:
            raise _Unavailable("needs a customers table or a transaction log with customer ids")
        elif "_signup_date" in attributes.columns:
            customers = attributes.rename(_acquired="_signup_date")
        else:
            customers = attributes.mutate(_acquired=ibis.null("timestamp"))
        if mode == "customer":
            customers = customers.mutate(_segment=customers["_segment"].fill_null(UNKNOWN_SEGMENT))
        return customers, mode

    @functools.cached_property
    def lifetimes(self) -> _Source:
        """Customers counted by (segment, acquisition period, churn period, churn flag, membership).

        Missing dates are NaT: acquired before the data / not churned.
        """
        customers, mode = self.customer_list
        keys: dict[str, ir.Value] = {
            "segment": customers["_segment"] if mode else ibis.literal(_TOTAL),
            "start": self.lifetime_period_key(customers["_acquired"]),
            "end": self.lifetime_period_key(customers["_churn_date"])
            if "_churn_date" in customers.columns
            else ibis.null("timestamp"),
            "churned": customers["_churned"] if "_churned" in customers.columns else ibis.null("boolean"),
            "member": customers["_member"] if "_member" in customers.columns else ibis.null("boolean"),
        }
        frame = self.backend.execute(customers.group_by(**keys).aggregate(customers=customers.count()))
        frame["start"] = pd.to_datetime(frame["start"])
        frame["end"] = pd.to_datetime(frame["end"])
        if mode:
            frame = pd.concat([frame, frame.assign(segment=_TOTAL)], ignore_index=True)
        return _Source(frame, split=mode is not None)

    @functools.cached_property
    def spells(self) -> _Source:
        """Activity spells of a transaction log, counted by (segment, start period, lapse period).

        A customer is active from an order until ``inactivity_days`` have passed without one.
        Consecutive orders at most that many days apart form one spell; a spell lapses
        ``inactivity_days`` after its last order, if that day is within the data (else it is
        still running, lapse NaT). ``first`` marks each customer's first spell.
        """
        window = self.params.inactivity_days
        last_day = self.data_end("transactions", "date")
        if last_day is None:
            return _Source(pd.DataFrame(columns=["segment", "start", "end", "first", "spells"]), split=False)
        last_day = last_day.normalize()
        mode = self.segment_mode("transactions")
        lines = self.with_own_segment(self.dated_lines, "transactions") if mode == "row" else self.order_table
        # Distinct days first: ties in the ordering would make the two windows disagree.
        day_measures = {"_segment": lines["_segment"].max()} if mode == "row" else {}
        days = lines.group_by("customer_id", day=lines.date.truncate("D")).aggregate(**day_measures)
        by_customer = ibis.window(group_by=days.customer_id, order_by=days.day)
        previous = days.day.lag().over(by_customer)
        gap_too_long = days.day > previous + ibis.interval(days=window)
        days = days.mutate(new_spell=(previous.isnull() | gap_too_long).cast("int64"))
        so_far = ibis.cumulative_window(group_by=days.customer_id, order_by=days.day)
        days = days.mutate(spell=days.new_spell.sum().over(so_far))
        spell_measures = {"_segment": days["_segment"].max()} if mode == "row" else {}
        spells = days.group_by("customer_id", "spell").aggregate(
            start=days.day.min(), last=days.day.max(), **spell_measures
        )
        if mode == "customer":
            spells = self.join_customers(spells, "_segment")
        lapse = spells["last"] + ibis.interval(days=window)
        keys = {
            "segment": spells["_segment"] if mode else ibis.literal(_TOTAL),
            "start": self.lifetime_period_key(spells.start),
            "end": ibis.ifelse(lapse <= last_day, self.lifetime_period_key(lapse), ibis.null("timestamp")),
            "first": spells.spell == 1,
        }
        frame = self.backend.execute(spells.group_by(**keys).aggregate(spells=spells.count()))
        frame["start"] = pd.to_datetime(frame["start"])
        frame["end"] = pd.to_datetime(frame["end"])
        if mode:
            frame = pd.concat([frame, frame.assign(segment=_TOTAL)], ignore_index=True)
        return _Source(frame, split=mode is not None)

    @functools.cached_property
    def surveys(self) -> _Source:
        """Per period and segment: promoters, detractors, satisfied, sums and counts of scores.

        Scores outside their scale (NPS 0–10, CSAT 1–5, CES 1–7) are left out.
        """
        feedback = self.table("feedback")
        dated = self.has("feedback", "date")
        if dated and self.period != "all":
            feedback = feedback.filter(feedback.date.notnull())
        feedback, mode = self.segmented(feedback, "feedback")
        measures: dict[str, ir.Value] = {}
        scores = [role for role in ("nps", "csat", "ces", "rating") if self.has("feedback", role)]
        if self.has("feedback", "nps"):
            nps = feedback.nps
            valid = nps.between(0, 10)
            measures |= {
                "promoters": (valid & (nps >= 9)).sum(),
                "detractors": (valid & (nps <= 6)).sum(),
                "nps_n": valid.sum(),
            }
        if self.has("feedback", "csat"):
            valid = feedback.csat.between(1, 5)
            measures |= {"satisfied": (valid & (feedback.csat >= 4)).sum(), "csat_n": valid.sum()}
        if self.has("feedback", "ces"):
            ces = ibis.ifelse(feedback.ces.between(1, 7), feedback.ces, ibis.null("float64"))
            measures |= {"ces_sum": ces.sum(), "ces_squares": (ces * ces).sum(), "ces_n": ces.count()}
        if self.has("feedback", "rating"):
            rating = feedback.rating
            measures |= {
                "rating_sum": rating.sum(),
                "rating_squares": (rating * rating).sum(),
                "rating_n": rating.count(),
            }
        answered = ibis.or_(*[feedback[score].notnull() for score in scores])
        measures["responses"] = answered.sum()
        period = self.period_key(feedback.date) if dated else None
        frame = self.run(
            feedback,
            {"period": period, "segment": feedback["_segment"] if mode else None},
            **measures,
        )
        if not dated:
            frame["period"] = ALL_TIME
        if not mode:
            frame["segment"] = _TOTAL
        frame = _complete(frame, self.period if dated else "all", fill_zero=list(measures))
        if mode:
            frame = _with_totals(frame)
        return _Source(frame, split=mode is not None)

    @functools.cached_property
    def tickets(self) -> _Source:
        """Per period and segment: median, mean, sum and count of response and resolution hours.

        Durations below zero (a response before the ticket was opened) are left out.
        """
        support = self.table("support")
        if self.period != "all":
            support = support.filter(support.opened_at.notnull())
        support, mode = self.segmented(support, "support")
        hours: dict[str, ir.Value] = {}
        if self.has("support", "response_minutes"):
            hours["first_response"] = support.response_minutes / 60.0
        if self.has("support", "first_response_at"):
            elapsed = _hours_between(support.opened_at, support.first_response_at)
            hours["first_response"] = hours["first_response"].fill_null(elapsed) if hours else elapsed
        if self.has("support", "resolved_at"):
            hours["resolution"] = _hours_between(support.opened_at, support.resolved_at)
        support = support.mutate(
            **{name: ibis.ifelse(value >= 0, value, ibis.null("float64")) for name, value in hours.items()}
        )
        measures: dict[str, ir.Value] = {}
        for name in hours:
            column = support[name]
            measures |= {
                f"{name}_median": column.median(),
                f"{name}_sum": column.sum(),
                f"{name}_n": column.count(),
            }
        period = self.period_key(support.opened_at)

        def grouped(segment: ir.Value) -> ir.Table:
            keys = {"segment": segment} | ({"period": period} if period is not None else {})
            return support.group_by(**keys).aggregate(**measures)

        expression = grouped(ibis.literal(_TOTAL))
        if mode:
            expression = grouped(support["_segment"]).union(expression)
        frame = self.backend.execute(expression)
        if period is None:
            frame["period"] = ALL_TIME
        frame = _complete(frame, self.period, fill_zero=[f"{name}_n" for name in hours])
        return _Source(frame, split=mode is not None)

    @functools.cached_property
    def marketing(self) -> _Source:
        """Per period and channel: spend, leads and conversions (market size separately)."""
        marketing = self.table("marketing")
        if self.period != "all":
            marketing = marketing.filter(marketing.date.notnull())
        split = self.by is not None and self.by in _CHANNEL_ALIASES and self.has("marketing", "channel")
        measures = {
            role: marketing[role].sum()
            for role in ("spend", "leads", "conversions")
            if self.has("marketing", role)
        }
        if not measures:
            raise _Unavailable("the marketing table has no spend, leads or conversions")
        segment = marketing.channel.fill_null(UNKNOWN_SEGMENT) if split else None
        frame = self.run(
            marketing, {"period": self.period_key(marketing.date), "segment": segment}, **measures
        )
        if not split:
            frame["segment"] = _TOTAL
        frame = _complete(frame, self.period, fill_zero=list(measures))
        if split:
            frame = _with_totals(frame)
        return _Source(frame, split=split)

    @functools.cached_property
    def market_size(self) -> pd.DataFrame:
        """Market size per period: per date the mean over rows (channels repeat it), then per
        period the sum over dates (revenue) or their mean (customers)."""
        marketing = self.table("marketing")
        marketing = marketing.filter(marketing.market_size.notnull() & marketing.date.notnull())
        per_date = marketing.group_by("date").aggregate(market_size=marketing.market_size.mean())
        combine = (
            per_date.market_size.sum
            if self.params.market_size_unit == "revenue"
            else per_date.market_size.mean
        )
        frame = self.run(per_date, {"period": self.period_key(per_date.date)}, market_size=combine())
        frame["segment"] = _TOTAL
        return _complete(frame, self.period, fill_zero=[])

    # -- derived tables shared by several KPIs -----------------------------------------------

    def churn_method(self, *, per_period: bool = False) -> str:
        """The churn method in use (see :class:`KpiParams`); raises _Unavailable if none fits."""
        possible = {
            "churn_date": self.has("customers", "customer_id", "churn_date"),
            "churn_flag": self.has("customers", "customer_id", "churn"),
            "inactivity": self.has("transactions", "customer_id", "date"),
        }
        method = self.params.churn_method
        if per_period and method in ("auto", "churn_flag"):
            method = next((name for name in ("churn_date", "inactivity") if possible[name]), "none")
            if method == "none":
                raise _Unavailable(
                    "needs churn per period: churn dates, or a transaction log with customer ids"
                )
        if method == "auto":
            method = next((name for name, ok in possible.items() if ok), "none")
            if method == "none":
                raise _Unavailable("needs churn dates, a churn flag, or a transaction log with customer ids")
        if not possible[method]:
            raise _Unavailable(f"the chosen churn method '{method}' needs data this workspace lacks")
        return method

    def churn(self, method: str) -> pd.DataFrame:
        """Per period and segment: customers active at the period's start and those who churned."""
        if method not in self._churn:
            self._churn[method] = self._compute_churn(method)
        return self._churn[method]

    def _compute_churn(self, method: str) -> pd.DataFrame:
        if method == "churn_flag":
            grid = self.lifetimes.frame
            known = grid[grid["churned"].notna()]
            frame = known.assign(churned=known["customers"].where(known["churned"].astype(bool), 0))
            frame = frame.groupby("segment", as_index=False)[["customers", "churned"]].sum()
            return frame.rename(columns={"customers": "at_start"}).assign(period=ALL_TIME)
        if method == "churn_date":
            grid = self.lifetimes.frame.rename(columns={"customers": "count"})
        else:
            grid = self.spells.frame.rename(columns={"spells": "count"})
        keys = ["segment", "start", "end"] + (["first"] if method == "inactivity" else [])
        grid = grid.groupby(keys, dropna=False, as_index=False)["count"].sum()
        if self.period == "all":
            return _churn_over_all_time(grid, method)
        return _churn_per_period(grid, self.period, self._churn_periods(grid, method))

    def _churn_periods(self, grid: pd.DataFrame, method: str) -> pd.DatetimeIndex:
        """The periods in which churn is observed.

        For a transaction log, those of the log. From churn dates, from the first order (or,
        without transactions, the first churn date) to the last date known: earlier signups
        tell who was a customer, but not whether anyone left before the data begins.
        """
        orders = self.data_bounds("transactions", "date") if self.has("transactions", "date") else None
        lifetime_dates = pd.concat([grid["start"], grid["end"]]).dropna()
        churn_dates = grid["end"].dropna()
        first = last = None
        if method == "inactivity" or orders is not None:
            first, last = orders if orders is not None else (None, None)
        elif len(lifetime_dates):
            first = churn_dates.min() if len(churn_dates) else lifetime_dates.min()
        if method != "inactivity" and len(lifetime_dates):
            last = lifetime_dates.max() if last is None else max(last, lifetime_dates.max())
        if first is None or last is None:
            return pd.DatetimeIndex([])
        return pd.date_range(
            period_start(first, self.period),
            period_start(last, self.period),
            freq=PANDAS_FREQ[self.period],
        )

    def new_customers(self) -> pd.DataFrame:
        """Per period and segment: customers acquired (signup, else first order) in the period.

        Acquired by first order, periods run to the last order, so that months without a new
        customer show 0.
        """
        grid = self.lifetimes.frame
        dated = grid[grid["start"].notna()]
        if self.period == "all":
            counted = dated.groupby("segment", as_index=False)["customers"].sum().assign(period=ALL_TIME)
        else:
            counted = dated.groupby(["start", "segment"], as_index=False)["customers"].sum()
            counted = counted.rename(columns={"start": "period"})
        until = None
        if self.period != "all" and not self.has("customers", "signup_date"):
            last_order = self.data_end("transactions", "date")
            until = None if last_order is None else period_start(last_order, self.period)
        counted = counted.rename(columns={"customers": "new_customers"})
        return _complete(counted, self.period, ["new_customers"], until=until)


# --------------------------------------------------------------------------------------------
# Churn from lifetimes
# --------------------------------------------------------------------------------------------


def _churn_per_period(grid: pd.DataFrame, unit: str, periods: pd.DatetimeIndex) -> pd.DataFrame:
    """Active at each period's start, churned during it, and the customer base at its end.

    ``grid`` counts lifetimes by (segment, start, end) period, NaT meaning "before the data"
    for a start and "not ended" for an end. For a period starting at S:

    - active at start = lifetimes started before S and not ended before S;
    - churned = those of them whose end falls in the period (a lifetime that starts and ends
      within one period is in neither, as it was not active at the start);
    - base at end = lifetimes started by the period's end and not ended by it.
    """
    if not len(periods):
        return pd.DataFrame(columns=["period", "segment", "at_start", "churned", "base_at_end"])
    starts = periods.to_numpy()
    next_starts = np.append(starts[1:], (periods[-1] + periods.freq).to_datetime64())
    rows = []
    for segment, lifetimes in grid.groupby("segment"):
        count = lifetimes["count"].to_numpy(dtype=float)[:, None]
        begun = lifetimes["start"].fillna(pd.Timestamp.min).to_numpy()[:, None]
        ended = lifetimes["end"].to_numpy()[:, None]
        started_before = begun < starts
        ended_before = ended < starts  # NaT compares False: not ended
        rows.append(
            pd.DataFrame(
                {
                    "period": periods,
                    "segment": segment,
                    "at_start": (count * (started_before & ~ended_before)).sum(axis=0),
                    "churned": (count * (started_before & ~ended_before & (ended < next_starts))).sum(axis=0),
                    "base_at_end": (count * ((begun < next_starts) & ~(ended < next_starts))).sum(axis=0),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _churn_over_all_time(grid: pd.DataFrame, method: str) -> pd.DataFrame:
    """Share of customers whose relationship had ended by the end of the data.

    From churn dates: customers with a churn date ÷ customers. From spells: customers whose last
    spell lapsed ÷ customers; every spell but a customer's last has lapsed, so that is
    lapsed spells − (spells − customers).
    """
    rows = []
    for segment, lifetimes in grid.groupby("segment"):
        total = float(lifetimes["count"].sum())
        lapsed = float(lifetimes.loc[lifetimes["end"].notna(), "count"].sum())
        if method == "inactivity":
            customers = float(lifetimes.loc[lifetimes["first"].astype(bool), "count"].sum())
            churned = lapsed - (total - customers)
        else:
            customers, churned = total, lapsed
        rows.append({"period": ALL_TIME, "segment": segment, "at_start": customers, "churned": churned})
    return pd.DataFrame(rows, columns=["period", "segment", "at_start", "churned"])


# --------------------------------------------------------------------------------------------
# KPI functions: each turns shared sources into rows of
# period, segment, value, numerator, denominator, n, ci_low, ci_high
# --------------------------------------------------------------------------------------------


def _nps(card: _Scorecard) -> pd.DataFrame:
    frame = card.surveys.frame
    low, high = stats.nps_interval(
        frame["promoters"], frame["detractors"], frame["nps_n"], card.params.confidence
    )
    net = frame["promoters"] - frame["detractors"]
    return _rows(frame, 100.0 * _ratio(net, frame["nps_n"]), net, frame["nps_n"], frame["nps_n"], (low, high))


def _csat(card: _Scorecard) -> pd.DataFrame:
    frame = card.surveys.frame
    low, high = stats.wilson_interval(frame["satisfied"], frame["csat_n"], card.params.confidence)
    value = 100.0 * _ratio(frame["satisfied"], frame["csat_n"])
    return _rows(
        frame, value, frame["satisfied"], frame["csat_n"], frame["csat_n"], (100.0 * low, 100.0 * high)
    )


def _mean_score(score: str) -> Callable[[_Scorecard], pd.DataFrame]:
    def compute(card: _Scorecard) -> pd.DataFrame:
        frame = card.surveys.frame
        total, squares, n = frame[f"{score}_sum"], frame[f"{score}_squares"], frame[f"{score}_n"]
        low, high = stats.mean_interval(total, squares, n, card.params.confidence)
        return _rows(frame, _ratio(total, n), total, n, n, (low, high))

    return compute


def _csi(card: _Scorecard) -> pd.DataFrame:
    """Weighted mean of the available satisfaction KPIs, each rescaled to 0–100."""
    frame = card.surveys.frame
    low, high = card.params.rating_scale
    scores: dict[str, pd.Series] = {}
    if card.has("feedback", "nps"):
        scores["nps"] = (
            100.0 * _ratio(frame["promoters"] - frame["detractors"], frame["nps_n"]) + 100.0
        ) / 2.0
    if card.has("feedback", "csat"):
        scores["csat"] = 100.0 * _ratio(frame["satisfied"], frame["csat_n"])
    if card.has("feedback", "ces"):
        scores["ces"] = 100.0 * (_ratio(frame["ces_sum"], frame["ces_n"]) - 1.0) / 6.0
    if card.has("feedback", "rating"):
        scores["rating"] = 100.0 * (_ratio(frame["rating_sum"], frame["rating_n"]) - low) / (high - low)
    weights = {kpi: card.params.csi_weight(kpi) for kpi in scores if card.params.csi_weight(kpi) > 0}
    if not weights:
        raise _Unavailable("none of the satisfaction KPIs with a CSI weight above 0 is available")
    weighted = sum(scores[kpi].fillna(0.0) * weight for kpi, weight in weights.items())
    weight_sum = sum(scores[kpi].notna() * weight for kpi, weight in weights.items())
    card.notes["csi"] = (
        "Weighted mean of "
        + ", ".join(f"{kpi.upper()} (weight {weight:g})" for kpi, weight in weights.items())
        + f", each rescaled to 0–100; ratings on a {low:g}–{high:g} scale."
    )
    return _rows(frame, _ratio(weighted, weight_sum), weighted, weight_sum, frame["responses"])


def _responses(card: _Scorecard) -> pd.DataFrame:
    frame = card.surveys.frame
    return _rows(frame, frame["responses"], frame["responses"], np.nan, frame["responses"])


def _order_count(measure: str) -> Callable[[_Scorecard], pd.DataFrame]:
    def compute(card: _Scorecard) -> pd.DataFrame:
        frame = card.orders.frame
        return _rows(frame, frame[measure], frame[measure], np.nan, frame[measure])

    return compute


def _revenue(card: _Scorecard) -> pd.DataFrame:
    frame = card.orders.frame
    return _rows(frame, frame["revenue"], frame["revenue"], np.nan, frame["orders"])


def _order_ratio(
    numerator: str, denominator: str, scale: float = 1.0
) -> Callable[[_Scorecard], pd.DataFrame]:
    def compute(card: _Scorecard) -> pd.DataFrame:
        frame = card.orders.frame
        value = scale * _ratio(frame[numerator], frame[denominator])
        return _rows(frame, value, frame[numerator], frame[denominator], frame[denominator])

    return compute


def _loyalty_engagement(card: _Scorecard) -> pd.DataFrame:
    if card.has("transactions", "customer_id", "date"):
        card.notes["loyalty_engagement"] = "Loyalty members among the customers who ordered in the period."
        frame = card.orders.frame
        return _rows(
            frame,
            100.0 * _ratio(frame["members"], frame["active"]),
            frame["members"],
            frame["active"],
            frame["active"],
        )
    grid = card.lifetimes.frame
    current = grid[grid["end"].isna() & ~grid["churned"].fillna(False).astype(bool)]
    current = current.assign(
        members=current["customers"].where(current["member"].fillna(False).astype(bool), 0)
    )
    frame = current.groupby("segment", as_index=False)[["customers", "members"]].sum().assign(period=ALL_TIME)
    card.notes["loyalty_engagement"] = (
        "Loyalty members among current (not churned) customers; no orders to date it."
    )
    share = 100.0 * _ratio(frame["members"], frame["customers"])
    return _rows(frame, share, frame["members"], frame["customers"], frame["customers"])


def _churn_rows(retained: bool) -> Callable[[_Scorecard], pd.DataFrame]:
    def compute(card: _Scorecard) -> pd.DataFrame:
        method = card.churn_method()
        frame = card.churn(method)
        card.notes["churn_rate"] = card.notes["retention_rate"] = _churn_note(
            method, card.params, card.period
        )
        kept = frame["at_start"] - frame["churned"]
        numerator = kept if retained else frame["churned"]
        return _rows(
            frame,
            100.0 * _ratio(numerator, frame["at_start"]),
            numerator,
            frame["at_start"],
            frame["at_start"],
        )

    return compute


def _new_customers(card: _Scorecard) -> pd.DataFrame:
    frame = card.new_customers()
    card.notes["new_customers"] = (
        "Customers by signup date."
        if card.has("customers", "signup_date")
        else "Customers by first order date."
    )
    return _rows(frame, frame["new_customers"], frame["new_customers"], np.nan, frame["new_customers"])


def _cpa(card: _Scorecard) -> pd.DataFrame:
    marketing = card.marketing.frame
    if "spend" not in marketing:
        raise _Unavailable("the marketing table has no spend")
    new = card.new_customers()
    if not (card.marketing.split and card.lifetimes.split):
        # Spend by channel cannot be matched with new customers that have no channel.
        marketing = marketing[marketing["segment"] == _TOTAL]
    frame = _join(marketing, new, how="left")
    basis = "signup" if card.has("customers", "signup_date") else "first order"
    card.notes["cpa"] = f"Marketing spend ÷ new customers of the period (by {basis} date)."
    new_count = frame["new_customers"]
    return _rows(frame, _ratio(frame["spend"], new_count), frame["spend"], new_count, new_count)


def _conversion_rate(card: _Scorecard) -> pd.DataFrame:
    frame = card.marketing.frame
    value = 100.0 * _ratio(frame["conversions"], frame["leads"])
    return _rows(frame, value, frame["conversions"], frame["leads"], frame["leads"])


def _market_share(card: _Scorecard) -> pd.DataFrame:
    if card.period == "all":
        raise _Unavailable("market size is given per date; choose a month, quarter or year")
    ours = card.orders.frame
    ours = ours[ours["segment"] == _TOTAL]
    frame = _join(card.market_size, ours, how="left")
    if card.params.market_size_unit == "revenue":
        card.notes["market_share"] = "Our revenue ÷ market size (read as revenue)."
        ours_measure, n = frame["revenue"], frame["orders"]
    else:
        card.notes["market_share"] = "Our active customers ÷ market size (read as customers)."
        ours_measure, n = frame["active"], frame["active"]
    share = 100.0 * _ratio(ours_measure, frame["market_size"])
    return _rows(frame, share, ours_measure, frame["market_size"], n)


def _customer_growth(card: _Scorecard) -> pd.DataFrame:
    if card.period == "all":
        raise _Unavailable("growth compares periods; choose a month, quarter or year")
    if card.has("transactions", "customer_id", "date"):
        frame = card.orders.frame[["period", "segment", "active"]].rename(columns={"active": "customers"})
        card.notes["customer_growth"] = "Change in active (ordering) customers against the previous period."
    else:
        method = "churn_date" if card.has("customers", "churn_date") else "none"
        grid = card.lifetimes.frame.rename(columns={"customers": "count"})
        if method == "none":
            grid = grid.assign(end=pd.NaT)
        periods = card._churn_periods(grid, "churn_date")
        frame = _churn_per_period(grid, card.period, periods)[["period", "segment", "base_at_end"]]
        frame = frame.rename(columns={"base_at_end": "customers"})
        card.notes["customer_growth"] = (
            "Change in the customer base (signed up, not churned) at the period's end."
        )
    frame = frame.sort_values(["segment", "period"], ignore_index=True)
    previous = frame.groupby("segment")["customers"].shift(1)
    change = frame["customers"] - previous
    return _rows(frame, 100.0 * _ratio(change, previous), change, previous, frame["customers"])


def _clv(card: _Scorecard) -> pd.DataFrame:
    if card.period == "all":
        raise _Unavailable("CLV needs a churn rate per period; choose a month, quarter or year")
    method = card.churn_method(per_period=True)
    churn = card.churn(method)
    orders = card.orders.frame
    frame = _join(orders, churn, how="inner")
    margin = card.params.margin
    value_per_period = margin * _ratio(frame["revenue"], frame["active"])
    churn_share = _ratio(frame["churned"], frame["at_start"])
    card.notes["clv"] = (
        f"Average revenue per ordering customer in the period × margin {margin:.0%} ÷ churn rate of the "
        "period; assumes both stay as in that period, without discounting. Churn: "
        + _churn_note(method, card.params, card.period)
    )
    return _rows(frame, _ratio(value_per_period, churn_share), value_per_period, churn_share, frame["active"])


def _ticket_time(measure: str, statistic: Literal["median", "mean"]) -> Callable[[_Scorecard], pd.DataFrame]:
    def compute(card: _Scorecard) -> pd.DataFrame:
        frame = card.tickets.frame
        total, n = frame[f"{measure}_sum"], frame[f"{measure}_n"]
        if statistic == "median":
            return _rows(frame, frame[f"{measure}_median"], np.nan, np.nan, n)
        return _rows(frame, _ratio(total, n), total, n, n)

    return compute


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

_SCORES = (("feedback.nps",), ("feedback.csat",), ("feedback.ces",), ("feedback.rating",))
_ORDERS = ("transactions.customer_id", "transactions.date")
_REVENUE = (*_ORDERS, "transactions.amount")
_ACQUISITION = (("customers.customer_id", "customers.signup_date"), _ORDERS)
_FIRST_RESPONSE = (("support.opened_at", "support.first_response_at"), ("support.response_minutes",))
_RESOLUTION = (("support.opened_at", "support.resolved_at"),)
_CHURN = (
    ("customers.customer_id", "customers.churn_date"),
    ("customers.customer_id", "customers.churn"),
    _ORDERS,
)


def _registry(*definitions: KpiDef) -> dict[str, KpiDef]:
    return {definition.id: definition for definition in definitions}


KPIS: dict[str, KpiDef] = _registry(
    # Satisfaction
    KpiDef(
        id="nps",
        name="Net Promoter Score",
        short_name="NPS",
        component="satisfaction",
        formula="% promoters (9–10) − % detractors (0–6) of NPS responses",
        requires=(("feedback.nps",),),
        unit="points",
        unit_words="points",
        step=0.5,
        input_format="%.1f",
        direction="higher",
        compute=_nps,
        description="From −100 (all detractors) to +100 (all promoters); NaN in a period without responses. "
        "The interval comes from the variance of the +1/0/−1 score.",
        sample_statistic=True,
        parameters=("confidence",),
        limits=(-100.0, 100.0),
    ),
    KpiDef(
        id="csat",
        name="Customer satisfaction (CSAT)",
        short_name="CSAT",
        component="satisfaction",
        formula="responses of 4 or 5 ÷ responses on the 1–5 scale × 100",
        requires=(("feedback.csat",),),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_csat,
        description="Share of satisfied answers, with a Wilson interval; NaN without responses.",
        sample_statistic=True,
        parameters=("confidence",),
        limits=(0.0, 100.0),
    ),
    KpiDef(
        id="ces",
        name="Customer effort score (CES)",
        short_name="Effort (CES)",
        component="satisfaction",
        formula="mean answer to 'the company made it easy for me', 1 (strongly disagree) to 7 (strongly agree)",
        requires=(("feedback.ces",),),
        unit="score",
        unit_words="score 1–7",
        step=0.05,
        input_format="%.2f",
        direction="higher",
        compute=_mean_score("ces"),
        description="The CES 2.0 scale: higher means less effort for the customer. Student t interval; none "
        "with fewer than two responses.",
        sample_statistic=True,
        parameters=("confidence",),
        limits=(1.0, 7.0),
    ),
    KpiDef(
        id="rating",
        name="Average rating",
        short_name="Rating",
        component="satisfaction",
        formula="mean rating",
        requires=(("feedback.rating",),),
        unit="score",
        unit_words="score",
        step=0.05,
        input_format="%.2f",
        direction="higher",
        compute=_mean_score("rating"),
        description="Mean of the ratings given in the period, with a Student t interval.",
        sample_statistic=True,
        parameters=("confidence",),
    ),
    KpiDef(
        id="csi",
        name="Customer satisfaction index (CSI)",
        short_name="Satisfaction index",
        component="satisfaction",
        formula="Σ weight × KPI rescaled to 0–100 ÷ Σ weight, over the available NPS, CSAT, CES and rating",
        requires=_SCORES,
        unit="index",
        unit_words="index 0–100",
        step=0.5,
        input_format="%.1f",
        direction="higher",
        compute=_csi,
        description="Rescaling: (NPS + 100) ÷ 2; CSAT as is; (CES − 1) ÷ 6 × 100; "
        "(rating − lowest) ÷ (highest − lowest) × 100. A KPI without responses in a period drops out "
        "of that period's weights.",
        parameters=("csi_weights", "rating_scale"),
        limits=(0.0, 100.0),
    ),
    KpiDef(
        id="responses",
        name="Survey responses",
        short_name="Responses",
        component="satisfaction",
        formula="survey responses with at least one score",
        requires=_SCORES,
        unit="count",
        unit_words="responses",
        step=1.0,
        input_format="%.0f",
        direction="higher",
        compute=_responses,
        description="How many answers the satisfaction KPIs rest on.",
        limits=(0.0, math.inf),
        total=True,
    ),
    # Retention
    KpiDef(
        id="active_customers",
        name="Active customers",
        short_name="Active customers",
        component="retention",
        formula="distinct customers with an order in the period",
        requires=(_ORDERS,),
        unit="count",
        unit_words="customers",
        step=1.0,
        input_format="%.0f",
        direction="higher",
        compute=_order_count("active"),
        description="0 in a period without orders.",
        limits=(0.0, math.inf),
        total=True,
    ),
    KpiDef(
        id="churn_rate",
        name="Churn rate",
        short_name="Churn rate",
        component="retention",
        formula="customers churned in the period ÷ customers active at its start × 100",
        requires=_CHURN,
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_churn_rows(retained=False),
        description="From churn dates; else from a churn flag (share flagged, period 'all'); else, for a "
        "transaction log, from an inactivity window: active at the period's start (an order in the window "
        "before it) but no order in the window ending at its end. NaN when no customer is active at the "
        "start, as in the first period of a transaction log. Periods run from the first order (or, without "
        "orders, the first churn date): before it, nobody's leaving is on record.",
        parameters=("churn_method", "inactivity_days"),
        limits=(0.0, 100.0),
        period_rate=True,
    ),
    KpiDef(
        id="retention_rate",
        name="Retention rate",
        short_name="Retention rate",
        component="retention",
        formula="customers active at the period's start and still active at its end ÷ those active at its "
        "start × 100 (100 − churn rate)",
        requires=_CHURN,
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_churn_rows(retained=True),
        description="Same basis as the churn rate.",
        parameters=("churn_method", "inactivity_days"),
        limits=(0.0, 100.0),
        period_rate=True,
    ),
    KpiDef(
        id="repeat_purchase_rate",
        name="Repeat purchase rate",
        short_name="Repeat purchase",
        component="retention",
        formula="customers with two or more orders in the period ÷ customers with an order × 100",
        requires=(_ORDERS,),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_order_ratio("repeaters", "active", scale=100.0),
        description="NaN in a period without orders.",
        limits=(0.0, 100.0),
        period_rate=True,
    ),
    KpiDef(
        id="loyalty_engagement",
        name="Loyalty programme engagement",
        short_name="Loyalty engagement",
        component="retention",
        formula="loyalty members among active customers ÷ active customers × 100",
        requires=(("customers.customer_id", "customers.loyalty_member"),),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_loyalty_engagement,
        description="Active means ordering in the period; without transactions, current (not churned) "
        "customers, over all time.",
        limits=(0.0, 100.0),
    ),
    # Acquisition
    KpiDef(
        id="new_customers",
        name="New customers",
        short_name="New customers",
        component="acquisition",
        formula="customers whose signup (or, without signup dates, first order) falls in the period",
        requires=_ACQUISITION,
        unit="count",
        unit_words="customers",
        step=1.0,
        input_format="%.0f",
        direction="higher",
        compute=_new_customers,
        description="With signup dates, customers without one are not counted as new in any period.",
        limits=(0.0, math.inf),
        total=True,
    ),
    KpiDef(
        id="cpa",
        name="Cost per acquisition (CPA)",
        short_name="CPA",
        component="acquisition",
        formula="marketing spend ÷ new customers",
        requires=tuple(("marketing.spend", *option) for option in _ACQUISITION),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="lower",
        compute=_cpa,
        description="NaN in a period without new customers; 0 with new customers but no spend. "
        "Split only by channel.",
        split="channel",
        limits=(0.0, math.inf),
    ),
    KpiDef(
        id="conversion_rate",
        name="Conversion rate",
        short_name="Conversion",
        component="acquisition",
        formula="conversions ÷ leads × 100",
        requires=(("marketing.leads", "marketing.conversions"),),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_conversion_rate,
        description="NaN in a period without leads. Split only by channel.",
        split="channel",
        limits=(0.0, 100.0),
    ),
    KpiDef(
        id="market_share",
        name="Market share",
        short_name="Market share",
        component="acquisition",
        formula="our revenue (or active customers) ÷ market size × 100",
        requires=(("marketing.market_size", *_REVENUE),),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_market_share,
        description="Periods are those of the market size figures; the market is not split by segment.",
        parameters=("market_size_unit",),
        split="none",
        limits=(0.0, 100.0),
    ),
    KpiDef(
        id="customer_growth",
        name="Customer growth",
        short_name="Customer growth",
        component="acquisition",
        formula="(customers this period − customers last period) ÷ customers last period × 100",
        requires=(_ORDERS, ("customers.customer_id", "customers.signup_date")),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_customer_growth,
        description="Active customers with a transaction log, else the customer base at the period's end. "
        "NaN for the first period; not defined for 'all'.",
        limits=(-100.0, math.inf),
        period_rate=True,
        signed=True,
    ),
    # Loyalty and value
    KpiDef(
        id="revenue",
        name="Revenue",
        short_name="Revenue",
        component="loyalty",
        formula="sum of order amounts in the period",
        requires=(_REVENUE,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=_revenue,
        description="Returns (negative amounts) reduce it.",
        limits=(0.0, math.inf),
        total=True,
    ),
    KpiDef(
        id="orders",
        name="Orders",
        short_name="Orders",
        component="loyalty",
        formula="distinct orders in the period (an order id, or a customer and day)",
        requires=(_ORDERS,),
        unit="count",
        unit_words="orders",
        step=1.0,
        input_format="%.0f",
        direction="higher",
        compute=_order_count("orders"),
        description="0 in a period without orders.",
        limits=(0.0, math.inf),
        total=True,
    ),
    KpiDef(
        id="average_order_value",
        name="Average order value",
        short_name="Avg order value",
        component="loyalty",
        formula="revenue ÷ orders",
        requires=(_REVENUE,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=_order_ratio("revenue", "orders"),
        description="NaN in a period without orders.",
        limits=(0.0, math.inf),
    ),
    KpiDef(
        id="purchase_frequency",
        name="Purchase frequency",
        short_name="Purchase frequency",
        component="loyalty",
        formula="orders ÷ customers with an order",
        requires=(_ORDERS,),
        unit="orders",
        unit_words="orders per customer",
        step=0.01,
        input_format="%.2f",
        direction="higher",
        compute=_order_ratio("orders", "active"),
        description="Orders per ordering customer in the period; NaN without orders.",
        limits=(0.0, math.inf),
        period_rate=True,
    ),
    KpiDef(
        id="revenue_per_customer",
        name="Revenue per customer",
        short_name="Revenue/customer",
        component="loyalty",
        formula="revenue ÷ customers with an order",
        requires=(_REVENUE,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=_order_ratio("revenue", "active"),
        description="NaN in a period without orders.",
        limits=(0.0, math.inf),
        period_rate=True,
    ),
    KpiDef(
        id="clv",
        name="Customer lifetime value (CLV)",
        short_name="CLV",
        component="loyalty",
        formula="revenue per customer in the period × margin ÷ churn rate of the period",
        requires=(_REVENUE,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=_clv,
        description="The steady-state formula: value per period times the expected number of periods a "
        "customer stays (1 ÷ churn). NaN when no one churned in the period or no one was active at its "
        "start. Churn from churn dates, else from the inactivity window.",
        parameters=("margin", "churn_method", "inactivity_days"),
        limits=(0.0, math.inf),
    ),
    # Service
    KpiDef(
        id="first_response_time",
        name="First response time (median)",
        short_name="First response",
        component="service",
        formula="median hours from a ticket's opening to the first answer",
        requires=_FIRST_RESPONSE,
        unit="hours",
        unit_words="hours",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_ticket_time("first_response", "median"),
        description="Tickets count in the period they were opened; negative durations are left out.",
        limits=(0.0, math.inf),
    ),
    KpiDef(
        id="first_response_time_mean",
        name="First response time (mean)",
        short_name="Avg first response",
        component="service",
        formula="mean hours from a ticket's opening to the first answer",
        requires=_FIRST_RESPONSE,
        unit="hours",
        unit_words="hours",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_ticket_time("first_response", "mean"),
        description="Pulled up by a few slow tickets; compare with the median.",
        limits=(0.0, math.inf),
    ),
    KpiDef(
        id="resolution_time",
        name="Resolution time (median)",
        short_name="Resolution time",
        component="service",
        formula="median hours from a ticket's opening to its resolution",
        requires=_RESOLUTION,
        unit="hours",
        unit_words="hours",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_ticket_time("resolution", "median"),
        description="Tickets count in the period they were opened; unresolved tickets are left out.",
        limits=(0.0, math.inf),
    ),
    KpiDef(
        id="resolution_time_mean",
        name="Resolution time (mean)",
        short_name="Avg resolution",
        component="service",
        formula="mean hours from a ticket's opening to its resolution",
        requires=_RESOLUTION,
        unit="hours",
        unit_words="hours",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_ticket_time("resolution", "mean"),
        description="Pulled up by a few long tickets; compare with the median.",
        limits=(0.0, math.inf),
    ),
)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _floats(column: pd.Series | np.ndarray | float) -> np.ndarray:
    if isinstance(column, pd.Series):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    return np.asarray(column, dtype="float64")


def _ratio(numerator: pd.Series | float, denominator: pd.Series | float) -> pd.Series:
    """numerator ÷ denominator, NaN where the denominator is 0 or missing."""
    index = next((column.index for column in (numerator, denominator) if isinstance(column, pd.Series)), None)
    top, bottom = _floats(numerator), _floats(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(bottom != 0, top / bottom, np.nan), index=index)


def _rows(
    frame: pd.DataFrame,
    value: pd.Series | float,
    numerator: pd.Series | float,
    denominator: pd.Series | float,
    n: pd.Series | float,
    interval: tuple[np.ndarray | pd.Series, np.ndarray | pd.Series] | None = None,
) -> pd.DataFrame:
    """The result rows of one KPI, one per row of ``frame`` (its period and segment)."""
    size = len(frame)
    low, high = interval if interval is not None else (np.nan, np.nan)
    columns = {"value": value, "numerator": numerator, "denominator": denominator, "n": n}
    columns |= {"ci_low": low, "ci_high": high}
    return pd.DataFrame(
        {
            "period": frame["period"].to_numpy(),
            "segment": frame["segment"].to_numpy(),
            **{name: np.broadcast_to(_floats(column), (size,)) for name, column in columns.items()},
        }
    )


def _complete(
    frame: pd.DataFrame, unit: str, fill_zero: list[str], *, until: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Every period from the first to the last (or ``until``), for every segment; missing counts are 0."""
    frame = frame.copy()
    frame["period"] = pd.to_datetime(frame["period"])
    if frame.empty:
        return frame
    if unit == "all" or (frame["period"] == ALL_TIME).all():
        periods = pd.DatetimeIndex([ALL_TIME])
    else:
        last = frame["period"].max() if until is None else max(frame["period"].max(), until)
        periods = pd.date_range(frame["period"].min(), last, freq=PANDAS_FREQ[unit])
    segments = sorted(frame["segment"].astype(str).unique())
    grid = pd.MultiIndex.from_product([periods, segments], names=["period", "segment"])
    frame["segment"] = frame["segment"].astype(str)
    frame = frame.set_index(["period", "segment"]).reindex(grid).reset_index()
    for column in fill_zero:
        if column in frame:
            frame[column] = frame[column].astype("float64").fillna(0.0)
    return frame


def _join(left: pd.DataFrame, right: pd.DataFrame, *, how: Literal["left", "inner"]) -> pd.DataFrame:
    """Join two per-period tables on period and segment (either may be empty and untyped)."""

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype({"period": "datetime64[us]", "segment": "object"})

    return keyed(left).merge(keyed(right), on=["period", "segment"], how=how)


def _with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the all-customers rows as sums over segments (segments partition the customers)."""
    measures = [column for column in frame.columns if column not in ("period", "segment")]
    totals = frame.groupby("period", as_index=False)[measures].sum(min_count=1).assign(segment=_TOTAL)
    return pd.concat([frame, totals], ignore_index=True)


def _order_table(backend: Backend, paths: Sequence[Path | str]) -> ir.Table:
    """The order table of a transaction log (see :func:`_orders_from_lines`), kept by the backend."""
    return backend.derive("orders", "transactions", paths, _orders_from_lines)


def _customer_period_table(backend: Backend, paths: Sequence[Path | str], unit: Granularity) -> ir.Table:
    """Orders and revenue per customer and period with orders, kept by the backend.

    Columns ``customer_id``, ``period`` (its start; absent for ``"all"``), ``orders``, ``revenue``.
    Months come from the order table, longer periods add months up, so the scorecard's largest
    query starts from one row per customer and period rather than from single orders.
    """

    def per_customer_and_period(_: ir.Table) -> ir.Table:
        if unit == "month":
            orders = _order_table(backend, paths)
            return orders.group_by("customer_id", period=orders.date.truncate("M")).aggregate(
                orders=orders.count(), revenue=orders.amount.sum()
            )
        months = _customer_period_table(backend, paths, "month")
        keys = {} if unit == "all" else {"period": months.period.truncate(TRUNCATE_UNIT[unit])}
        return months.group_by("customer_id", **keys).aggregate(
            orders=months.orders.sum(), revenue=months.revenue.sum()
        )

    return backend.derive(f"customers_by_{unit}", "transactions", paths, per_customer_and_period)


def _orders_from_lines(lines: ir.Table) -> ir.Table:
    """One row per order: ``customer_id``, ``date`` (of its first line) and ``amount`` (summed).

    An order is a distinct ``order_id`` of a customer; lines without an order id make one order
    per customer and day, as do all lines when there are no order ids. Lines without a customer
    id or a date are left out.
    """
    lines = lines.filter(lines.customer_id.notnull() & lines.date.notnull())
    amount = lines.amount if "amount" in lines.columns else ibis.null("float64")
    day = lines.date.truncate("D")
    if "order_id" in lines.columns:
        undated_order_day = ibis.ifelse(lines.order_id.isnull(), day, ibis.null("timestamp"))
        orders = lines.group_by("customer_id", "order_id", undated_order_day=undated_order_day)
        return orders.aggregate(date=lines.date.min(), amount=amount.sum()).select(
            "customer_id", "date", "amount"
        )
    return lines.group_by("customer_id", date=day).aggregate(amount=amount.sum())


def _one_row_per_customer(customers: ir.Table) -> ir.Table:
    """The customers table with one row per customer id.

    Should a customer appear twice, their attributes are combined deterministically: the
    greatest segment value, member or churned if any row says so, the earliest signup date, the
    latest churn date.
    """
    customers = customers.filter(customers.customer_id.notnull())
    attributes: dict[str, ir.Value] = {
        column: customers[column].max()
        for column in customers.columns
        if column not in KINDS["customers"].role_ids and customers[column].type().is_string()
    }
    if "acquisition_channel" in customers.columns:
        attributes["acquisition_channel"] = customers.acquisition_channel.max()
    if "loyalty_member" in customers.columns:
        attributes["_member"] = customers.loyalty_member.any()
    if "signup_date" in customers.columns:
        attributes["_signup_date"] = customers.signup_date.min()
    if "churn_date" in customers.columns:
        attributes["_churn_date"] = customers.churn_date.max()
    if "churn" in customers.columns:
        attributes["_churned"] = customers.churn.any()
    return customers.group_by("customer_id").aggregate(**attributes)


def _hours_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / 3600.0


def _finish(frames: list[pd.DataFrame], unit: str) -> pd.DataFrame:
    columns = ["kpi", "period", "segment", "value", "numerator", "denominator", "n", "ci_low", "ci_high"]
    if not frames:
        return pd.DataFrame({column: pd.Series(dtype="float64") for column in columns}).astype(
            {"kpi": "string", "period": "string", "segment": "string", "n": "Int64"}
        )
    values = pd.concat(frames, ignore_index=True)
    order = {kpi: position for position, kpi in enumerate(KPIS)}
    values["_order"] = values["kpi"].map(order)
    values["_total"] = values["segment"] != _TOTAL
    values = values.sort_values(["_order", "period", "_total", "segment"], ignore_index=True)
    labels = {start: period_label(pd.Timestamp(start), unit) for start in values["period"].unique()}
    values["period"] = values["period"].map(labels)
    values["segment"] = values["segment"].where(values["segment"] != _TOTAL, None)
    values = values[columns].astype({"kpi": "string", "period": "string", "segment": "string"})
    values["n"] = values["n"].round().astype("Int64")
    return values


def _columns_by_kind(tables: Tables) -> dict[str, dict[str, pa.DataType]]:
    return {kind: table_columns(paths) for kind, paths in tables.items() if kind in KINDS and paths}


def _assigned_attributes(tables: Tables) -> list[str]:
    """Segment columns of the saved segmentations (every column but ``customer_id``)."""
    paths = list(tables.get(ASSIGNMENTS, []))
    if not paths:
        return []
    return [name for name, dtype in table_columns(paths).items() if name != "customer_id" and _is_text(dtype)]


def _segment_columns(columns: Mapping[str, pa.DataType], kind: str) -> set[str]:
    """String columns that are not roles: segment attributes in canonical tables."""
    roles = set(KINDS[kind].role_ids)
    return {name for name, dtype in columns.items() if name not in roles and _is_text(dtype)}


def _is_text(dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype)


def _role_label(role: str) -> str:
    kind_id, role_id = role.split(".")
    kind = KINDS[kind_id]
    return f"{kind.role(role_id).label} ({kind.label})"


def _churn_note(method: str, params: KpiParams, unit: str) -> str:
    if method == "churn_date":
        return "From churn dates: customers whose churn date falls in the period ÷ customers active at its start."
    if method == "churn_flag":
        return "From the churn flag: share of customers flagged as churned (no dates, so over all time)."
    if unit == "all":
        return (
            f"From an inactivity window of {params.inactivity_days} days: share of customers without an order "
            f"in the last {params.inactivity_days} days of the data."
        )
    return (
        f"From an inactivity window of {params.inactivity_days} days: customers with an order in the "
        f"{params.inactivity_days} days before the period's start but none in the {params.inactivity_days} "
        "days before its end ÷ those active at its start."
    )


def _not_split_reason(definition: KpiDef, by: str) -> str:
    if definition.split == "channel":
        return f"marketing figures split only by channel, not by {by}; shown for all customers"
    if definition.split == "none":
        return "the market is not broken down by segment; shown for all customers"
    return f"its data cannot be linked to {by}; shown for all customers"
