"""A seeded demo company: five business tables with stories worth finding.

The demo company sells online to consumers on three plans (Basic, Plus, Premium) in five
regions. :func:`generate_company` draws its history for ``months`` months ending at ``end``
(30 months to 31 October 2026 by default) and returns five tables whose column names a
column detector maps without help:

``customers``
    customer_id ("C000123"), signup_date, region (North, South, East, West, Central), plan,
    channel (the acquisition channel: Search, Social, Referral, Partner, Email),
    loyalty_member (Yes/No), acquisition_cost, churned (Yes/No), churn_date (blank unless
    churned). About a third of the customers form the starting base, signed up in the three
    years before the history starts; the rest sign up during it, more each month and more
    around the new year.
``orders``
    order_id, customer_id, order_date, amount, quantity. About ten order lines per customer
    over the whole history, with a weekly rhythm (Saturday busiest, Sunday quietest) and a
    yearly one (December peak). About 3 % of the lines are returns: amount and quantity are
    negative.
``surveys``
    response_id, customer_id, response_date, nps (0–10), csat (1–5), ces (1–7, where 7 means
    "it was easy"), comment (short, blank for about half the responses). About two responses
    per customer over the whole history.
``tickets``
    ticket_id, customer_id, opened_at, first_response_at, resolved_at (minute precision).
    About 0.1 tickets per active customer-month, mostly in office hours. Tickets still open at the end of the history, and a few abandoned ones, have no
    resolved_at; tickets not yet answered have no first_response_at either.
``marketing``
    month (first day of the month), channel, spend, leads, conversions, market_size.
    conversions equals the number of customers that channel won that month in ``customers``,
    and when it is not zero, spend equals the sum of those customers' acquisition_cost (up to
    rounding each cost to the cent). market_size is the revenue of the whole
    market that month, sized so that the company's net revenue grows from about 3.0 % to
    3.6 % of it; it is the same on every channel row of a month, so take one value per month,
    not the sum over channels.

Stories to find
---------------
1. **Satisfaction and service drive churn.** Each customer has a hidden satisfaction level,
   which sets their NPS, CSAT and CES answers, and a hidden service level, which sets how long
   support takes to answer their tickets (Premium customers are answered fastest). The
   churn hazard (1 % a month for an average customer) is multiplied by exp(1.5) for each
   standard deviation less satisfaction and by exp(1.0) for each standard deviation slower
   service, so a logistic regression on each customer's mean NPS and mean hours to first
   response separates churners from stayers clearly better than chance (cross-validated AUC
   around 0.75). Loyalty members churn less and order more; Basic customers churn more than
   Premium ones. About a quarter of the customers churn.
2. **North's NPS improves.** From the first day of the tenth-last month (1 January 2026 by
   default), survey answers in region North rise by 0.6 points on the 0–10 scale, lifting
   North's NPS by about 20 points. The other regions stay flat: answers are centred on the
   customers active that day, so the departure of unhappy customers does not lift everyone.
3. **Social's cost per acquisition worsens.** Over the last twelve months, Social's spend
   climbs to 2.6 times its earlier level while the customers it wins stay flat, so its CPA
   (spend / conversions) in the last six months is about 2.4 times that of the first six
   months. The other channels' CPA only creeps up with 0.3 % inflation a month.

A churned customer places no order, answers no survey and opens no ticket after the churn
date. The same ``seed`` always gives the same tables.

Scale: everything is drawn with vectorised numpy, without a loop over customers; 100,000
customers (about a million order lines) take about a second.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bsc.errors import InputError

__all__ = [
    "DEMO_END",
    "TABLE_NAMES",
    "XLSX_MAX_ROWS",
    "CompanyStories",
    "company_stories",
    "generate_company",
    "write_company",
]

log = logging.getLogger(__name__)

DEMO_END = date(2026, 10, 31)
TABLE_NAMES = ("customers", "orders", "surveys", "tickets", "marketing")
# openpyxl writes roughly 50k rows a second and Excel slows down well before its 1,048,576-row
# limit, so the workbook is only written when every table stays under this many rows.
XLSX_MAX_ROWS = 300_000
XLSX_NAME = "demo_company.xlsx"
FORMATS = ("csv", "parquet")

MIN_CUSTOMERS, MAX_CUSTOMERS = 100, 5_000_000
MIN_MONTHS, MAX_MONTHS = 24, 60

REGIONS = ("North", "South", "East", "West", "Central")
REGION_SHARES = (0.22, 0.20, 0.20, 0.20, 0.18)
PLANS = ("Basic", "Plus", "Premium")
PLAN_SHARES = (0.50, 0.32, 0.18)
CHANNELS = ("Search", "Social", "Referral", "Partner", "Email")
CHANNEL_SHARES = (0.30, 0.20, 0.15, 0.15, 0.20)
# Cost per acquisition at the start of the history, and the share of leads that convert.
CHANNEL_CPA = (85.0, 60.0, 25.0, 70.0, 30.0)
CHANNEL_LEAD_CONVERSION = (0.06, 0.03, 0.20, 0.10, 0.08)
CPA_INFLATION_PER_MONTH = 0.003

STARTING_BASE_SHARE = 0.35
STARTING_BASE_YEARS = 3
BASE_CANDIDATES_PER_CUSTOMER = 3
NEW_CUSTOMER_GROWTH_PER_MONTH = 0.015
# January first: signups per calendar month relative to an average month.
SIGNUP_SEASON = (1.20, 1.00, 0.95, 0.95, 0.95, 0.90, 0.85, 0.90, 1.00, 1.00, 1.10, 1.20)

ORDERS_PER_CUSTOMER = 10.0
ORDER_SEASON = (0.90, 0.85, 0.95, 0.95, 1.00, 0.95, 0.90, 0.90, 1.00, 1.05, 1.30, 1.60)
# Monday first.
ORDER_WEEKDAY = (0.90, 0.95, 1.00, 1.00, 1.10, 1.25, 0.80)
PLAN_ORDER_RATE = (0.8, 1.1, 1.5)
PLAN_UNIT_PRICE = (1.0, 1.2, 1.5)
UNIT_PRICE_MEDIAN = 28.0
RETURN_SHARE = 0.03

SURVEYS_PER_CUSTOMER = 2.0
NPS_MEAN, NPS_SPREAD, NPS_NOISE = 7.7, 1.8, 1.0
NPS_STORY_REGION = "North"
NPS_STORY_MONTHS = 10
NPS_STORY_LIFT = 0.6
COMMENT_SHARE = 0.5

TICKETS_PER_CUSTOMER_MONTH = 0.1
TICKET_WEEKDAY = (1.1, 1.1, 1.0, 1.0, 1.0, 0.5, 0.4)
# Hour of day a ticket is opened, midnight first.
TICKET_HOURS = (1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 11, 12, 13, 13, 12, 10, 8, 7, 6, 4, 3, 2)
PLAN_RESPONSE_HOURS = (5.0, 3.0, 1.5)
RESOLUTION_HOURS_MEDIAN = 18.0
ABANDONED_TICKET_SHARE = 0.02

CPA_STORY_CHANNEL = "Social"
CPA_STORY_MONTHS = 12
CPA_STORY_SPEND_GROWTH = 1.6

MONTHLY_CHURN_HAZARD = 0.01
MIN_DAYS_BEFORE_CHURN = 14
# Log hazard ratios: per standard deviation of satisfaction and of slow service, for loyalty
# members, and per plan.
CHURN_SATISFACTION = -1.5
CHURN_SLOW_SERVICE = 1.0
CHURN_LOYALTY = -0.4
CHURN_PLAN = (0.2, 0.0, -0.3)

MARKET_SHARE_START, MARKET_SHARE_END = 0.030, 0.036

PROMOTER_COMMENTS = (
    "Great service, thank you",
    "Love the new range",
    "Fast delivery",
    "Easy to order",
    "Always reliable",
    "Friendly staff",
)
PASSIVE_COMMENTS = (
    "Good, but a bit pricey",
    "Delivery could be faster",
    "Fine overall",
    "Okay experience",
    "Website is a bit slow",
)
DETRACTOR_COMMENTS = (
    "Support took too long to answer",
    "Too expensive for what you get",
    "Order arrived late",
    "Hard to reach anyone",
    "Product broke quickly",
    "Thinking of switching",
)
STORY_COMMENT = "The new local team is very helpful"

_DATE_COLUMNS = {
    "customers": ("signup_date", "churn_date"),
    "orders": ("order_date",),
    "surveys": ("response_date",),
    "tickets": (),
    "marketing": ("month",),
}
_DATETIME_COLUMNS = {"tickets": ("opened_at", "first_response_at", "resolved_at")}
_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class CompanyStories:
    """Where the demo company's stories sit in time.

    Attributes
    ----------
    nps_region : str
        The region whose survey answers improve.
    nps_improves_from : date
        First day with improved answers in ``nps_region``.
    cpa_channel : str
        The channel whose cost per acquisition worsens.
    cpa_worsens_from : date
        First day of the first month whose spend is raised in ``cpa_channel``.
    """

    nps_region: str
    nps_improves_from: date
    cpa_channel: str
    cpa_worsens_from: date


def company_stories(end: date = DEMO_END) -> CompanyStories:
    """Return where the stories of a demo company ending at ``end`` begin.

    The NPS story starts on the first day of the month ``NPS_STORY_MONTHS - 1`` months
    before ``end``'s month (so the last ten months are improved); the CPA story on the first
    day of the month ``CPA_STORY_MONTHS - 1`` months before it.
    """
    end = _as_date(end)
    last_month = np.datetime64(end, "M")
    return CompanyStories(
        nps_region=NPS_STORY_REGION,
        nps_improves_from=_to_date(last_month - (NPS_STORY_MONTHS - 1)),
        cpa_channel=CPA_STORY_CHANNEL,
        cpa_worsens_from=_to_date(last_month - (CPA_STORY_MONTHS - 1)),
    )


def generate_company(
    customers: int = 3000, months: int = 30, seed: int = 7, end: date = DEMO_END
) -> dict[str, pd.DataFrame]:
    """Draw the demo company's five tables.

    Parameters
    ----------
    customers : int
        Customers in the ``customers`` table (starting base plus newcomers), 100 to 5,000,000.
    months : int
        Months of history, 24 to 60; the first one starts on its first day.
    seed : int
        Seed of the random generator; the same seed gives identical tables.
    end : date
        Last day of the history.

    Returns
    -------
    dict[str, pandas.DataFrame]
        The tables ``customers``, ``orders``, ``surveys``, ``tickets`` and ``marketing``
        (see the module docstring), dates as ``datetime64[us]``, text as strings.

    Raises
    ------
    InputError
        When a parameter is outside its range.
    """
    customers, months, seed, end = _checked(customers, months, seed, end)
    # One independent stream per table: changing how one table is drawn leaves the others as
    # they were for the same seed.
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(5)]
    calendar = _Calendar.build(end, months)
    people, plan = _draw_customers(streams[0], customers, calendar)
    orders = _orders_table(streams[1], people, calendar)
    return {
        "customers": _customers_table(people, calendar),
        "orders": orders,
        "surveys": _surveys_table(streams[2], people, calendar, end),
        "tickets": _tickets_table(streams[3], people, calendar),
        "marketing": _marketing_table(streams[4], people, plan, calendar, orders),
    }


def write_company(
    out_dir: str | Path,
    customers: int = 3000,
    months: int = 30,
    seed: int = 7,
    *,
    end: date = DEMO_END,
    xlsx: bool = True,
    xlsx_path: str | Path | None = None,
    formats: Sequence[str] = ("csv",),
) -> list[Path]:
    """Generate the demo company and write its tables to ``out_dir``.

    Writes one file per table and format (``customers.csv``, ``orders.csv``, ...; with
    ``"parquet"`` in ``formats`` also ``customers.parquet``, ...). In CSV files dates are ISO
    text (``YYYY-MM-DD``), ticket times ``YYYY-MM-DD HH:MM``, missing values blank.

    When ``xlsx`` is true, also writes one workbook with a sheet per table (to ``xlsx_path``,
    by default ``out_dir/demo_company.xlsx``), with real Excel dates shown in the same ISO
    formats. The workbook is skipped, with a warning in the log, when a table has
    ``XLSX_MAX_ROWS`` rows or more: such a workbook would take minutes to write and be slow to
    open, and the CSV files hold the same data.

    Parameters
    ----------
    out_dir : str or Path
        Folder for the table files; created when missing.
    customers, months, seed, end
        As for :func:`generate_company`.
    xlsx : bool
        Also write the workbook (when it fits).
    xlsx_path : str or Path, optional
        Where to write the workbook instead of ``out_dir/demo_company.xlsx``.
    formats : sequence of str
        Table file formats, among ``"csv"`` and ``"parquet"`` (a single name is accepted too).

    Returns
    -------
    list[Path]
        The files written, tables in ``TABLE_NAMES`` order, the workbook last if written.

    Raises
    ------
    InputError
        When a parameter is outside its range or a format is unknown.
    """
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(
            f"Unknown output format {', '.join(map(repr, unknown))}: choose from {', '.join(FORMATS)}."
            if unknown
            else f"Choose at least one output format: {', '.join(FORMATS)}."
        )
    tables = generate_company(customers=customers, months=months, seed=seed, end=end)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, table in tables.items():
        if "csv" in formats:
            path = out_dir / f"{name}.csv"
            _as_iso_text(name, table).to_csv(path, index=False)
            written.append(path)
        if "parquet" in formats:
            path = out_dir / f"{name}.parquet"
            table.to_parquet(path, index=False)
            written.append(path)
    if xlsx:
        largest = max(tables, key=lambda name: len(tables[name]))
        if len(tables[largest]) >= XLSX_MAX_ROWS:
            log.warning(
                "Skipped the Excel workbook: the %s table has %s rows, more than the %s that fit "
                "a sheet comfortably. Use the CSV files instead.",
                largest,
                f"{len(tables[largest]):,}",
                f"{XLSX_MAX_ROWS:,}",
            )
        else:
            path = Path(xlsx_path) if xlsx_path is not None else out_dir / XLSX_NAME
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_workbook(tables, path)
            written.append(path)
    return written


# --- Checks and small conversions -------------------------------------------------------------


def _checked(customers: int, months: int, seed: int, end: date) -> tuple[int, int, int, date]:
    for name, value in (("number of customers", customers), ("number of months", months), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise InputError(f"The {name} must be a whole number, not {value!r}.")
    if not MIN_CUSTOMERS <= customers <= MAX_CUSTOMERS:
        raise InputError(
            f"The demo company needs between {MIN_CUSTOMERS:,} and {MAX_CUSTOMERS:,} customers; "
            f"{customers:,} were asked for."
        )
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise InputError(
            f"The demo company needs between {MIN_MONTHS} and {MAX_MONTHS} months of history for its "
            f"stories to show; {months} were asked for."
        )
    if seed < 0:
        raise InputError(f"The seed must be zero or a positive whole number, not {seed}.")
    return int(customers), int(months), int(seed), _as_date(end)


def _as_date(value: date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise InputError(f"The end of the demo history must be a date, not {value!r}.")


def _to_date(value: np.datetime64) -> date:
    return value.astype("datetime64[D]").item()


def _labels(codes: np.ndarray, labels: Sequence[str]) -> pd.Series:
    """Strings from integer codes into ``labels``, built in Arrow without a Python loop."""
    return pd.Series(pa.array(labels).take(pa.array(codes)), dtype="str")


def _ids(prefix: str, count: int, width: int) -> pd.Series:
    """``prefix`` followed by 1..count zero-padded to ``width`` digits ("C000001")."""
    numbers = pc.cast(pa.array(np.arange(1, count + 1)), pa.string())
    return pd.Series(pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), ""), dtype="str")


def _id_width(count: int) -> int:
    return max(6, len(str(count)))


def _sample_days(
    rng: np.random.Generator, cumulative: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Draw one day per row in [first, last] with probability proportional to a day intensity.

    ``cumulative[d]`` is the intensity summed over days before day ``d`` (``cumulative[0] == 0``).
    A uniform draw over the window's share of the cumulative intensity is mapped back to a day
    (inverse transform sampling).
    """
    low, high = cumulative[first], cumulative[last + 1]
    target = low + rng.random(len(first)) * (high - low)
    day = np.searchsorted(cumulative, target, side="right") - 1
    return np.clip(day, first, last)


