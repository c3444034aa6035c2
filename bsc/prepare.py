"""Turning a raw table and its mapping into the canonical table, and reporting what is wrong.

The canonical form (see :mod:`bsc.schema`): each mapped role column renamed to its role id and
typed by the role (id and text as pandas ``string``, dates as naive ``datetime64[us]``, numbers as
``float64``, flags as nullable ``boolean``); segment and churn outcome columns as ``string`` and
numeric attributes as ``float64``, named by :func:`~bsc.columns.clean_column_name`. Nothing else.
The headers of the user's file and the outcome columns travel in the frame's ``attrs`` (see
:mod:`bsc.columns`), which the store writes into the Parquet footer.

Rows are kept wherever possible: an unreadable cell becomes missing and a :class:`Problem` says how
many rows it touched, with up to five examples. The one exception is a customers table, where later
rows repeating a customer id are dropped (a customer counted twice would distort every rate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bsc import schema
from bsc.columns import TableColumns, clean_column_name, with_headers
from bsc.detect import detect_mapping, restates_churn
from bsc.detect.dates import day_month_ambiguous, describe_date_format, parse_dates
from bsc.detect.values import (
    EXACT_FLOAT_INTEGER,
    blank_mask,
    clean_text,
    may_contain,
    parse_flags,
    parse_numbers,
    regex_replace,
)
from bsc.errors import InputError
from bsc.ingest import RawTable, read_tables
from bsc.ingest.checks import DateBounds
from bsc.mapping import Problem, TableMapping

__all__ = [
    "InspectedTable",
    "PreparedTable",
    "clean_column_name",
    "inspect_file",
    "prepare_table",
    "repeated_customers_problem",
]

MAX_EXAMPLES = 5

# Allowed score ranges per (kind, role): values outside are left empty and reported.
SCORE_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("feedback", "nps"): (0, 10),
    ("feedback", "csat"): (1, 5),
    ("feedback", "ces"): (1, 7),
    ("customers", "nps"): (0, 10),
    ("customers", "csat"): (1, 5),
}
# Negative values here are legitimate (returns, refunds) and reported for information only.
NEGATIVE_ALLOWED = {("transactions", "amount"), ("transactions", "quantity")}
# Negative values here make no sense; they are kept but reported as a warning.
NON_NEGATIVE = {
    ("customers", "acquisition_cost"),
    ("transactions", "unit_price"),
    ("support", "response_minutes"),
    ("marketing", "spend"),
    ("marketing", "leads"),
    ("marketing", "conversions"),
    ("marketing", "market_size"),
}
_WHOLE_FLOAT_TEXT = r"^(-?\d+)\.0+$"
# An id written as a float: scientific notation (1.23457E+17) or infinity.
_FLOAT_ID_TEXT = r"(?i)[+-]?(\d+(\.\d*)?|\.\d+)e[+-]?\d+|[+-]?inf(inity)?"


@dataclass
class PreparedTable:
    """A canonical table and the problems found while building it."""

    canonical: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


@dataclass
class InspectedTable:
    """One table of an uploaded file: as read, as detected, and as prepared.

    ``prepared`` is None when the detected mapping cannot be used; ``error`` then says why.
    """

    raw: RawTable
    mapping: TableMapping
    prepared: PreparedTable | None
    error: str | None = None


def inspect_file(name: str, data: bytes, *, date_bounds: DateBounds | None = None) -> list[InspectedTable]:
    """Read a file, detect each table's mapping and prepare it.

    A table whose mapping cannot work keeps its raw frame and mapping and carries the error
    message instead of a prepared table; the other tables of the file are unaffected.

    Raises
    ------
    InputError
        When the file itself cannot be read (see :func:`bsc.ingest.read_tables`).
    """
    inspected: list[InspectedTable] = []
    for raw in read_tables(name, data):
        mapping = detect_mapping(raw.frame, raw.name)
        try:
            prepared = prepare_table(raw.frame, mapping, date_bounds=date_bounds)
            inspected.append(InspectedTable(raw, mapping, prepared))
        except InputError as error:
            inspected.append(InspectedTable(raw, mapping, None, str(error)))
    return inspected


def prepare_table(
    frame: pd.DataFrame,
    mapping: TableMapping,
    *,
    date_bounds: DateBounds | None = None,
    drop_repeated_customers: bool = True,
) -> PreparedTable:
    """Build the canonical table of ``frame`` under ``mapping`` and validate its values.

    Reported (rows kept, bad cells left empty): missing ids, ids that are floats too large to be
    exact, unreadable dates, dates outside ``date_bounds`` (by default 1900-01-01 to a year after
    today, see :class:`~bsc.ingest.checks.DateBounds`), numbers and yes/no values, scores outside
    their range (NPS 0–10, CSAT 1–5, CES 1–7), negative values where they make no sense. Negative amounts and quantities in transactions are reported for
    information (returns). In a customers table, rows repeating an earlier customer id are dropped.

    Derived roles: in transactions without an amount, ``amount = quantity × unit_price``; in
    customers without a churn flag, ``churn = churn_date is not empty``.

    Attributes: blank cells of a numeric attribute are reported (count and example rows, with
    the customer id where the table has one). A segment column that restates churn (churn
    reason, a status "Churned"...) is kept as a churn outcome instead, and said so. The frame's
    ``attrs`` carry each attribute's header in the file, the column behind each role and the
    outcome columns (see :mod:`bsc.columns`).

    ``drop_repeated_customers`` False keeps a customers table's repeated ids: for a table
    prepared in parts (:mod:`bsc.large_files`), where the repeats are dropped over all parts.

    Raises
    ------
    InputError
        When the kind is unknown, a mapped role is not a role of the kind, a mapped column is not
        in the table, or none of the kind's required role sets is mapped.
    """
    kind = _check_mapping(frame, mapping)
    frame = frame.reset_index(drop=True)
    problems: list[Problem] = []
    columns: dict[str, pd.Series] = {}
    bounds = date_bounds or DateBounds()
    for role_id in kind.role_ids:
        if role_id in mapping.roles:
            source = mapping.roles[role_id]
            role = kind.role(role_id)
            if role.type == "date":
                columns[role_id] = _convert_date(kind, role, frame[source], source, problems, bounds)
            else:
                columns[role_id] = _convert_role(kind, role, frame[source], source, problems)
    _derive_roles(kind, columns, problems)
    headers, outcomes = _add_attributes(frame, mapping, columns, problems)
    canonical = pd.DataFrame(columns, index=frame.index)
    if kind.id == "customers" and drop_repeated_customers:
        canonical = _drop_repeated_customers(canonical, mapping.roles["customer_id"], problems)
    facts = TableColumns(headers, dict(mapping.roles), tuple(outcomes))
    return PreparedTable(with_headers(canonical.reset_index(drop=True), facts), problems)


# --- checking the mapping ---------------------------------------------------------------------


def _check_mapping(frame: pd.DataFrame, mapping: TableMapping) -> schema.TableKind:
    if mapping.kind not in schema.KINDS:
        choices = ", ".join(k.label.lower() for k in schema.KINDS.values())
        raise InputError(f"The kind of this table is not known; choose one of: {choices}.")
    kind = schema.kind(mapping.kind)
    strangers = [role for role in mapping.roles if role not in kind.role_ids]
    if strangers:
        raise InputError(f"{', '.join(strangers)} is not a column role of a {kind.label} table.")
    wanted = [*mapping.roles.values(), *mapping.segments, *mapping.attributes, *mapping.outcomes]
    absent = list(dict.fromkeys(column for column in wanted if column not in frame.columns))
    if absent:
        raise InputError(
            f"The table has no column named {', '.join(repr(c) for c in absent)}; check the column mapping."
        )
    mapped = set(mapping.roles)
    if any(set(required) <= mapped for required in kind.required_any):
        return kind
    closest = min(kind.required_any, key=lambda required: len(set(required) - mapped))
    missing = [kind.role(r).label for r in closest if r not in mapped]
    needs = " or ".join(", ".join(kind.role(r).label for r in required) for required in kind.required_any)
    raise InputError(f"A {kind.label} table needs {needs}; missing: {', '.join(missing)}.")


# --- converting columns -----------------------------------------------------------------------


def _examples(values: pd.Series, mask: pd.Series) -> tuple[str, ...]:
    """Up to five offending cells as ``row N: value`` (N counts data rows from 1)."""
    positions = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))[:MAX_EXAMPLES]
    return tuple(f"row {i + 1}: {_shown(values.iloc[i])}" for i in positions)


def _row_examples(mask: pd.Series, ids: pd.Series | None) -> tuple[str, ...]:
    """Up to five marked rows as ``row N`` or ``row N (customer ID)`` (N counts data rows from 1)."""
    positions = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))[:MAX_EXAMPLES]
    if ids is None:
        return tuple(f"row {i + 1}" for i in positions)
    return tuple(
        f"row {i + 1}" if pd.isna(ids.iloc[i]) else f"row {i + 1} (customer {ids.iloc[i]})" for i in positions
    )


def _shown(cell: object) -> str:
    if cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)):
        return "(empty)"
    return str(cell) if str(cell).strip() else "(empty)"


def _report(
    problems: list[Problem],
    severity: str,
    subject: str,
    predicate: str,
    values: pd.Series,
    mask: pd.Series,
    column: str,
) -> None:
    """Add a problem ``"<subject>: <n> rows are <predicate>."`` when ``mask`` marks any row."""
    count = int(mask.sum())
    if count:
        rows = "1 row is" if count == 1 else f"{count:,} rows are"
        problems.append(
            Problem(
                severity,  # type: ignore[arg-type]
                f"{subject}: {rows} {predicate}.",
                rows=count,
                examples=_examples(values, mask),
                column=column,
            )
        )


def _convert_role(
    kind: schema.TableKind, role: schema.Role, values: pd.Series, source: str, problems: list[Problem]
) -> pd.Series:
    converter = {
        "id": _convert_id,
        "number": _convert_number,
        "flag": _convert_flag,
        "category": _convert_text,
        "text": _convert_text,
    }[role.type]
    return converter(kind, role, values, source, problems)


def _convert_id(
    kind: schema.TableKind, role: schema.Role, values: pd.Series, source: str, problems: list[Problem]
) -> pd.Series:
    """Ids as stripped text; ``1001.0`` (a number stored as float) becomes ``1001``; zero padding
    is kept."""
    ids = clean_text(values)
    whole_float = ids.str.endswith(".0").fillna(False).astype(bool)
    if whole_float.any():
        ids[whole_float] = regex_replace(ids[whole_float], _WHOLE_FLOAT_TEXT, r"\1")
    inexact = _inexact_float_ids(values, ids)
    predicate = (
        "floating-point numbers too large or infinite to be an exact ID (different IDs may have "
        "become one); left empty. Export the IDs as text"
    )
    _report(problems, "warning", role.label, predicate, values, inexact, source)
    ids = ids.mask(inexact)
    severity = "warning" if role.id == "customer_id" else "info"
    predicate = (
        "empty; kept, but they cannot be linked to a customer" if role.id == "customer_id" else "empty; kept"
    )
    _report(problems, severity, role.label, predicate, values, ids.isna() & ~inexact, source)
    return ids.astype("string")


def _inexact_float_ids(values: pd.Series, ids: pd.Series) -> pd.Series:
    """True where an id is a float that cannot be the id the source wrote: infinite, or a whole
    number past 2**53 (a float column from Parquet or Excel, or text in scientific notation such
    as ``1.23457E+17``, as spreadsheets write long numbers)."""
    if values.dtype.kind == "f":
        numbers = values.astype("float64")
    else:
        if not may_contain(ids, "eEnN"):  # every match has an exponent's e or the n of inf
            return pd.Series(False, index=ids.index)
        scientific = ids.str.fullmatch(_FLOAT_ID_TEXT).fillna(False).astype(bool)
        if not scientific.any():
            return pd.Series(False, index=ids.index)
        numbers = parse_numbers(ids.where(scientific)).where(scientific)
        numbers = numbers.mask(scientific & numbers.isna(), np.inf)  # inf and 1e400 read as no number
    return pd.Series(
        np.isinf(numbers.to_numpy(dtype="float64", na_value=np.nan))
        | (numbers.abs() > EXACT_FLOAT_INTEGER).to_numpy(dtype=bool, na_value=False),
        index=ids.index,
    )


def _convert_date(
    kind: schema.TableKind,
    role: schema.Role,
    values: pd.Series,
    source: str,
    problems: list[Problem],
    bounds: DateBounds,
) -> pd.Series:
    """Dates read in the column's formats; unreadable dates and dates outside ``bounds`` (a
    placeholder such as 9999-12-31, a typo such as 2204) are left empty and reported."""
    dates, formats = parse_dates(values, excel_serials=True)
    blank = blank_mask(values)
    unreadable = dates.isna() & ~blank
    _report(problems, "warning", role.label, "not a readable date; left empty", values, unreadable, source)
    implausible = bounds.outside(dates)
    predicate = (
        f"outside {bounds.describe()}, the dates taken as real (a placeholder such as 9999-12-31, "
        "or a typo); left empty"
    )
    _report(problems, "warning", role.label, predicate, values, implausible, source)
    dates = dates.mask(implausible)
    if len(formats) > 1:
        problems.append(
            Problem(
                "info",
                f"{role.label} is written in {len(formats)} date formats ({', '.join(map(describe_date_format, formats))}); all were read.",
                column=source,
            )
        )
    if formats and day_month_ambiguous(values, formats[0]):
        problems.append(
            Problem(
                "info",
                f"{role.label}: day and month could be in either order; read as "
                f"{describe_date_format(formats[0])}. Check a few dates.",
                column=source,
            )
        )
    if _is_required(kind, role.id):
        _report(problems, "warning", role.label, "empty", values, blank, source)
    return dates


def _convert_number(
    kind: schema.TableKind, role: schema.Role, values: pd.Series, source: str, problems: list[Problem]
) -> pd.Series:
    numbers = _parse_reported(values, role.label, source, problems)
    key = (kind.id, role.id)
    if key in SCORE_RANGES:
        low, high = SCORE_RANGES[key]
        outside = numbers.notna() & ~numbers.between(low, high)
        predicate = f"outside {low:g}–{high:g}; left empty"
        _report(problems, "warning", role.label, predicate, values, outside, source)
        numbers = numbers.mask(outside)
    elif key in NEGATIVE_ALLOWED:
        predicate = "negative (returns or refunds); kept"
        _report(problems, "info", role.label, predicate, values, numbers < 0, source)
    elif key in NON_NEGATIVE:
        _report(problems, "warning", role.label, "negative; kept", values, numbers < 0, source)
    return numbers


def _parse_reported(values: pd.Series, label: str, source: str, problems: list[Problem]) -> pd.Series:
    numbers = parse_numbers(values)
    unreadable = numbers.isna() & ~blank_mask(values)
    _report(problems, "warning", label, "not a number; left empty", values, unreadable, source)
    return numbers


def _convert_flag(
    kind: schema.TableKind, role: schema.Role, values: pd.Series, source: str, problems: list[Problem]
) -> pd.Series:
    flags = parse_flags(values)
    unreadable = flags.isna() & ~blank_mask(values)
    _report(problems, "warning", role.label, "not a yes/no value; left empty", values, unreadable, source)
    return flags


def _convert_text(
    kind: schema.TableKind, role: schema.Role, values: pd.Series, source: str, problems: list[Problem]
) -> pd.Series:
    return clean_text(values).astype("string")


def _is_required(kind: schema.TableKind, role_id: str) -> bool:
    return all(role_id in required for required in kind.required_any)


# --- derived roles, attributes, repeated customers -------------------------------------------


def _derive_roles(kind: schema.TableKind, columns: dict[str, pd.Series], problems: list[Problem]) -> None:
    if kind.id == "transactions" and "amount" not in columns:
        columns["amount"] = columns["quantity"] * columns["unit_price"]
        problems.append(Problem("info", "Amount was computed as quantity × unit price."))
    if kind.id == "customers" and "churn" not in columns and "churn_date" in columns:
        columns["churn"] = columns["churn_date"].notna().astype("boolean")
        problems.append(Problem("info", "Churn flag was set for every customer with a churn date."))
    order = {role_id: i for i, role_id in enumerate(kind.role_ids)}
    ordered = sorted(columns.items(), key=lambda item: order[item[0]])
    columns.clear()
    columns.update(ordered)


def _add_attributes(
    frame: pd.DataFrame, mapping: TableMapping, columns: dict[str, pd.Series], problems: list[Problem]
) -> tuple[dict[str, str], list[str]]:
    """Segment and outcome columns as text, numeric attributes as float64, under cleaned unique
    names; returns each added column's header in the file and the outcome columns."""
    headers: dict[str, str] = {}
    outcomes: list[str] = []
    restating = [s for s in mapping.segments if restates_churn(frame, s)]
    ids = columns.get("customer_id")
    for source, numeric in [
        *((s, False) for s in mapping.segments),
        *((o, False) for o in mapping.outcomes),
        *((a, True) for a in mapping.attributes),
    ]:
        name = clean_column_name(source)
        while name in columns or name in schema.kind(mapping.kind).role_ids:
            name += "_attr"
        headers[name] = str(source)
        if numeric:
            columns[name] = _parse_reported(frame[source], f"Column {source!r}", source, problems)
            _report_blank_numbers(frame[source], source, ids, problems)
            continue
        columns[name] = clean_text(frame[source]).astype("string")
        if source in mapping.outcomes or source in restating:
            outcomes.append(name)
    for source in [*mapping.outcomes, *restating]:
        problems.append(
            Problem(
                "info",
                f"Column {source!r} says who churned or why: it is kept for the churn lab but not offered as "
                "a segment (split by it, churn would be 0% or 100% by construction).",
                column=source,
            )
        )
    return headers, outcomes


