"""Per-customer feature tables: RFM, tenure, customer attributes, survey means and support figures.

One row per customer, one float column per feature, aggregated by the same Ibis engine as the
KPIs (:mod:`bsc.engine`) so that they scale the same way, then handed over as a pandas frame to
the models (segmentation, churn).

Conventions
-----------
- An order is what the KPIs call an order: a distinct ``order_id`` of a customer, or a distinct
  customer and day without order ids. Lines without a customer id or a date are left out.
- The *end of the data* is the exclusive bound of the observation window: the ``cutoff`` when one
  is given, otherwise the day after the last order in the transaction log. Recency and tenure
  count whole days up to it, so an order on the last day of the data is 1 day old (the usual RFM
  "snapshot date").
- With a ``cutoff``, every feature is computed strictly from data dated before it: orders,
  survey responses and tickets dated on or after the cutoff are ignored, survey responses without
  a date are ignored, a first response given on or after the cutoff is not counted, and customers
  who signed up on or after it are left out. Customer attributes (region, acquisition cost...)
  carry no date and are taken as they are.
- Customers: everyone in the customers table (who signed up before the cutoff, or whose signup
  date is unknown), plus anyone with an order, a survey response or a ticket in the window.
- Missing values are kept as NaN, never dropped: a customer without orders has recency NaN,
  frequency 0 and monetary value 0; without survey responses NaN means; without tickets 0
  tickets and a NaN response time. :meth:`CustomerFeatures.missing` counts them.
- A numeric attribute of the customers table keeps its column name and is shown by its header
  in the user's file (``TotalCharges``). Should it meet the id of a computed feature (a column
  named ``tickets``), the computed one gives way and takes an internal id
  (``support_tickets``), still shown as "Support tickets".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from bsc.columns import column_label, resolve_name, stored_columns
from bsc.engine import Backend, default_backend, table_columns
from bsc.errors import InputError
from bsc.kpis.tables import lines_are_orders, order_table, orders_from_lines, orders_from_order_lines
from bsc.schema import KINDS

__all__ = [
    "FEATURES",
    "CustomerFeatures",
    "FeatureDef",
    "customer_features",
    "feature_customers",
    "rfm_features",
]

Tables = Mapping[str, Sequence[Path | str]]
Cutoff = str | dt.date | dt.datetime | pd.Timestamp | None

_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class FeatureDef:
    """One per-customer feature.

    Attributes
    ----------
    id
        Column name in :attr:`CustomerFeatures.frame`.
    label
        Short name shown to users.
    unit
        Unit of the values (``"days"``, ``"orders"``, ``"money"``, ``"points"``...).
    source
        Table kind the feature comes from.
    description
        How it is computed, with its edge cases.
    skewed
        True for money and counts, whose long right tail a ``log1p`` transform tames; models use
        it as their default transform.
    """

    id: str
    label: str
    unit: str
    source: str
    description: str
    skewed: bool = False


FEATURES: dict[str, FeatureDef] = {
    f.id: f
    for f in (
        FeatureDef(
            "recency_days",
            "Recency",
            "days",
            "transactions",
            "Days from the customer's last order to the end of the data (1 = ordered on the last day); "
            "NaN without orders.",
            skewed=True,
        ),
        FeatureDef(
            "frequency",
            "Frequency",
            "orders",
            "transactions",
            "Distinct orders (order ids, else customer-days); 0 without orders.",
            skewed=True,
        ),
        FeatureDef(
            "monetary",
            "Monetary value",
            "money",
            "transactions",
            "Total amount of the customer's orders, returns subtracted; 0 without orders.",
            skewed=True,
        ),
        FeatureDef(
            "average_order_value",
            "Average order value",
            "money",
            "transactions",
            "Monetary value ÷ frequency; NaN without orders.",
            skewed=True,
        ),
        FeatureDef(
            "tenure_days",
            "Tenure",
            "days",
            "customers",
            "Days from the customer's start (the earlier of signup date and first order) to the end "
            "of the data; NaN when neither is known.",
            skewed=False,
        ),
        FeatureDef(
            "nps_mean",
            "Mean NPS score",
            "0–10",
            "feedback",
            "Mean of the customer's likelihood-to-recommend answers (0–10); NaN without answers.",
        ),
        FeatureDef(
            "csat_mean",
            "Mean CSAT",
            "1–5",
            "feedback",
            "Mean of the customer's satisfaction answers (1–5); NaN without answers.",
        ),
        FeatureDef(
            "ces_mean",
            "Mean CES",
            "1–7",
            "feedback",
            "Mean of the customer's effort answers (1–7); NaN without answers.",
        ),
        FeatureDef(
            "rating_mean",
            "Mean rating",
            "rating",
            "feedback",
            "Mean of the customer's ratings; NaN without ratings.",
        ),
        FeatureDef(
            "survey_responses",
            "Survey responses",
            "responses",
            "feedback",
            "Survey responses given; 0 without any.",
            skewed=True,
        ),
        FeatureDef(
            "tickets",
            "Support tickets",
            "tickets",
            "support",
            "Support tickets opened; 0 without any.",
            skewed=True,
        ),
        FeatureDef(
            "first_response_hours",
            "Mean first response",
            "hours",
            "support",
            "Mean hours from opening a ticket to support's first response, over the customer's "
            "answered tickets; NaN without one.",
            skewed=True,
        ),
        FeatureDef(
            "acquisition_cost",
            "Acquisition cost",
            "money",
            "customers",
            "Cost of winning the customer, from the customers table.",
            skewed=True,
        ),
        FeatureDef(
            "loyalty_member",
            "Loyalty member",
            "0/1",
            "customers",
            "1 for members of the loyalty programme, 0 otherwise; NaN when unknown.",
        ),
    )
}

_RFM = ("recency_days", "frequency", "monetary", "average_order_value")
# Numeric attributes travel under this prefix until the frame is assembled, so that a name
# such as "tickets" in the customers table cannot clash with a computed feature.
_ATTRIBUTE_PREFIX = "attribute:"
# The id a computed feature takes when a customers column already has its own id; any other
# computed feature takes "computed_<id>".
_INTERNAL_IDS = {"tickets": "support_tickets"}
_SURVEY_SCORES = ("nps", "csat", "ces", "rating")


@dataclass(frozen=True)
class CustomerFeatures:
    """The per-customer feature table of a workspace.

    Attributes
    ----------
    frame
        Index ``customer_id`` (pandas string), one float64 column per feature, in the order of
        :attr:`definitions`.
    definitions
        Feature id -> :class:`FeatureDef`, for every column of ``frame``. Numeric attributes of
        the customers table get a definition of their own (source ``"customers"``).
    data_end
        Exclusive end of the observation window used for recency and tenure (see the module
        docstring); None without dated data.
    cutoff
        The cutoff the features were computed with, or None.
    """

    frame: pd.DataFrame
    definitions: dict[str, FeatureDef]
    data_end: pd.Timestamp | None
    cutoff: pd.Timestamp | None

    def missing(self) -> pd.Series:
        """Number of customers without a value, per feature (0 for complete features)."""
        return self.frame.isna().sum().astype("int64")

    def select(self, features: Sequence[str]) -> pd.DataFrame:
        """The columns ``features`` of :attr:`frame`.

        Raises
        ------
        InputError
            When a feature is not available in this workspace.
        """
        unknown = [name for name in features if name not in self.frame.columns]
        if unknown:
            raise InputError(
                f"Unknown feature(s) {', '.join(unknown)}; this workspace offers "
                f"{', '.join(self.frame.columns)}."
            )
        return self.frame[list(features)]

    def resolve(self, typed: Sequence[str]) -> list[str]:
        """The feature ids that names typed by a user stand for: an id, or a label (the header
        of a customers column in the user's file), in any case (``TotalCharges``,
        ``totalcharges``, ``Support tickets``).

        Raises
        ------
        InputError
            When a name fits no feature (the message lists the features) or fits two.
        """
        labels = {name: definition.label for name, definition in self.definitions.items()}
        resolved: list[str] = []
        unknown: list[str] = []
        for name in typed:
            try:
                resolved.append(resolve_name(name, labels, "feature"))
            except InputError as error:
                if "could be any of" in str(error):
                    raise
                unknown.append(name)
        if unknown:
            offered = ", ".join(
                f"{name} ({label})" if label != name else name for name, label in labels.items()
            )
            raise InputError(f"Unknown feature(s) {', '.join(unknown)}; this workspace offers {offered}.")
        return resolved


def customer_features(
    tables: Tables,
    *,
    cutoff: Cutoff = None,
    backend: Backend | None = None,
    customers: Sequence[str] | pd.Series | None = None,
) -> CustomerFeatures:
    """Every per-customer feature the workspace's tables allow.

    Parameters
    ----------
    tables
        Table kind -> canonical Parquet files (as :meth:`bsc.store.Store.workspace_tables`
        returns); kinds that are not product kinds are ignored.
    cutoff
        When given, only data dated strictly before it is used (see the module docstring), and
        it is the end of the data for recency and tenure.
    backend
        Where to aggregate; :func:`bsc.engine.default_backend` when None.
    customers
        When given (with a ``cutoff``), only the rows of these customer ids, picked out by the
        engine: the same values as those rows of the whole frame, without holding a million
        customers' features to keep a sample of them (ids without data have no row).

    Returns
    -------
    CustomerFeatures
        RFM (``recency_days``, ``frequency``, ``monetary``, ``average_order_value``) with a
        transaction log; ``tenure_days`` with orders or signup dates; ``acquisition_cost``,
        ``loyalty_member`` and every numeric attribute of the customers table;
        ``nps_mean``, ``csat_mean``, ``ces_mean``, ``rating_mean`` and ``survey_responses`` with
        survey scores; ``tickets`` and ``first_response_hours`` with support tickets.

    Raises
    ------
    InputError
        When no table names customers, the cutoff is not a date, or no customer is known before
        the cutoff.
    """
    cutoff = _as_cutoff(cutoff)
    if customers is not None and cutoff is None:
        # Without a cutoff the end of the data is the last order of the rows computed.
        raise ValueError("Features of chosen customers need a cutoff.")
    backend = backend or default_backend()
    paths = {kind: list(files) for kind, files in tables.items() if kind in KINDS and files}
    parts = _feature_parts(backend, paths, cutoff)
    kept = None if customers is None else _id_table(customers)
    frame = _indexed(backend.execute(_joined(parts, kept))) if parts else pd.DataFrame()
    # Chosen customers may all lack data: no rows then, with every column.
    if frame.empty and (kept is None or not len(frame.columns)):
        before = f" before {cutoff:%Y-%m-%d}" if cutoff is not None else ""
        raise InputError(f"No customer has any data{before}: there is nothing to compute features from.")
    orders = frame if "frequency" in frame.columns else None
    data_end = cutoff if cutoff is not None else _data_end(orders)
    attributes = _attribute_columns(frame)
    computed: dict[str, pd.Series] = {}
    if orders is not None:
        computed.update(_rfm_columns(frame, data_end))
    tenure = _tenure(frame, data_end)
    if tenure is not None:
        computed["tenure_days"] = tenure
    for role in ("acquisition_cost", "loyalty_member"):
        if role in frame.columns:
            computed[role] = frame[role]
    later: dict[str, pd.Series] = {}
    for score in _SURVEY_SCORES:
        if f"{score}_mean" in frame.columns:
            later[f"{score}_mean"] = frame[f"{score}_mean"]
    if "survey_responses" in frame.columns:
        later["survey_responses"] = frame["survey_responses"].fillna(0.0)
    if "tickets" in frame.columns:
        later["tickets"] = frame["tickets"].fillna(0.0)
    if "first_response_hours" in frame.columns:
        later["first_response_hours"] = frame["first_response_hours"]

    # The customers' own columns keep their names; a computed feature meeting one gives way.
    taken = set(attributes.values())
    definitions: dict[str, FeatureDef] = {}
    features: dict[str, pd.Series] = {}
    for feature, values in computed.items():
        definitions[_give_way(feature, taken)] = FEATURES[feature]
        features[_give_way(feature, taken)] = values
    headers = stored_columns(paths["customers"]).headers if "customers" in paths else {}
    for column, name in attributes.items():
        definitions[name] = _attribute_definition(name, headers.get(name))
        features[name] = frame[column]
    for feature, values in later.items():
        definitions[_give_way(feature, taken)] = FEATURES[feature]
        features[_give_way(feature, taken)] = values

    result = pd.DataFrame(
        {name: values.astype("float64") for name, values in features.items()}, index=frame.index
    )
    result.index.name = "customer_id"
    definitions = {
        name: definition if definition.id == name else dataclasses.replace(definition, id=name)
        for name, definition in definitions.items()
    }
    return CustomerFeatures(frame=result, definitions=definitions, data_end=data_end, cutoff=cutoff)


def feature_customers(tables: Tables, *, cutoff: Cutoff = None, backend: Backend | None = None) -> pd.Series:
    """The ids of the customers :func:`customer_features` gives a row (pandas strings, sorted),
    without computing their features: who has any data (before ``cutoff``).

    Raises
    ------
    InputError
        As :func:`customer_features`, when no table names customers.
    """
    cutoff = _as_cutoff(cutoff)
    backend = backend or default_backend()
    paths = {kind: list(files) for kind, files in tables.items() if kind in KINDS and files}
    parts = _feature_parts(backend, paths, cutoff)
    if not parts:
        return pd.Series([], dtype="string", name="customer_id")
    population = _population(parts)
    frame = backend.execute(population.order_by("customer_id"))
    return frame["customer_id"].astype("string").reset_index(drop=True)


def _feature_parts(backend: Backend, paths: dict[str, list], cutoff: pd.Timestamp | None) -> list[ir.Table]:
    """One query per source table, each one row per customer (see the section below)."""
    columns = {kind: table_columns(files) for kind, files in paths.items()}
    linked = [
        kind
        for kind in ("customers", "transactions", "feedback", "support")
        if "customer_id" in columns.get(kind, {})
    ]
    if not linked:
        raise InputError(
            "Per-customer features need a table with customer ids (customers, transactions, "
            "surveys or support tickets); this workspace has none."
        )
    parts: list[ir.Table | None] = []
    if {"customer_id", "date"} <= set(columns.get("transactions", {})):
        parts.append(_order_summary(backend, paths["transactions"], cutoff))
    if "customers" in linked:
        parts.append(_customer_attributes(backend, paths["customers"], cutoff))
    if "feedback" in linked:
        parts.append(_survey_means(backend, paths["feedback"], cutoff))
    if "support" in linked:
        parts.append(_support_figures(backend, paths["support"], cutoff))
    return [part for part in parts if part is not None]


def _id_table(customers: Sequence[str] | pd.Series) -> ir.Table:
    """The customer ids to keep, as a table the engine can join (strings, without blanks)."""
    ids = pd.Series(customers, dtype="string").dropna().drop_duplicates()
    return ibis.memtable(pd.DataFrame({"customer_id": ids.astype(object).to_numpy()}))


def _population(parts: list[ir.Table]) -> ir.Table:
    """Every customer of any part, once."""
    return ibis.union(*[part.select("customer_id") for part in parts], distinct=True)


def rfm_features(tables: Tables, *, cutoff: Cutoff = None, backend: Backend | None = None) -> pd.DataFrame:
    """Recency, frequency and monetary value of every customer with an order.

    .. math::
        \\mathrm{recency} = \\lfloor t_{\\mathrm{end}} \\rfloor_{\\mathrm{day}} -
            \\lfloor t_{\\mathrm{last\\ order}} \\rfloor_{\\mathrm{day}}, \\quad
        \\mathrm{frequency} = \\#\\mathrm{orders}, \\quad
        \\mathrm{monetary} = \\sum \\mathrm{amount}, \\quad
        \\mathrm{AOV} = \\mathrm{monetary} / \\mathrm{frequency}

    where :math:`t_{\\mathrm{end}}` is the end of the data (the cutoff, else the day after the
    last order). Unlike ``lifetimes.utils.summary_data_from_transaction_data``, frequency counts
    every order (not repeat orders only) and monetary value is the total, not the mean of repeat
    orders.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``; columns ``recency_days``, ``frequency``, ``monetary``,
        ``average_order_value`` (float64), sorted by customer id.

    Raises
    ------
    InputError
        Without a transaction log holding customer ids and dates, or without an order before
        the cutoff.
    """
    cutoff = _as_cutoff(cutoff)
    backend = backend or default_backend()
    files = list(tables.get("transactions", []))
    if not files or not {"customer_id", "date"} <= set(table_columns(files)):
        raise InputError("RFM needs a transaction log with customer ids and order dates.")
    orders = _indexed(
        backend.execute(_as_numbers(_order_summary(backend, files, cutoff)).order_by("customer_id"))
    )
    if orders.empty:
        before = f" before {cutoff:%Y-%m-%d}" if cutoff is not None else ""
        raise InputError(f"The transaction log has no order with a customer id and a date{before}.")
    data_end = cutoff if cutoff is not None else _data_end(orders)
    result = pd.DataFrame(_rfm_columns(orders, data_end), index=orders.index).astype("float64")
    result.index.name = "customer_id"
    return result


# --------------------------------------------------------------------------------------------
# One Ibis query per source table, each returning one row per customer
# --------------------------------------------------------------------------------------------


def _order_summary(backend: Backend, files: list[Path | str], cutoff: pd.Timestamp | None) -> ir.Table:
    """Per customer: orders, revenue, first and last order date."""
    if cutoff is None:
        # The same derived order table as the KPIs: loaded once, shared.
        orders = order_table(backend, files)
    else:
        lines = backend.read("transactions", files)
        lines = lines.filter(lines.date < cutoff)
        # A log whose every line is an order needs no grouping by order: grouping ten million
        # lines by order id took most of the churn lab's memory at that scale, for the same rows.
        orders = orders_from_order_lines(lines) if lines_are_orders(files) else orders_from_lines(lines)
    summary = orders.group_by("customer_id").aggregate(
        frequency=orders.count(),
        monetary=orders.amount.sum(),
        first_order=orders.date.min(),
        last_order=orders.date.max(),
    )
    return summary


def _customer_attributes(backend: Backend, files: list[Path | str], cutoff: pd.Timestamp | None) -> ir.Table:
    """Per customer: signup date, acquisition cost, loyalty membership and numeric attributes.

    A customer listed twice gets the earliest signup and the greatest value of each attribute.
    """
    table = backend.read("customers", files)
    table = table.filter(table.customer_id.notnull())
    if cutoff is not None and "signup_date" in table.columns:
        table = table.filter(table.signup_date.isnull() | (table.signup_date < cutoff))
    roles = set(KINDS["customers"].role_ids)
    measures: dict[str, ir.Value] = {}
    if "signup_date" in table.columns:
        measures["signup_date"] = table.signup_date.min()
    if "acquisition_cost" in table.columns:
        measures["acquisition_cost"] = table.acquisition_cost.max()
    if "loyalty_member" in table.columns:
        measures["loyalty_member"] = table.loyalty_member.cast("float64").max()
    for name in table.columns:
        if name in roles or not table[name].type().is_floating():
            continue
        measures[_ATTRIBUTE_PREFIX + name] = table[name].max()
    return table.group_by("customer_id").aggregate(**measures)


def _survey_means(backend: Backend, files: list[Path | str], cutoff: pd.Timestamp | None) -> ir.Table | None:
    """Per customer: mean of each survey score and number of responses."""
    table = backend.read("feedback", files)
    table = table.filter(table.customer_id.notnull())
    if cutoff is not None:
        if "date" not in table.columns:
            return None
        table = table.filter(table.date < cutoff)
    scores = [score for score in _SURVEY_SCORES if score in table.columns]
    measures: dict[str, ir.Value] = {f"{score}_mean": table[score].mean() for score in scores}
    answered = ibis.or_(*[table[score].notnull() for score in scores]) if scores else ibis.literal(True)
    measures["survey_responses"] = answered.sum()
    return table.group_by("customer_id").aggregate(**measures)


def _support_figures(
    backend: Backend, files: list[Path | str], cutoff: pd.Timestamp | None
) -> ir.Table | None:
    """Per customer: tickets opened and mean hours to the first response (when the tickets say
    when support first answered)."""
    table = backend.read("support", files)
    table = table.filter(table.customer_id.notnull())
    if "opened_at" in table.columns:
        if cutoff is not None:
            table = table.filter(table.opened_at < cutoff)
        opened = table.opened_at
    else:
        if cutoff is not None:
            return None
        opened = None
    hours: ir.FloatingValue | None = None
    if "first_response_at" in table.columns and opened is not None:
        hours = (table.first_response_at.epoch_seconds() - opened.epoch_seconds()).cast("float64") / 3600.0
        responded = table.first_response_at
    elif "response_minutes" in table.columns:
        hours = table.response_minutes / 60.0
        responded = None if opened is None else opened + table.response_minutes.cast("int64").as_interval("m")
    else:
        responded = None
    if cutoff is not None and responded is not None and hours is not None:
        hours = ibis.ifelse(responded < cutoff, hours, ibis.null("float64"))
    measures: dict[str, ir.Value] = {"tickets": table.count()}
    # Tickets with opening dates alone say nothing about response times: no such feature then.
    if hours is not None:
        measures["first_response_hours"] = hours.mean()
    return table.group_by("customer_id").aggregate(**measures)


# --------------------------------------------------------------------------------------------
# Assembling the frame
# --------------------------------------------------------------------------------------------


def _indexed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame.set_index("customer_id")


def _joined(parts: list[ir.Table], kept: ir.Table | None = None) -> ir.Table:
    """Every customer of any part (of ``kept`` only, when given), with the columns of every
    part (null where a part lacks them)."""
    population = _population(parts)
    if kept is not None:
        population = population.filter(population.customer_id.cast("string").isin(kept.customer_id))
    for part in parts:
        population = population.left_join(part, "customer_id").drop("customer_id_right")
    return _as_numbers(population).order_by("customer_id")


def _as_numbers(table: ir.Table) -> ir.Table:
    """Every column but the id as float64 without nulls: dates become day numbers, nulls NaN.

    Missing values travel as NaN rather than SQL nulls because a column holding nulls is handed
    to pandas value by value, many times slower than a float column.
    """
    columns: dict[str, ir.Value] = {}
    for name in table.columns:
        column = table[name]
        if name == "customer_id":
            continue
        if column.type().is_timestamp():
            column = (column.epoch_seconds() / _SECONDS_PER_DAY).floor()
        columns[name] = column.cast("float64").fill_null(float("nan"))
    return table.mutate(**columns)


def _attribute_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Customer attribute columns of the joined frame -> feature id (the column's own name)."""
    return {
        column: column.removeprefix(_ATTRIBUTE_PREFIX)
        for column in frame.columns
        if column.startswith(_ATTRIBUTE_PREFIX)
    }


