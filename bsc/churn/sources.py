"""Workspace sources: a workspace's canonical tables, or files, prepared for the churn lab.

:func:`label_sources` lists the churn definitions a workspace allows (:data:`LABEL_SOURCES`);
:func:`churn_data_from_workspace` computes one row per customer (the per-customer features of
:func:`bsc.features.customer_features` and the customers' segment attributes) with its label:
the churn flag as it is today, or churn in a window after a cutoff, with features computed
strictly from data before the cutoff. :func:`churn_data_from_files` does the same for files,
as the command line does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bsc.churn.labels import (
    ChurnData,
    LabelDefinition,
    churn_data_from_table,
    cutoff_labels,
    find_label_columns,
    stratified_rows,
)
from bsc.churn.order_labels import order_log_labels
from bsc.columns import stored_columns
from bsc.errors import InputError

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "LABEL_SOURCES",
    "SOURCE_GROUPS",
    "churn_data_from_files",
    "churn_data_from_workspace",
    "data_end",
    "label_sources",
]

DEFAULT_HORIZON_DAYS = 365
LABEL_SOURCES: dict[str, str] = {
    "churn_date": "A churn date in the window",
    "inactivity": "No order in the window",
    "column": "The churn flag today",
}
# Features counted up to the end of the data: churners stopped adding to them when they left.
_AFTER_CHURN = ("recency_days", "frequency", "monetary", "survey_responses", "tickets")


def _after_churn(columns) -> list[str]:
    """The computed features among ``columns`` that keep counting after a customer left.

    When the user's own table has a ``tickets`` column, the computed ticket count is called
    ``support_tickets`` (see :mod:`bsc.features`) and the user's column is theirs to judge.
    """
    names = [c for c in _AFTER_CHURN if c in columns]
    if "support_tickets" in columns:
        names = [c for c in names if c != "tickets"] + ["support_tickets"]
    return names


SOURCE_GROUPS: dict[str, str] = {
    "feedback": "Satisfaction (surveys)",
    "support": "Support experience (tickets)",
    "transactions": "Purchasing (orders)",
    "customers": "Customer profile",
}


def label_sources(tables: Mapping[str, Sequence]) -> list[str]:
    """The churn definitions a workspace allows, the preferred first (see :data:`LABEL_SOURCES`).

    ``churn_date``: the customers table has churn dates. ``inactivity``: a transaction log with
    customer ids and dates. ``column``: the customers table has a churn flag (or churn dates,
    read as a flag).
    """
    from bsc.engine import table_columns

    columns = {kind: set(table_columns(paths)) for kind, paths in tables.items() if paths}
    customers = columns.get("customers", set())
    sources = []
    if {"customer_id", "churn_date"} <= customers:
        sources.append("churn_date")
    if {"customer_id", "date"} <= columns.get("transactions", set()):
        sources.append("inactivity")
    if "customer_id" in customers and customers & {"churn", "churn_date"}:
        sources.append("column")
    return sources


def data_end(tables: Mapping[str, Sequence], *, backend=None) -> pd.Timestamp:
    """The day after the last dated event of the workspace (the exclusive end of the data).

    Raises
    ------
    InputError
        When no table holds dates.
    """
    from bsc.kpis import date_range

    bounds = date_range(tables, backend=backend)
    if bounds is None:
        raise InputError("No table of this workspace holds dates, so churn after a cutoff cannot be defined.")
    return bounds[1].normalize() + pd.Timedelta(days=1)


def churn_data_from_workspace(
    tables: Mapping[str, Sequence],
    *,
    source: str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    cutoff: pd.Timestamp | str | None = None,
    inactivity_days: int | None = None,
    backend=None,
    sample: int | None = None,
) -> ChurnData:
    """Prepare a workspace's canonical tables for the lab.

    Parameters
    ----------
    tables : mapping
        Table kind -> canonical Parquet files (:meth:`bsc.store.Store.workspace_tables`).
    source : str, optional
        One of :func:`label_sources` (default: the first).
    horizon_days : int
        Length of the churn window after the cutoff (dated definitions).
    cutoff : date, optional
        Default: ``horizon_days`` before the end of the data (:func:`data_end`), so that the
        window is the most recent one the data covers.
    inactivity_days : int, optional
        For ``source="inactivity"``: churn by the churn-rate KPI's rule with this inactivity
        window (:func:`~bsc.churn.labels.inactivity_churn_labels`: active = an order in the
        ``inactivity_days`` before the cutoff, churned = the churn date, ``inactivity_days``
        after the last order, falls in the window). None: the lab's own rule, no order in the
        ``horizon_days`` after the cutoff among those who ordered in the ``horizon_days`` before.
    sample : int, optional
        For a dated definition with more labelled customers than this: ``customers`` holds the
        stratified sample of ``sample`` of them that :func:`bsc.churn.analyse_churn` would draw
        (:func:`~bsc.churn.labels.stratified_rows`, seed 0), and ``population`` their number.
        The labels of all are computed first (one column), the features of the sample and of
        the ``current`` customers only: at a million customers the features of all, twice,
        were the lab's largest use of memory. The churn flag's data is never sampled here.

    Returns
    -------
    ChurnData
        One row per customer: ``customer_id``, the per-customer features of
        :func:`bsc.features.customer_features` and the customers' segment attributes. For a
        dated definition the features use only data before the cutoff, and ``current`` holds
        the customers active at the end of the data with features up to that day. For the churn
        flag, the features counted up to today (recency, orders, spend, responses, tickets) are
        left out by default: churners stopped adding to them when they left.

    Raises
    ------
    InputError
        For an unknown source, a window that runs past the end of the data or starts before
        its beginning, or a workspace without customers.
    """
    from bsc.features import customer_features, feature_customers

    available = label_sources(tables)
    if not available:
        raise InputError(
            "Churn needs a customers table with a churn flag or churn dates, or a transaction log with "
            "customer ids and order dates; this workspace has neither."
        )
    source = source or available[0]
    if source not in available:
        raise InputError(
            f"This workspace cannot define churn by {LABEL_SOURCES.get(source, source).lower()}; "
            f"it allows: {', '.join(LABEL_SOURCES[s].lower() for s in available)}."
        )
    segments = _customer_segments(tables)
    if source == "column":
        features = customer_features(tables, backend=backend)
        customers = _customer_frame(features, segments)
        flags = _churn_flags(tables)
        labelled = customers.merge(flags, on="customer_id", how="inner")
        known = labelled["churned"].notna()
        notes = {
            c: "counted up to the end of the data, after churners had left: it would tell the model who "
            "already left"
            for c in _after_churn(customers.columns)
        }
        return ChurnData(
            customers=labelled.loc[known, customers.columns].reset_index(drop=True),
            churned=labelled.loc[known, "churned"].astype(bool).reset_index(drop=True),
            definition=LabelDefinition(
                "column", "churn", text="Churned = the customers table's churn flag, as it is today."
            ),
            id_column="customer_id",
            notes=notes,
            **_feature_kinds(features, segments, tables),
            left_out=int((~known).sum()),
            source_key=_source_key(tables),
        )

    if not isinstance(horizon_days, int | np.integer) or horizon_days < 1:
        raise InputError(f"The churn window must be a whole number of days ≥ 1, not {horizon_days}.")
    end = data_end(tables, backend=backend)
    cutoff = (
        end - pd.Timedelta(days=int(horizon_days)) if cutoff is None else pd.Timestamp(cutoff).normalize()
    )
    if cutoff + pd.Timedelta(days=int(horizon_days)) > end:
        raise InputError(
            f"The churn window of {horizon_days} days from {cutoff:%d %b %Y} runs past the end of the data "
            f"({end - pd.Timedelta(days=1):%d %b %Y}); choose an earlier cutoff or a shorter window."
        )
    if source != "inactivity":
        inactivity_days = None
    elif inactivity_days is not None and (
        not isinstance(inactivity_days, int | np.integer) or inactivity_days < 1
    ):
        raise InputError(f"The inactivity window must be a whole number of days ≥ 1, not {inactivity_days}.")
    labels = _dated_labels(tables, source, cutoff, int(horizon_days), inactivity_days, backend=backend)
    population = None
    if sample is not None:
        # The labelled customers are those of the labels with features; the sample is drawn
        # from them, in the labels' order, before any feature is computed.
        labels = labels[labels["customer_id"].isin(feature_customers(tables, cutoff=cutoff, backend=backend))]
        labels = labels.reset_index(drop=True)
        population = len(labels)
        if population > sample:
            labels = labels.iloc[stratified_rows(labels["churned"].to_numpy(), sample)]
        else:
            population = None
    training = customer_features(
        tables, cutoff=cutoff, backend=backend, customers=None if sample is None else labels["customer_id"]
    )
    customers = _customer_frame(training, segments)
    kinds = _feature_kinds(training, segments, tables)
    del training
    labelled = labels.merge(customers, on="customer_id", how="inner")
    del labels
    if labelled.empty:
        raise InputError(f"No customer was active on {cutoff:%d %b %Y}; choose a later cutoff.")
    current_ids = _dated_labels(tables, source, end, int(horizon_days), inactivity_days, backend=backend)[
        "customer_id"
    ]
    # Only the current customers' features: the engine picks them out (ids without data have
    # none, as the filter of the whole frame gave), in the whole frame's order (by id).
    current = _customer_frame(
        customer_features(tables, cutoff=end, backend=backend, customers=current_ids), segments
    )
    current = current.reindex(columns=customers.columns)
    whole = len(labelled) if population is None else population
    if source == "churn_date":
        text = (
            f"Churned = a churn date in the {horizon_days} days from {cutoff:%d %b %Y} (the cutoff), among the "
            f"{whole:,} customers active that day. Features use only data before the cutoff."
        )
    elif inactivity_days is not None:
        text = (
            f"Churned = no order for {inactivity_days} days, as the churn-rate tile counts it: the churn date, "
            f"{inactivity_days} days after a customer's last order, falls in the {horizon_days} days from "
            f"{cutoff:%d %b %Y} (the cutoff), among the {whole:,} customers who ordered in the "
            f"{inactivity_days} days before it. Features use only data before the cutoff."
        )
    else:
        text = (
            f"Churned = no order in the {horizon_days} days from {cutoff:%d %b %Y} (the cutoff), among the "
            f"{whole:,} customers who ordered in the {horizon_days} days before it. Features use "
            "only data before the cutoff."
        )
    return ChurnData(
        customers=labelled.drop(columns="churned"),
        churned=labelled["churned"].astype(bool),
        definition=LabelDefinition(
            source,  # type: ignore[arg-type]
            None,
            cutoff,
            int(horizon_days),
            text,
            None if inactivity_days is None else int(inactivity_days),
        ),
        id_column="customer_id",
        current=current,
        **kinds,
        source_key=_source_key(tables),
        population=population,
    )


def churn_data_from_files(
    paths: Sequence[str | Path],
    *,
    target: str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> ChurnData:
    """Prepare files for the lab, as the command line does.

    One table with a churn column (or with ``target`` naming one) is used as it is (see
    :func:`churn_data_from_table`). Otherwise the files are read into a throw-away workspace
    and churn is defined as :func:`churn_data_from_workspace` prefers (churn dates, else no
    order, in ``horizon_days`` after a cutoff); ``target`` may then name the customers
    table's churn flag or churn date column (or be ``churn_date``, ``inactivity``, ``column``).

    Raises
    ------
    InputError
        When no file can be used or ``target`` names no churn column.
    """
    from bsc.detect import detect_mapping
    from bsc.ingest import read_path
    from bsc.workspace import files_workspace

    raw = [table for path in paths for table in read_path(path)]
    if len(raw) == 1 and (target is not None or find_label_columns(raw[0].frame)):
        return churn_data_from_table(raw[0].frame, target)
    source = None
    if target is not None:
        if target in LABEL_SOURCES:
            source = target
        else:
            for table in raw:
                mapping = detect_mapping(table.frame, table.name)
                if mapping.kind == "customers" and target == mapping.roles.get("churn_date"):
                    source = "churn_date"
                elif mapping.kind == "customers" and target == mapping.roles.get("churn"):
                    source = "column"
            if source is None:
                raise InputError(
                    f"{target!r} is not the churn flag or churn date column of a customers table in these files."
                )
    with files_workspace(paths) as (tables, refused):
        if not tables:
            raise InputError("None of the files holds a table that can be used: " + "; ".join(refused))
        return churn_data_from_workspace(tables, source=source, horizon_days=horizon_days)


def _source_key(tables: Mapping[str, Sequence]) -> str:
    """The stored files behind a workspace's tables (saved segmentations aside), as a cache key.

    Features aggregated in parallel can differ in the last bits of a sum from one run to the
    next, so the analysis of a workspace is cached by its files rather than by the values.
    """
    from bsc.engine import files_key
    from bsc.schema import KINDS

    return files_key({kind: paths for kind, paths in tables.items() if kind in KINDS})


def _customer_frame(features, segments: pd.DataFrame | None) -> pd.DataFrame:
    frame = features.frame.reset_index()
    frame["customer_id"] = frame["customer_id"].astype("string")
    if segments is not None:
        frame = frame.merge(segments, on="customer_id", how="left")
    return frame


def _feature_labels(features) -> dict[str, str]:
    return {name: definition.label for name, definition in features.definitions.items()}


def _feature_kinds(features, segments: pd.DataFrame | None, tables: Mapping[str, Sequence]) -> dict:
    """Skewed features, the group and the label of every column: the feature definitions' labels,
    and for the customers' own columns the headers of the user's file."""
    groups = {name: SOURCE_GROUPS.get(d.source, d.source) for name, d in features.definitions.items()}
    if segments is not None:
        groups |= dict.fromkeys(
            [c for c in segments.columns if c != "customer_id"], SOURCE_GROUPS["customers"]
        )
    skewed = tuple(name for name, d in features.definitions.items() if d.skewed)
    headers = stored_columns(tables.get("customers", ())).headers
    labels = {name: headers[name] for name in groups if name in headers} | _feature_labels(features)
    units = {name: definition.unit for name, definition in features.definitions.items()}
    return {"labels": labels, "groups": groups, "skewed": skewed, "units": units}


def _customer_segments(tables: Mapping[str, Sequence]) -> pd.DataFrame | None:
    """Categorical columns of the customers table: the acquisition channel and segment attributes."""
    from bsc.engine import read_columns, table_columns
    from bsc.schema import CUSTOMERS

    if not tables.get("customers"):
        return None
    roles = set(CUSTOMERS.role_ids) - {"acquisition_channel"}
    schema = table_columns(tables["customers"])
    wanted = [
        name for name, kind in schema.items() if name not in roles and str(kind) in ("string", "large_string")
    ]
    if not wanted:
        return None
    frame = read_columns(tables, "customers", ["customer_id", *wanted])
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame.dropna(subset=["customer_id"]).drop_duplicates("customer_id")


def _churn_flags(tables: Mapping[str, Sequence]) -> pd.DataFrame:
    from bsc.engine import read_columns

    frame = read_columns(tables, "customers", ["customer_id", "churn", "churn_date"])
    frame["customer_id"] = frame["customer_id"].astype("string")
    if "churn" in frame.columns:
        churned = frame["churn"].astype("boolean")
    else:
        churned = frame["churn_date"].notna().astype("boolean")
    out = pd.DataFrame({"customer_id": frame["customer_id"], "churned": churned})
    return out.dropna(subset=["customer_id"]).drop_duplicates("customer_id")


def _dated_labels(
    tables: Mapping[str, Sequence],
    source: str,
    cutoff: pd.Timestamp,
    horizon: int,
    inactivity_days: int | None = None,
    *,
    backend=None,
) -> pd.DataFrame:
    """The labels of a dated definition: from the customers' churn dates, or from the order
    log, whose window of days the engine picks out (:func:`order_log_labels`) rather than
    pandas reading every order."""
    from bsc.engine import read_columns

    if source == "churn_date":
        customers = read_columns(tables, "customers", ["customer_id", "signup_date", "churn_date"])
        customers = customers.dropna(subset=["customer_id"])
        return cutoff_labels(
            pd.DataFrame(columns=["customer_id", "date"]), cutoff, horizon, churn_dates=customers
        )
    return order_log_labels(tables, cutoff, horizon, inactivity_days, backend=backend)
