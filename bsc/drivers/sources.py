"""The rows and candidate drivers of a workspace, for NPS, CSAT or churn.

- **NPS, CSAT**: one row per survey answer. Candidates: the survey's attribute ratings (the
  numeric attributes of the feedback table: delivery, price, support...), the answering
  customer's attributes from the customers table (each segment attribute as one feature, its
  levels as indicator columns; numeric attributes; acquisition channel; loyalty), and the
  customer's mean hours to a first answer from support.
- **Churn**: one row per customer of the customers table, churned when its churn flag says so
  (or, without one, when it has a churn date). Candidates: the customer's attributes, the mean
  of each attribute rating and of the NPS and CSAT answers over the customer's responses, and
  the mean hours to a first answer.

Columns that restate churn (a churn reason, a status "Churned") are never candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bsc.columns import column_label, stored_columns
from bsc.drivers.analysis import TARGETS, Feature
from bsc.errors import InputError
from bsc.schema import KINDS

__all__ = ["DriverData", "driver_data", "rating_scale"]

Tables = Mapping[str, Sequence[Path | str]]
RESPONSE_HOURS = "hours_to_first_response"
NO_ANSWER = "answered_no_survey"
# Usual survey scales, narrowest first: a rating whose whole answers fit one is read on it.
_SCALES = ((1.0, 5.0), (1.0, 7.0), (0.0, 10.0), (1.0, 10.0))
_SURVEY_SCALES = {"nps": (0.0, 10.0), "csat": (1.0, 5.0)}


@dataclass(frozen=True)
class DriverData:
    """Rows to explain ``target`` by ``features`` (columns of ``frame``)."""

    target: str
    frame: pd.DataFrame
    features: tuple[Feature, ...]


def rating_scale(values: pd.Series) -> tuple[float, float] | None:
    """The scale a rating's answers are on: the narrowest usual one (1–5, 1–7, 0–10, 1–10) holding
    every answer when all are whole numbers, else the lowest and highest answer (None if empty)."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if numbers.empty:
        return None
    low, high = float(numbers.min()), float(numbers.max())
    if np.all(numbers == np.round(numbers)):
        for start, end in _SCALES:
            if start <= low and high <= end:
                return (start, end)
    return (low, high) if high > low else None


def _read(tables: Tables, kind: str) -> pd.DataFrame | None:
    paths = list(tables.get(kind, ()))
    if not paths:
        return None
    return pd.concat([pd.read_parquet(path) for path in paths], ignore_index=True)


def _ratings(feedback: pd.DataFrame, tables: Tables) -> list[Feature]:
    """The feedback table's attribute ratings: its numeric columns that are not roles."""
    roles = set(KINDS["feedback"].role_ids)
    headers = stored_columns(list(tables.get("feedback", ()))).headers
    features = []
    for column in feedback.columns:
        if column in roles or not pd.api.types.is_float_dtype(feedback[column]):
            continue
        scale = rating_scale(feedback[column])
        features.append(Feature(column, column_label(column, headers), "rating", scale, "survey"))
    return features


def _customer_features(customers: pd.DataFrame, tables: Tables) -> list[Feature]:
    footer = stored_columns(list(tables.get("customers", ())))
    skip = {"customer_id", "signup_date", "churn", "churn_date", "nps", "csat", *footer.outcomes}
    features = []
    for column in customers.columns:
        if column in skip:
            continue
        values = customers[column]
        label = column_label(column, footer.headers)
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            if pd.api.types.is_datetime64_any_dtype(values):
                continue
            features.append(Feature(column, label, "category", None, "customers"))
        else:
            features.append(Feature(column, label, "number", None, "customers"))
    return features