def _yes_no(flags: np.ndarray) -> pd.Series:
    return _labels(flags.astype(np.int64), ("No", "Yes"))


# --- The calendar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    """Days and months of the history, days numbered from 0 (first day of the first month)."""

    start: np.datetime64
    days: int
    month_starts: np.ndarray
    month_first_day: np.ndarray
    month_days: np.ndarray
    month_of_day: np.ndarray
    weekday: np.ndarray
    calendar_month: np.ndarray

    @classmethod
    def build(cls, end: date, months: int) -> _Calendar:
        last_month = np.datetime64(end, "M")
        month_starts = np.arange(last_month - (months - 1), last_month + 1)
        start = month_starts[0].astype("datetime64[D]")
        day_dates = np.arange(start, np.datetime64(end, "D") + 1)
        month_first_day = (month_starts.astype("datetime64[D]") - start).astype(np.int64)
        days = len(day_dates)
        return cls(
            start=start,
            days=days,
            month_starts=month_starts,
            month_first_day=month_first_day,
            month_days=np.diff(np.append(month_first_day, days)),
            month_of_day=(day_dates.astype("datetime64[M]") - month_starts[0]).astype(np.int64),
            # 1970-01-01 was a Thursday: shift so that Monday is 0.
            weekday=(day_dates.astype(np.int64) + 3) % 7,
            calendar_month=month_starts.astype(np.int64) % 12,
        )

    def cumulative(self, intensity: np.ndarray) -> np.ndarray:
        return np.concatenate(([0.0], np.cumsum(intensity)))

    def dates(self, day: np.ndarray) -> np.ndarray:
        return (self.start + day).astype("datetime64[us]")


