"""Column names as the user's file has them: cleaned names, original headers and name look-ups.

A canonical table names its segment and numeric attribute columns by :func:`clean_column_name`
(``"DeviceProtection"`` -> ``deviceprotection``), its role columns by the role id. The header
each column had in the user's file travels with the canonical table, in its Parquet footer
(:func:`with_headers`, :func:`stored_headers`), so that every screen and the command line can
show ``DeviceProtection`` rather than a prettified ``Deviceprotection``, and so that a user can
name a column the way their file does, in any case (:func:`resolve_name`).

The footer also lists the columns that restate the churn outcome (churn reason, customer
status...): they are kept for the churn lab but never offered as segments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bsc.errors import InputError

__all__ = [
    "TableColumns",
    "clean_column_name",
    "column_label",
    "resolve_name",
    "stored_columns",
    "with_headers",
]

# The key of this module's facts in DataFrame.attrs. pandas (2.1 and later) writes a frame's
# ``attrs`` into the Parquet footer (metadata key ``PANDAS_ATTRS``) and reads them back, so the
# store keeps them without knowing about them.
_ATTRS_KEY = "bsc_columns"
_PANDAS_ATTRS = b"PANDAS_ATTRS"


def clean_column_name(name: object) -> str:
    """A source column name as used in canonical tables: lowercase, each run of characters other
    than letters and digits replaced by ``_``, leading and trailing ``_`` removed
    (``"Payment Method"`` -> ``payment_method``, ``"MonthlyCharges"`` -> ``monthlycharges``).
    A name with no letters or digits becomes ``column``."""
    cleaned = re.sub(r"[\W_]+", "_", str(name).lower()).strip("_")
    return cleaned or "column"


@dataclass(frozen=True)
class TableColumns:
    """What the footers of a kind's canonical files say about their columns.

    Attributes
    ----------
    headers
        Canonical column name -> the header in the user's file, for segment and numeric
        attribute columns (``deviceprotection`` -> ``DeviceProtection``).
    roles
        Role id -> the header of the column behind it (``csat`` -> ``Satisfaction Score``).
    outcomes
        Canonical names of the columns that restate churn (never segments).
    """

    headers: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    outcomes: tuple[str, ...] = ()

    def as_attrs(self) -> dict:
        return {"headers": self.headers, "roles": self.roles, "outcomes": list(self.outcomes)}

    def merged(self, other: TableColumns) -> TableColumns:
        """Both tables' facts; the first file's header wins where two files name a column."""
        return TableColumns(
            {**other.headers, **self.headers},
            {**other.roles, **self.roles},
            tuple(dict.fromkeys([*self.outcomes, *other.outcomes])),
        )


def with_headers(frame: pd.DataFrame, columns: TableColumns) -> pd.DataFrame:
    """``frame`` carrying ``columns`` in its ``attrs``, written to its Parquet footer on save."""
    frame.attrs[_ATTRS_KEY] = columns.as_attrs()
    return frame


def stored_columns(paths: Sequence[Path | str]) -> TableColumns:
    """The column facts kept in the footers of canonical files (read from footers only).

    Files written before headers were kept, and files that cannot be read, give nothing.
    """
    result = TableColumns()
    for path in paths:
        try:
            metadata = pq.read_schema(path).metadata or {}
        except (OSError, pa.ArrowException):
            continue
        try:
            attrs = json.loads(metadata.get(_PANDAS_ATTRS, b"{}")).get(_ATTRS_KEY) or {}
        except (ValueError, AttributeError):
            continue
        found = TableColumns(
            dict(attrs.get("headers") or {}),
            dict(attrs.get("roles") or {}),
            tuple(attrs.get("outcomes") or ()),
        )
        result = result.merged(found)
    return result


def column_label(name: str, headers: Mapping[str, str] | None = None) -> str:
    """A column's name for people: its header in the user's file when known, else the canonical
    name in words (``acquisition_channel`` -> ``Acquisition channel``)."""
    if headers and name in headers:
        return headers[name]
    return name.replace("_", " ").capitalize()


def _letters_and_digits(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def resolve_name(typed: str, labels: Mapping[str, str], what: str) -> str:
    """The name among ``labels`` (name -> label shown to users) that ``typed`` stands for.

    A user may type the name itself, the label (the header in their file), or either in any
    case, spacing or punctuation: ``Contract``, ``contract`` and ``CONTRACT`` all find
    ``contract``; ``payment method`` and ``PaymentMethod`` find ``paymentmethod``. An exact match
    wins over one ignoring case, which wins over one ignoring spaces and punctuation.

    Raises
    ------
    InputError
        When no name fits, or when ``typed`` fits two names; the message lists the choices.
    """
    if typed in labels:
        return typed
    wanted = typed.strip()
    for key in (str.casefold, _letters_and_digits):
        fits = [name for name, label in labels.items() if key(wanted) in (key(name), key(label))]
        if len(fits) == 1:
            return fits[0]
        if len(fits) > 1:
            shown = ", ".join(labels[name] for name in fits)
            raise InputError(f"{typed!r} could be any of {shown}; write the {what} exactly as listed.")
    choices = ", ".join(labels.values()) or "none in these tables"
    raise InputError(f"{typed!r} is not a {what} of these tables; choose one of: {choices}.")