def _response_hours(tables: Tables) -> pd.Series | None:
    """Each customer's mean hours from opening a ticket to support's first answer."""
    support = _read(tables, "support")
    if support is None or "customer_id" not in support:
        return None
    if {"opened_at", "first_response_at"} <= set(support.columns):
        hours = (support["first_response_at"] - support["opened_at"]).dt.total_seconds() / 3600
    elif "response_minutes" in support:
        hours = pd.to_numeric(support["response_minutes"], errors="coerce") / 60
    else:
        return None
    hours = hours.where(hours >= 0)
    means = hours.groupby(support["customer_id"]).mean()
    return means if means.notna().any() else None


def _service_feature() -> Feature:
    return Feature(RESPONSE_HOURS, "Hours to first response", "number", None, "support")


def driver_data(tables: Tables, target: str) -> DriverData:
    """The rows and candidate drivers of ``target`` (``nps``, ``csat`` or ``churn``) in ``tables``.

    Raises
    ------
    InputError
        When the target is unknown or the tables cannot give it.
    """
    if target not in TARGETS:
        raise InputError(f"Unknown target {target!r}: choose one of {', '.join(TARGETS)}.")
    customers = _read(tables, "customers")
    feedback = _read(tables, "feedback")
    hours = _response_hours(tables)
    if target == "churn":
        return _churn_data(tables, customers, feedback, hours)
    if feedback is None or target not in feedback:
        if customers is not None and target in customers:
            feedback = customers[["customer_id", target]]
        else:
            raise InputError(f"These tables have no {TARGETS[target]} answers: add a survey with them.")
    frame = feedback
    features = _ratings(feedback, tables)
    if customers is not None and "customer_id" in feedback and "customer_id" in customers:
        attributes = _customer_features(customers, tables)
        columns = ["customer_id", *(f.column for f in attributes if f.column not in feedback.columns)]
        people = customers[columns].drop_duplicates("customer_id")
        frame = frame.merge(people, on="customer_id", how="left")
        features += [f for f in attributes if f.column in columns]
    if hours is not None and "customer_id" in frame:
        frame = frame.assign(**{RESPONSE_HOURS: frame["customer_id"].map(hours)})
        features.append(_service_feature())
    return DriverData(target, frame, tuple(features))


def _churn_data(
    tables: Tables, customers: pd.DataFrame | None, feedback: pd.DataFrame | None, hours: pd.Series | None
) -> DriverData:
    if customers is None or "customer_id" not in customers:
        raise InputError("Churn drivers need a customers table with a customer ID and a churn flag or date.")
    if "churn" in customers:
        churned = customers["churn"].astype("boolean")
    elif "churn_date" in customers:
        churned = customers["churn_date"].notna().astype("boolean")
    else:
        raise InputError("The customers table says nobody's churn: map a churn flag or a churn date.")
    frame = customers.assign(churn=churned).drop_duplicates("customer_id")
    features = _customer_features(customers, tables)
    if feedback is not None and "customer_id" in feedback:
        ratings = _ratings(feedback, tables)
        scores = [c for c in ("nps", "csat") if c in feedback]
        means = feedback.groupby("customer_id")[[*scores, *(f.column for f in ratings)]].mean()
        means.columns = [f"mean_{c}" for c in means.columns]
        frame = frame.merge(means, left_on="customer_id", right_index=True, how="left")
        frame[NO_ANSWER] = ~frame["customer_id"].isin(means.index)
        features += [
            Feature(
                f"mean_{c}", f"Mean {TARGETS[c]}", "rating", _SURVEY_SCALES[c], "survey", flag_missing=False
            )
            for c in scores
        ]
        features += [
            Feature(f"mean_{f.column}", f.label, "rating", f.scale, "survey", flag_missing=False)
            for f in ratings
        ]
        if frame[NO_ANSWER].any():
            features.append(Feature(NO_ANSWER, "Answered no survey", "category", None, "survey"))
    if hours is not None:
        frame = frame.assign(**{RESPONSE_HOURS: frame["customer_id"].map(hours)})
        features.append(_service_feature())
    return DriverData("churn", frame, tuple(features))