# --- Customers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _People:
    """Per-customer draws, in customer id order (by signup)."""

    customer_id: pd.Series
    signup_day: np.ndarray
    region: np.ndarray
    plan: np.ndarray
    channel: np.ndarray
    loyal: np.ndarray
    acquisition_cost: np.ndarray
    satisfaction: np.ndarray
    slow_service: np.ndarray
    churned: np.ndarray
    churn_day: np.ndarray
    signup_month: np.ndarray  # -1 for the starting base

    @property
    def active_from(self) -> np.ndarray:
        return np.maximum(self.signup_day, 0)

    def active_to(self, calendar: _Calendar) -> np.ndarray:
        return np.where(self.churned, self.churn_day, calendar.days - 1)


@dataclass(frozen=True)
class _AcquisitionPlan:
    """Expected newcomers and spend per month (rows) and channel (columns)."""

    expected: np.ndarray
    cpa: np.ndarray


def _acquisition_plan(newcomers: int, calendar: _Calendar) -> _AcquisitionPlan:
    months = len(calendar.month_starts)
    step = np.arange(months)
    month_start_days = calendar.month_starts.astype("datetime64[D]")
    full_length = ((calendar.month_starts + 1).astype("datetime64[D]") - month_start_days).astype(float)
    # A last month cut short by ``end`` gets its share of the month's newcomers.
    covered = calendar.month_days / full_length
    trend = (1 + NEW_CUSTOMER_GROWTH_PER_MONTH) ** step
    volume = trend * np.asarray(SIGNUP_SEASON)[calendar.calendar_month] * covered
    weights = volume[:, None] * np.asarray(CHANNEL_SHARES)[None, :]
    story = CHANNELS.index(CPA_STORY_CHANNEL)
    story_from = months - CPA_STORY_MONTHS
    # Social stops growing: a flat, unseasonal volume from the story's first month on.
    weights[story_from:, story] = trend[story_from] * CHANNEL_SHARES[story]
    expected = newcomers * weights / weights.sum()
    cpa = np.asarray(CHANNEL_CPA)[None, :] * (1 + CPA_INFLATION_PER_MONTH) ** step[:, None]
    ramp = np.linspace(1.0, 1.0 + CPA_STORY_SPEND_GROWTH, CPA_STORY_MONTHS)
    cpa[story_from:, story] *= ramp
    return _AcquisitionPlan(expected=expected, cpa=cpa)


