"""What a KPI is: the registry record, the Balanced-Scorecard components, the assumptions.

:class:`KpiDef` holds every fact about one KPI (names, formula, roles, unit, limits, how its
values are written) and the function that computes it; :class:`KpiParams` holds the assumptions
behind the KPIs (inactivity window, margin, CSI weights...). The records themselves are in the
component modules (:mod:`bsc.kpis.satisfaction`, ...), gathered in :data:`bsc.kpis.registry.KPIS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pandas as pd

from bsc.change_tests import ChangeTest
from bsc.currency import currency_words, excel_money_format, money_text
from bsc.errors import InputError
from bsc.result_files import keep_type
from bsc.schema import KINDS

if TYPE_CHECKING:
    from bsc.kpis.sources import Scorecard

Component = Literal["satisfaction", "retention", "acquisition", "loyalty", "service"]
COMPONENTS: tuple[Component, ...] = ("satisfaction", "retention", "acquisition", "loyalty", "service")
COMPONENT_NAMES: dict[Component, str] = {
    "satisfaction": "Satisfaction",
    "retention": "Retention",
    "acquisition": "Acquisition",
    "loyalty": "Loyalty and value",
    "service": "Service",
}
ChurnMethod = Literal["auto", "churn_date", "churn_flag", "inactivity"]

_DEFAULT_CSI_WEIGHTS = (("ces", 1.0), ("csat", 1.0), ("nps", 1.0), ("rating", 1.0))

# Role sets required by KPIs of several components, each role written ``kind.role``.
ORDER_ROLES = ("transactions.customer_id", "transactions.date")
REVENUE_ROLES = (*ORDER_ROLES, "transactions.amount")


@keep_type
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
    clv_min_lost
        Fewest customers lost in a period for its CLV to be shown (default 15). The CLV divides
        by that count, so its relative noise is about 1 ÷ √lost: 26% at 15, but 50% at 4, where a
        segment's CLV would double or halve from one month to the next by chance alone.
    """

    inactivity_days: int = 90
    margin: float = 0.30
    csi_weights: tuple[tuple[str, float], ...] = _DEFAULT_CSI_WEIGHTS
    rating_scale: tuple[float, float] = (1.0, 5.0)
    market_size_unit: Literal["revenue", "customers"] = "revenue"
    churn_method: ChurnMethod = "auto"
    confidence: float = 0.95
    clv_min_lost: int = 15

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
        if not (isinstance(self.clv_min_lost, int) and self.clv_min_lost >= 1):
            problems.append(
                f"the fewest customers lost for a CLV must be a whole number ≥ 1, not {self.clv_min_lost}"
            )
        if problems:
            raise InputError("Invalid KPI settings: " + "; ".join(problems) + ".")

    def csi_weight(self, kpi: str) -> float:
        """Weight of one satisfaction KPI in the CSI (0 when not listed)."""
        return dict(self.csi_weights).get(kpi, 0.0)


# What follows a formatted value, by unit. Counts, scores and orders go bare: their unit words
# belong in the label or column title, where they are said once for every value. Money is written
# with its currency by bsc.currency.money_text, the one place that does.
_VALUE_SUFFIXES = {"%": "%", "points": " points", "hours": " h"}
# The same, where space is short (a tile on a projector): "27.2 pts".
_COMPACT_SUFFIXES = {"%": "%", "points": " pts", "hours": " h"}
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
    out_of
        The top of a fixed answer scale (7 for the CES): a value is written "5.3 of 7", so the
        room never has to ask which scale it is on. None for values without one.
    change_test
        The two-sample test that says whether a change between two periods is real (see
        :mod:`bsc.change_tests`): ``"proportion"``, ``"nps"``, ``"mean"``, ``"count"``,
        ``"cost_per_count"``, or None when no honest test applies (its tile shows the change
        without colour). What changed tests the KPIs of the kinds it knows by the same field.
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
    compute: Callable[[Scorecard], pd.DataFrame] = field(repr=False, compare=False)
    description: str = ""
    sample_statistic: bool = False
    parameters: tuple[str, ...] = ()
    split: Literal["customer", "channel", "none"] = "customer"
    limits: tuple[float, float] = (-math.inf, math.inf)
    total: bool = False
    period_rate: bool = False
    signed: bool = False
    change_test: ChangeTest | None = None
    out_of: float | None = None

    def format_value(
        self, value: float | None, *, unit: bool = True, compact: bool = False, currency: str | None = None
    ) -> str:
        """A value as shown everywhere: "35 points", "74.5%", "5.3 of 7", "1,234", "€12,346", "12.5 h".

        The number as :func:`format_number` writes it, followed by the unit's suffix ("%",
        " points", " h"; " pts" for points when ``compact``, as on a tile; " of 7" on a fixed
        answer scale, see :attr:`out_of`; nothing for counts, other scores and orders), and money
        with the workspace's ``currency`` (:func:`bsc.currency.money_text`: "€12,346",
        "12,346 CHF", "12,346 ¤" when the currency is unknown). Nothing is added when ``unit`` is
        false. NPS is unsigned ("35 points", "-12 points"): a sign marks changes, such as the
        tile's delta or customer growth. None and NaN are "—".
        """
        text = format_number(value, signed=self.signed)
        if not unit or text == "—":
            return text
        if self.unit == "money":
            return money_text(text, currency)
        if self.out_of is not None:
            return f"{text} of {format_number(self.out_of)}"
        return text + (_COMPACT_SUFFIXES if compact else _VALUE_SUFFIXES).get(self.unit, "")

    def unit_title(self, currency: str | None = None) -> str:
        """The unit for an axis or column title: :attr:`unit_words`, money as its currency ("EUR")."""
        if self.unit == "money":
            return currency_words(currency)
        return self.unit_words

    def format_change(self, change: float, previous: float | None = None, currency: str | None = None) -> str:
        """A change between two periods, signed: "+3.6 pts", "-0.25", "+1.5 h", "+14.0%", "+120".

        Percentages and points change by points ("pts"); scores, indexes and hours by the value
        itself, to two decimals; totals (counts, money, orders) by their relative change when
        the previous value is known and not zero, else by the number itself (money with its
        ``currency``: "+€120"). A change that rounds to zero is written without a sign
        ("0.0 pts"), never "-0.00".
        """
        if self.unit in ("%", "points"):
            amount, suffix, decimals = change, " pts", 1
        elif self.unit in ("score", "index", "hours"):
            amount, suffix, decimals = change, (" h" if self.unit == "hours" else ""), 2
        elif previous:
            amount, suffix, decimals = 100.0 * change / abs(previous), "%", 1
        else:
            amount, suffix, decimals = change, "", 0
        rounded = round(float(amount), decimals)
        text = f"{0:.{decimals}f}" if rounded == 0 else f"{rounded:+,.{decimals}f}"
        if self.unit == "money" and not suffix:
            return money_text(text, currency)
        return text + suffix

    @property
    def excel_format(self) -> str:
        """The workbook's number format for values of this KPI (money in an unknown currency)."""
        return self.excel_format_in(None)

    def excel_format_in(self, currency: str | None) -> str:
        """The workbook's number format for values of this KPI; money with its ``currency``."""
        number = _EXCEL_FORMATS.get(self.unit, "General")
        if self.unit == "money":
            number = excel_money_format(number, currency)
        elif self.out_of is not None:
            number = f'{number}" of {format_number(self.out_of)}"'
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


def _role_label(role: str) -> str:
    kind_id, role_id = role.split(".")
    kind = KINDS[kind_id]
    return f"{kind.role(role_id).label} ({kind.label})"
