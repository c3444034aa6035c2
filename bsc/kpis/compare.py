"""Segments side by side: each segment's KPI value against all customers, with a real test.

:func:`compare_segments` turns a KPI frame split by a segment attribute (``compute_kpis(...,
by=...)``) into one row per segment × KPI, for the KPI's latest whole period with a value (its
all-time value when the data has no dates). Each segment is tested against **the rest of the
customers** (all customers minus the segment), so that the two samples are independent, with the
two-sample test of the KPI's own record (:attr:`bsc.kpis.KpiDef.change_test`, the test its tile
uses between two periods; see :mod:`bsc.change_tests`). The rest's figures come from the frames
by subtraction:

- ``"proportion"``: successes and trials, :math:`x_r = x_{all} - x_s`, :math:`n_r = n_{all} - n_s`.
- ``"cost_per_count"``: spend and new customers, subtracted the same way.
- ``"mean"``: the sufficient statistics :math:`\\sum x = n \\bar x` and
  :math:`\\sum x^2 = (n - 1) n\\,SE^2 + n \\bar x^2` (the sample variance behind
  :func:`bsc.stats.mean_standard_error`), subtracted.
- ``"nps"``: promoters + detractors and promoters − detractors, recovered from the NPS and its
  standard error (:math:`\\sigma^2 = n\\,SE^2/100^2 = p_P + p_D - (p_P - p_D)^2`,
  :func:`bsc.stats.nps_variance`), subtracted.
- ``"count"`` (customers, orders, responses): a bigger segment has more of them by its size
  alone, so no segment-against-the-rest test is honest; such cells are shown untested.

Many cells are tested at once, so the p-values are adjusted with the Benjamini–Hochberg
procedure across the whole table (a false-discovery rate of 5 %): a cell is a real difference
when its adjusted p-value is at most 5 %. A cell without a p-value still counts among the tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from bsc.change_tests import judge_change
from bsc.kpis.compute import whole_known
from bsc.kpis.record import KpiDef
from bsc.kpis.registry import KPIS
from bsc.stats import bh_adjusted

__all__ = ["COMPARISON_COLUMNS", "COMPARISON_METHOD", "FALSE_DISCOVERY_RATE", "compare_segments"]

FALSE_DISCOVERY_RATE = 0.05
COMPARISON_METHOD = (
    "each segment against the rest of the customers, with the KPI's own two-sample test; p-values "
    "adjusted across the table by Benjamini-Hochberg (5% false-discovery rate)"
)
COMPARISON_COLUMNS = [
    "kpi",
    "period",
    "segment",
    "value",
    "n",
    "all_value",
    "all_n",
    "difference",
    "rest_value",
    "test",
    "p_value",
    "p_adjusted",
    "real",
    "verdict",
]


def compare_segments(
    values: pd.DataFrame, kpis: Mapping[str, KpiDef] = KPIS, *, q: float = FALSE_DISCOVERY_RATE
) -> pd.DataFrame:
    """One row per segment × KPI: the segment's value against all customers, and whether it differs.

    Parameters
    ----------
    values
        A KPI frame split by a segment attribute (:attr:`bsc.kpis.KpiResult.values`): the
        all-customers rows have ``segment`` NA.
    kpis
        The KPI records, by id (default: the registry); KPIs not in it are left out.
    q
        The false-discovery rate of the Benjamini–Hochberg adjustment across the table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPARISON_COLUMNS`, KPIs in registry order and segments sorted.
        ``period`` is the KPI's latest whole period with an all-customers value (``"all"`` for
        undated data); ``difference`` is the segment's value minus all customers'; ``rest_value``
        the value of every other customer; ``test`` the test used (None when none applies);
        ``p_adjusted`` the Benjamini–Hochberg p-value; ``real`` whether it is at most ``q``;
        ``verdict`` is ``"better"``, ``"worse"`` (by the KPI's direction), ``"within noise"`` or
        ``"not tested"``. Empty when no KPI is split.
    """
    rows: list[dict] = []
    # The frame is read once, column by column, and split by KPI once: a boolean filter of the
    # whole frame per KPI and a pandas row per cell cost more than every test of the table.
    columns = _figures(values)
    segments, periods = columns["segment"], columns["period"]
    positions_by_kpi = values.groupby("kpi", sort=False, observed=True).indices if len(values) else {}
    for kpi_id, definition in kpis.items():
        positions = positions_by_kpi.get(kpi_id)
        if positions is None:
            continue
        overall = [i for i in positions if segments[i] is None]
        split = [i for i in positions if segments[i] is not None]
        if not overall or not split:
            continue
        # As latest_basis: whole periods with a value, else every row with a value.
        basis = [i for i in overall if columns["_whole_known"][i]] or [
            i for i in overall if columns["_has_value"][i]
        ]
        if not basis:
            continue
        whole = _row_at(columns, basis[-1])
        latest = sorted((i for i in split if periods[i] == whole["period"]), key=segments.__getitem__)
        rows.extend(_cell(definition, whole, _row_at(columns, i)) for i in latest)
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    if table.empty:
        return table
    tested = table["test"].notna()
    table["p_adjusted"] = np.nan
    if tested.any():
        # A NaN p-value (too few answers) still counts as a test made, and is never rejected.
        p_values = np.nan_to_num(table.loc[tested, "p_value"].to_numpy(dtype=float), nan=1.0)
        adjusted = bh_adjusted(p_values)
        adjusted[np.isnan(table.loc[tested, "p_value"].to_numpy(dtype=float))] = np.nan
        table.loc[tested, "p_adjusted"] = adjusted
    table["real"] = table["p_adjusted"].le(q)
    table["verdict"] = [
        _verdict(kpis[kpi], difference, real, test, p_adjusted)
        for kpi, difference, real, test, p_adjusted in zip(
            table["kpi"], table["difference"], table["real"], table["test"], table["p_adjusted"], strict=True
        )
    ]
    return table


# The figures a cell reads from the KPI frame; a frame made by hand may lack some of them.
_FIGURES = ("value", "numerator", "denominator", "n", "std_error")


def _figures(values: pd.DataFrame) -> dict[str, list]:
    """The frame's columns that the table reads, as Python lists (NA as None for the labels,
    NaN for the figures), with whether each row holds a value of a whole period."""
    rows = len(values)
    columns: dict[str, list] = {
        label: values[label].astype(object).where(values[label].notna(), None).tolist()
        for label in ("segment", "period")
    }
    for figure in _FIGURES:
        columns[figure] = (
            values[figure].to_numpy(dtype=float, na_value=np.nan).tolist()
            if figure in values
            else [math.nan] * rows
        )
    has_value = values["value"].notna()
    columns["_has_value"] = has_value.tolist()
    columns["_whole_known"] = whole_known(values).tolist()
    return columns


def _row_at(columns: Mapping[str, list], position: int) -> dict:
    return {name: column[position] for name, column in columns.items()}


def _cell(definition: KpiDef, overall: Mapping, segment: Mapping) -> dict:
    rest = _rest(definition.change_test, overall, segment)
    verdict = judge_change(definition.change_test, rest, segment) if rest is not None else None
    value = _float(segment.get("value"))
    all_value = _float(overall.get("value"))
    return {
        "kpi": definition.id,
        "period": str(overall["period"]),
        "segment": str(segment["segment"]),
        "value": value,
        "n": _count(segment.get("n")),
        "all_value": all_value,
        "all_n": _count(overall.get("n")),
        "difference": value - all_value,
        "rest_value": math.nan if rest is None else _float(rest.get("value")),
        "test": None if verdict is None else definition.change_test,
        "p_value": math.nan if verdict is None else verdict.p_value,
    }


def _rest(test: str | None, overall: Mapping, segment: Mapping) -> dict | None:
    """The figures of every customer outside the segment, as a row the test reads; None when
    no honest segment-against-the-rest test exists for this kind of KPI."""
    if test in ("proportion", "cost_per_count"):
        numerator = _float(overall.get("numerator")) - _float(segment.get("numerator"))
        denominator = _float(overall.get("denominator")) - _float(segment.get("denominator"))
        value = (
            numerator / denominator * (100.0 if test == "proportion" else 1.0) if denominator else math.nan
        )
        return {"numerator": numerator, "denominator": denominator, "value": value}
    if test == "mean":
        return _rest_of_means(overall, segment)
    if test == "nps":
        return _rest_of_nps(overall, segment)
    return None


def _rest_of_means(overall: Mapping, segment: Mapping) -> dict:
    sums, squares, count = (a - b for a, b in zip(_sufficient(overall), _sufficient(segment), strict=True))
    if count < 2:
        return {"value": math.nan, "std_error": math.nan, "n": count}
    mean = sums / count
    variance = max((squares - count * mean**2) / (count - 1), 0.0)
    return {"value": mean, "std_error": math.sqrt(variance / count), "n": count}


def _sufficient(row: Mapping) -> tuple[float, float, float]:
    n, mean, error = _float(row.get("n")), _float(row.get("value")), _float(row.get("std_error"))
    return n * mean, (n - 1) * n * error**2 + n * mean**2, n


def _rest_of_nps(overall: Mapping, segment: Mapping) -> dict:
    # On the -1..+1 scale: net = P - D and engaged = P + D, both additive over customers.
    def counts(row: Mapping) -> tuple[float, float, float]:
        n, nps, error = (
            _float(row.get("n")),
            _float(row.get("value")) / 100,
            _float(row.get("std_error")) / 100,
        )
        return n * nps, n * (n * error**2 + nps**2), n

    net, engaged, n = (a - b for a, b in zip(counts(overall), counts(segment), strict=True))
    if not n > 0:
        return {"value": math.nan, "std_error": math.nan, "n": n}
    variance = max(engaged / n - (net / n) ** 2, 0.0)
    return {"value": 100 * net / n, "std_error": 100 * math.sqrt(variance / n), "n": n}


def _verdict(definition: KpiDef, difference: float, real: bool, test: str | None, p_adjusted: float) -> str:
    if test is None or pd.isna(p_adjusted):
        return "not tested"
    if not real:
        return "within noise"
    higher_is_better = definition.direction == "higher"
    return "better" if (difference > 0) == higher_is_better else "worse"


def _float(value: object) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _count(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