@dataclass(frozen=True)
class _Traits:
    """Hidden and visible traits of a set of customers, and the daily churn hazard they imply."""

    region: np.ndarray
    plan: np.ndarray
    satisfaction: np.ndarray
    slow_service: np.ndarray
    loyal: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, count: int) -> _Traits:
        plan = rng.choice(len(PLANS), size=count, p=PLAN_SHARES)
        satisfaction = rng.standard_normal(count)
        return cls(
            region=rng.choice(len(REGIONS), size=count, p=REGION_SHARES),
            plan=plan,
            satisfaction=satisfaction,
            slow_service=rng.standard_normal(count),
            loyal=rng.random(count) < 0.20 + 0.10 * plan + 0.05 * np.clip(satisfaction, -2, 2),
        )

    def daily_churn_hazard(self) -> np.ndarray:
        log_ratio = (
            CHURN_SATISFACTION * self.satisfaction
            + CHURN_SLOW_SERVICE * self.slow_service
            + CHURN_LOYALTY * self.loyal
            + np.asarray(CHURN_PLAN)[self.plan]
        )
        return MONTHLY_CHURN_HAZARD / _DAYS_PER_MONTH * np.exp(log_ratio)

    def take(self, rows: np.ndarray) -> _Traits:
        return _Traits(*(getattr(self, name)[rows] for name in self.__dataclass_fields__))

    @staticmethod
    def concat(first: _Traits, second: _Traits) -> _Traits:
        return _Traits(
            *(
                np.concatenate((getattr(first, name), getattr(second, name)))
                for name in _Traits.__dataclass_fields__
            )
        )