def _give_way(feature: str, taken: set[str]) -> str:
    """A computed feature's id: its own, unless a customers column has it (see the module docstring)."""
    if feature not in taken:
        return feature
    internal = _INTERNAL_IDS.get(feature, f"computed_{feature}")
    while internal in taken:
        internal = f"computed_{internal}"
    return internal


def _data_end(orders: pd.DataFrame | None) -> pd.Timestamp | None:
    """The day after the last order (the exclusive end of the data), None without orders."""
    if orders is None or orders.empty or orders["last_order"].isna().all():
        return None
    return pd.Timestamp(int(orders["last_order"].max()) + 1, unit="D")


def _whole_days(end: pd.Timestamp | None, day_numbers: pd.Series) -> pd.Series:
    """Calendar days from each day (a day number since 1970-01-01) to ``end``'s day."""
    if end is None:
        return pd.Series(np.nan, index=day_numbers.index)
    end_day = (pd.Timestamp(end).normalize() - pd.Timestamp(0)).days
    return end_day - day_numbers


def _rfm_columns(frame: pd.DataFrame, data_end: pd.Timestamp | None) -> dict[str, pd.Series]:
    frequency = frame["frequency"].fillna(0.0)
    # A customer without orders spent nothing.
    monetary = frame["monetary"].mask(frequency == 0, 0.0)
    return {
        "recency_days": _whole_days(data_end, frame["last_order"]),
        "frequency": frequency,
        "monetary": monetary,
        "average_order_value": (monetary / frequency).where(frequency > 0),
    }


def _tenure(frame: pd.DataFrame, data_end: pd.Timestamp | None) -> pd.Series | None:
    starts = [name for name in ("signup_date", "first_order") if name in frame.columns]
    if not starts or data_end is None:
        return None
    return _whole_days(data_end, frame[starts].min(axis=1))


def _attribute_definition(name: str, header: str | None) -> FeatureDef:
    return FeatureDef(
        id=name,
        label=column_label(name, {name: header} if header else None),
        unit="",
        source="customers",
        description="A numeric attribute of the customers table (the greatest value when listed twice).",
    )


def _as_cutoff(cutoff: Cutoff) -> pd.Timestamp | None:
    if cutoff is None:
        return None
    try:
        value = pd.Timestamp(cutoff)
    except (TypeError, ValueError) as error:
        raise InputError(f"The cutoff {cutoff!r} is not a date; write it like 2024-06-30.") from error
    if pd.isna(value):
        raise InputError("The cutoff is empty; give a date like 2024-06-30.")
    if value.tzinfo is not None:
        value = value.tz_convert("UTC").tz_localize(None)
    return value.as_unit("us")