def _report_blank_numbers(
    values: pd.Series, source: str, ids: pd.Series | None, problems: list[Problem]
) -> None:
    """A warning for blank cells of a numeric attribute: they have no value, and models fill them in."""
    blank = blank_mask(values)
    count = int(blank.sum())
    if not count:
        return
    rows = "1 row is" if count == 1 else f"{count:,} rows are"
    problems.append(
        Problem(
            "warning",
            f"Column {source!r}: {rows} blank: value unknown.",
            rows=count,
            examples=_row_examples(blank, ids),
            column=source,
        )
    )


def _drop_repeated_customers(canonical: pd.DataFrame, source: str, problems: list[Problem]) -> pd.DataFrame:
    ids = canonical["customer_id"]
    repeated = ids.notna() & ids.duplicated(keep="first")
    if not repeated.any():
        return canonical
    counts = ids[ids.isin(ids[repeated])].value_counts()
    problems.append(repeated_customers_problem(counts, int(repeated.sum()), source))
    return canonical[~repeated]


def repeated_customers_problem(counts: pd.Series, dropped: int, source: str) -> Problem:
    """The warning for customer ids on more than one row: ``counts`` holds the rows of each
    repeated id, most first (as ``value_counts`` gives them), ``dropped`` the rows left out."""
    examples = tuple(f"{value} ({count} rows)" for value, count in counts.iloc[:MAX_EXAMPLES].items())
    return Problem(
        "warning",
        f"{len(counts)} customer IDs appear on more than one row; the first row of each was kept "
        f"and {dropped} repeated rows were dropped.",
        rows=dropped,
        examples=examples,
        column=source,
    )