def _draw_starting_base(rng: np.random.Generator, count: int) -> tuple[np.ndarray, _Traits]:
    """Signup days (negative) and traits of the customers still active on day 0.

    Candidates sign up evenly over the years before the history. ``count`` of them are kept by
    weighted sampling without replacement (Efraimidis–Spirakis: the largest keys log(u) / w),
    the weight w being the chance of surviving to day 0, exp(-h · (d - 14)) for daily hazard h
    and d days since signup. Like a real customer base, the starting base has already lost
    many of its unhappy customers.
    """
    candidates = BASE_CANDIDATES_PER_CUSTOMER * count
    signup_day = -1 - np.floor(rng.random(candidates) * STARTING_BASE_YEARS * 365).astype(np.int64)
    traits = _Traits.draw(rng, candidates)
    exposed_days = np.maximum(-signup_day - MIN_DAYS_BEFORE_CHURN, 0)
    survival = np.maximum(np.exp(-traits.daily_churn_hazard() * exposed_days), 1e-300)
    key = np.log(rng.random(candidates)) / survival
    kept = np.sort(np.argpartition(-key, count - 1)[:count])
    return signup_day[kept], traits.take(kept)


def _draw_customers(
    rng: np.random.Generator, count: int, calendar: _Calendar
) -> tuple[_People, _AcquisitionPlan]:
    base = round(count * STARTING_BASE_SHARE)
    newcomers = count - base
    plan = _acquisition_plan(newcomers, calendar)
    months, channels = plan.expected.shape

    cells = rng.multinomial(newcomers, (plan.expected / plan.expected.sum()).ravel())
    cell = np.repeat(np.arange(months * channels), cells)
    new_month, new_channel = np.divmod(cell, channels)
    new_day = calendar.month_first_day[new_month] + np.floor(
        rng.random(newcomers) * calendar.month_days[new_month]
    ).astype(np.int64)
    base_day, base_traits = _draw_starting_base(rng, base)
    base_channel = rng.choice(channels, size=base, p=CHANNEL_SHARES)

    signup_day = np.concatenate((base_day, new_day))
    channel = np.concatenate((base_channel, new_channel))
    signup_month = np.concatenate((np.full(base, -1), new_month))
    traits = _Traits.concat(base_traits, _Traits.draw(rng, newcomers))

    # Newcomers share their month and channel's spend in proportion to a random weight, so the
    # acquisition costs of a cell add up to the marketing spend of that cell.
    weight = rng.lognormal(0.0, 0.3, newcomers)
    spend = _planned_spend(plan, cells.reshape(months, channels))
    weight_per_cell = np.bincount(cell, weights=weight, minlength=months * channels)
    new_cost = spend.ravel()[cell] * weight / weight_per_cell[cell]
    base_cost = np.asarray(CHANNEL_CPA)[base_channel] * rng.lognormal(0.0, 0.3, base)
    acquisition_cost = np.round(np.concatenate((base_cost, new_cost)), 2)

    # The hazard is constant, so a base customer's time to churn from day 0 is again exponential.
    active_from = np.maximum(signup_day, 0)
    waiting_days = np.floor(rng.exponential(1.0 / traits.daily_churn_hazard())).astype(np.int64)
    churn_day = active_from + np.where(signup_day >= 0, MIN_DAYS_BEFORE_CHURN, 0) + waiting_days
    churned = churn_day <= calendar.days - 1
    churn_day = np.where(churned, churn_day, -1)

    order = np.argsort(signup_day, kind="stable")
    people = _People(
        customer_id=_ids("C", count, _id_width(count)),
        signup_day=signup_day[order],
        region=traits.region[order],
        plan=traits.plan[order],
        channel=channel[order],
        loyal=traits.loyal[order],
        acquisition_cost=acquisition_cost[order],
        satisfaction=traits.satisfaction[order],
        slow_service=traits.slow_service[order],
        churned=churned[order],
        churn_day=churn_day[order],
        signup_month=signup_month[order],
    )
    return people, plan


def _planned_spend(plan: _AcquisitionPlan, conversions: np.ndarray) -> np.ndarray:
    """Spend per month and channel: the planned CPA times the mean of planned and won volume.

    Tying spend half to the plan and half to the outcome keeps each channel's CPA steady
    without making it exact, and keeps spend positive in a month that won nobody.
    """
    return np.round(plan.cpa * (plan.expected + conversions) / 2, 2)


def _customers_table(people: _People, calendar: _Calendar) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": people.customer_id,
            "signup_date": calendar.dates(people.signup_day),
            "region": _labels(people.region, REGIONS),
            "plan": _labels(people.plan, PLANS),
            "channel": _labels(people.channel, CHANNELS),
            "loyalty_member": _yes_no(people.loyal),
            "acquisition_cost": people.acquisition_cost,
            "churned": _yes_no(people.churned),
            "churn_date": np.where(
                people.churned, calendar.dates(people.churn_day), np.datetime64("NaT", "us")
            ),
        }
    )


# --- Orders ------------------------------------------------------------------------------------


def _orders_table(rng: np.random.Generator, people: _People, calendar: _Calendar) -> pd.DataFrame:
    count = len(people.signup_day)
    intensity = (
        np.asarray(ORDER_SEASON)[calendar.calendar_month[calendar.month_of_day]]
        * np.asarray(ORDER_WEEKDAY)[calendar.weekday]
    )
    cumulative = calendar.cumulative(intensity)
    first, last = people.active_from, people.active_to(calendar)
    appetite = (
        rng.gamma(2.0, 0.5, count)
        * np.asarray(PLAN_ORDER_RATE)[people.plan]
        * np.where(people.loyal, 1.3, 1.0)
        * np.exp(0.15 * people.satisfaction)
    )
    exposure = appetite * (cumulative[last + 1] - cumulative[first])
    lines_per_customer = rng.poisson(ORDERS_PER_CUSTOMER * count * exposure / exposure.sum())

    customer = np.repeat(np.arange(count), lines_per_customer)
    lines = len(customer)
    day = _sample_days(rng, cumulative, first[customer], last[customer])
    quantity = 1 + rng.poisson(0.5, lines)
    unit_price = (
        UNIT_PRICE_MEDIAN * np.asarray(PLAN_UNIT_PRICE)[people.plan[customer]] * rng.lognormal(0, 0.55, lines)
    )
    is_return = rng.random(lines) < RETURN_SHARE
    sign = np.where(is_return, -1, 1)
    amount = np.round(quantity * unit_price, 2) * sign

    order = np.lexsort((customer, day))
    return pd.DataFrame(
        {
            "order_id": _ids("O", lines, _id_width(lines) + 1),
            "customer_id": people.customer_id.take(customer[order]).reset_index(drop=True),
            "order_date": calendar.dates(day[order]),
            "amount": amount[order],
            "quantity": (quantity * sign)[order],
        }
    )


# --- Surveys -----------------------------------------------------------------------------------


def _surveys_table(rng: np.random.Generator, people: _People, calendar: _Calendar, end: date) -> pd.DataFrame:
    count = len(people.signup_day)
    first, last = people.active_from, people.active_to(calendar)
    window = (last - first + 1).astype(float)
    per_customer = rng.poisson(SURVEYS_PER_CUSTOMER * count * window / window.sum())
    customer = np.repeat(np.arange(count), per_customer)
    responses = len(customer)
    day = first[customer] + np.floor(rng.random(responses) * window[customer]).astype(np.int64)

    story_day = (np.datetime64(company_stories(end).nps_improves_from, "D") - calendar.start).astype(np.int64)
    north = REGIONS.index(NPS_STORY_REGION)
    lift = np.where((people.region[customer] == north) & (day >= story_day), NPS_STORY_LIFT, 0.0)
    # Unhappy customers leave, so the customers still there grow happier over time. Answers are
    # centred on the customers active that day to keep that drift out of the scores: apart
    # from North's story, the company's NPS stays flat.
    mood = people.satisfaction[customer] - _drift(people.satisfaction, first, last, calendar.days)[day]
    slow = people.slow_service[customer] - _drift(people.slow_service, first, last, calendar.days)[day]
    nps = np.clip(
        np.rint(NPS_MEAN + NPS_SPREAD * mood + lift + NPS_NOISE * rng.standard_normal(responses)), 0, 10
    )
    csat = np.clip(np.rint(3.8 + 0.75 * mood + 0.4 * lift + 0.6 * rng.standard_normal(responses)), 1, 5)
    ces = np.clip(
        np.rint(5.0 + 0.5 * mood - 0.6 * slow + 0.3 * lift + 0.8 * rng.standard_normal(responses)),
        1,
        7,
    )
    comment = _comments(rng, nps, lift > 0)

    order = np.lexsort((customer, day))
    return pd.DataFrame(
        {
            "response_id": _ids("R", responses, _id_width(responses)),
            "customer_id": people.customer_id.take(customer[order]).reset_index(drop=True),
            "response_date": calendar.dates(day[order]),
            "nps": nps[order].astype(np.int64),
            "csat": csat[order].astype(np.int64),
            "ces": ces[order].astype(np.int64),
            "comment": comment.take(order).reset_index(drop=True),
        }
    )


def _drift(trait: np.ndarray, first: np.ndarray, last: np.ndarray, days: int) -> np.ndarray:
    """Mean of ``trait`` over the customers active each day, minus its value on day 0."""
    total = np.cumsum(
        np.bincount(first, weights=trait, minlength=days + 1)
        - np.bincount(last + 1, weights=trait, minlength=days + 1)
    )[:days]
    active = np.cumsum(np.bincount(first, minlength=days + 1) - np.bincount(last + 1, minlength=days + 1))[
        :days
    ]
    mean = total / np.maximum(active, 1)
    return mean - mean[0]


def _comments(rng: np.random.Generator, nps: np.ndarray, lifted: np.ndarray) -> pd.Series:
    """A short comment matching the score (promoter 9–10, passive 7–8, detractor 0–6), or blank."""
    pool = (*DETRACTOR_COMMENTS, *PASSIVE_COMMENTS, *PROMOTER_COMMENTS, STORY_COMMENT, "")
    sizes = np.array([len(DETRACTOR_COMMENTS), len(PASSIVE_COMMENTS), len(PROMOTER_COMMENTS)])
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    group = np.where(nps >= 9, 2, np.where(nps >= 7, 1, 0))
    code = offsets[group] + np.floor(rng.random(len(nps)) * sizes[group]).astype(np.int64)
    code = np.where(lifted & (group == 2) & (rng.random(len(nps)) < 0.3), len(pool) - 2, code)
    code = np.where(rng.random(len(nps)) < COMMENT_SHARE, code, len(pool) - 1)
    comments = _labels(code, pool)
    return comments.where(comments != "")


# --- Tickets -----------------------------------------------------------------------------------


def _tickets_table(rng: np.random.Generator, people: _People, calendar: _Calendar) -> pd.DataFrame:
    count = len(people.signup_day)
    first, last = people.active_from, people.active_to(calendar)
    cumulative = calendar.cumulative(np.asarray(TICKET_WEEKDAY)[calendar.weekday])
    # Unhappy customers contact support more often.
    exposure = (last - first + 1) / _DAYS_PER_MONTH * np.exp(-0.3 * people.satisfaction)
    per_customer = rng.poisson(TICKETS_PER_CUSTOMER_MONTH * exposure)
    customer = np.repeat(np.arange(count), per_customer)
    tickets = len(customer)
    day = _sample_days(rng, cumulative, first[customer], last[customer])
    hour_weights = np.asarray(TICKET_HOURS, dtype=float)
    hour = rng.choice(24, size=tickets, p=hour_weights / hour_weights.sum())
    opened_minute = day * 1440 + hour * 60 + rng.integers(0, 60, tickets)

    response_hours = np.asarray(PLAN_RESPONSE_HOURS)[people.plan[customer]] * np.exp(
        0.6 * people.slow_service[customer] + 0.5 * rng.standard_normal(tickets)
    )
    responded_minute = opened_minute + np.maximum(np.rint(response_hours * 60), 5).astype(np.int64)
    resolution_hours = RESOLUTION_HOURS_MEDIAN * rng.lognormal(0.0, 1.0, tickets)
    resolved_minute = responded_minute + np.maximum(np.rint(resolution_hours * 60), 5).astype(np.int64)

    history_end = calendar.days * 1440
    responded = responded_minute < history_end
    resolved = responded & (resolved_minute < history_end) & (rng.random(tickets) >= ABANDONED_TICKET_SHARE)

    order = np.lexsort((customer, opened_minute))
    start = calendar.start.astype("datetime64[m]")
    not_yet = np.datetime64("NaT", "m")
    return pd.DataFrame(
        {
            "ticket_id": _ids("T", tickets, _id_width(tickets)),
            "customer_id": people.customer_id.take(customer[order]).reset_index(drop=True),
            "opened_at": (start + opened_minute[order]).astype("datetime64[us]"),
            "first_response_at": np.where(responded, start + responded_minute, not_yet)[order].astype(
                "datetime64[us]"
            ),
            "resolved_at": np.where(resolved, start + resolved_minute, not_yet)[order].astype(
                "datetime64[us]"
            ),
        }
    )


# --- Marketing ---------------------------------------------------------------------------------


def _marketing_table(
    rng: np.random.Generator,
    people: _People,
    plan: _AcquisitionPlan,
    calendar: _Calendar,
    orders: pd.DataFrame,
) -> pd.DataFrame:
    months, channels = plan.expected.shape
    newcomer = people.signup_month >= 0
    cell = people.signup_month[newcomer] * channels + people.channel[newcomer]
    conversions = np.bincount(cell, minlength=months * channels).reshape(months, channels)
    spend = _planned_spend(plan, conversions)
    # Leads follow spend: a channel paid more brings more leads, converting or not.
    cost_per_lead = plan.cpa[0][None, :] * np.asarray(CHANNEL_LEAD_CONVERSION)[None, :]
    leads = np.maximum(np.rint(spend / cost_per_lead * rng.lognormal(0.0, 0.08, spend.shape)), conversions)

    # The market is sized so that the company's net revenue is a slowly growing share of it.
    order_month = (orders["order_date"].to_numpy("datetime64[M]") - calendar.month_starts[0]).astype(np.int64)
    revenue = np.bincount(order_month, weights=orders["amount"].to_numpy(), minlength=months)
    share = np.linspace(MARKET_SHARE_START, MARKET_SHARE_END, months) * rng.lognormal(0.0, 0.03, months)
    market_size = (np.round(np.maximum(revenue, 0.0) / share, -3)).astype(np.int64)

    month_index = np.repeat(np.arange(months), channels)
    return pd.DataFrame(
        {
            "month": calendar.month_starts[month_index].astype("datetime64[us]"),
            "channel": _labels(np.tile(np.arange(channels), months), CHANNELS),
            "spend": spend.ravel(),
            "leads": leads.ravel().astype(np.int64),
            "conversions": conversions.ravel(),
            "market_size": market_size[month_index],
        }
    )


# --- Writing -----------------------------------------------------------------------------------


def _as_iso_text(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """The table with its dates as ISO text ("2026-10-31", "2026-10-31 14:05"), missing blank."""
    text = table.copy()
    for column, unit in [(c, "D") for c in _DATE_COLUMNS.get(name, ())] + [
        (c, "m") for c in _DATETIME_COLUMNS.get(name, ())
    ]:
        values = table[column].to_numpy("datetime64[us]")
        iso = np.datetime_as_string(values, unit=unit)
        if unit == "m":
            iso = np.strings.replace(iso, "T", " ")
        text[column] = pd.Series(np.where(np.isnat(values), "", iso), index=table.index, dtype="str")
    return text


def _write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table; dates as Excel dates shown as YYYY-MM-DD (times as YYYY-MM-DD HH:MM).

    Written with openpyxl directly, in its streaming mode, because the pandas Excel writer
    ignores ``datetime_format`` with openpyxl.
    """
    book = Workbook(write_only=True)
    for name, table in tables.items():
        sheet = book.create_sheet(name)
        sheet.append(list(table.columns))
        columns = []
        for column in table.columns:
            values = table[column]
            missing = values.isna().to_numpy()
            if column in _DATE_COLUMNS.get(name, ()):
                cells = [_excel_date(sheet, value, "yyyy-mm-dd") for value in values.dt.date]
            elif column in _DATETIME_COLUMNS.get(name, ()):
                cells = [_excel_date(sheet, value, "yyyy-mm-dd hh:mm") for value in values.dt.to_pydatetime()]
            else:
                cells = values.astype(object).tolist()
            columns.append([None if gap else cell for cell, gap in zip(cells, missing, strict=True)])
        for row in zip(*columns, strict=True):
            sheet.append(row)
    book.save(path)


def _excel_date(sheet: object, value: date | None, number_format: str) -> WriteOnlyCell | None:
    if value is None or pd.isna(value):
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell
