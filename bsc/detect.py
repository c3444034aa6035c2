"""Working out what a raw table is: its kind, the column behind each role, its segments.

Detection looks at column names *and* values. Each role has name patterns (strong and weak) and
a test of its values, kept as data in ``_ROLE_RULES``; each table kind has hints in ``_KIND_HINTS``.
A column's confidence for a role is

.. math::

    c = v \\times (0.5 + 0.5\\, n)

where :math:`v \\in [0, 1]` is how well the values fit the role and :math:`n` is 1 for a strong
name match, 0.5 for a weak one. Without any name match a role may still be taken from the values
alone (:math:`n = 0`, so :math:`c \\le 0.5`) when its rule allows it: that is how a log without a
header, such as CDNOW's, is recognised as transactions. A role is assigned when :math:`c \\ge 0.35`.

The value parsers used here (numbers written as text, dates in many formats, yes/no flags) are
public because :mod:`bsc.prepare` parses whole columns with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bsc import schema
from bsc.mapping import TableMapping

__all__ = [
    "DATE_FORMATS",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "ColumnProfile",
    "blank_mask",
    "clean_text",
    "date_formats",
    "day_month_ambiguous",
    "describe_date_format",
    "detect_mapping",
    "detect_value_type",
    "name_key",
    "parse_dates",
    "parse_flags",
    "parse_numbers",
    "profile_column",
    "regex_replace",
    "spread_sample",
    "uses_decimal_comma",
]

SAMPLE_SIZE = 2000
_MAX_FORMATS_PER_COLUMN = 6
ASSIGN_THRESHOLD = 0.35

# --- value parsing ----------------------------------------------------------------------------

TRUE_WORDS = frozenset(
    {"yes", "y", "true", "t", "1", "1.0", "churned", "churn", "exited", "left", "lost", "cancelled",
     "canceled", "inactive", "attrited", "attrited customer", "member", "x", "ja", "oui", "si", "sí"}
)  # fmt: skip
FALSE_WORDS = frozenset(
    {"no", "n", "false", "f", "0", "0.0", "stayed", "retained", "active", "existing",
     "existing customer", "not churned", "non-member", "nonmember", "not member", "nein", "non"}
)  # fmt: skip
_FLAG_VALUES = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}

# Ordered: on a tie (all days <= 12) the earlier format wins, so day/month beats month/day.
DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y%m%d",
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S", "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d-%m-%Y", "%m-%d-%Y",
    "%d/%m/%y", "%m/%d/%y", "%d.%m.%y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y",
    "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%b %Y", "%B %Y", "%Y-%m", "%m/%Y", "ISO8601",
)  # fmt: skip
_DATE_SHAPE = re.compile(
    r"^\d{8}$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\d{4}-\d{2}$|^\d{1,2}/\d{4}$"
    r"|^\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2,4}$|^[A-Za-z]{3,9}\.? \d{1,2},? \d{4}$|^[A-Za-z]{3,9} \d{4}$"
)
# Excel stores dates as days since 1899-12-30; 20000..80000 covers 1954..2119.
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_RANGE = (20000, 80000)

# Run by Arrow's regular expression engine (RE2) on whole columns.
_CURRENCY = r"(?i)[\s$€£¥'%]|\b(?:EUR|USD|GBP|CHF)\b"
_NUMBER_DOT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?$")
_NUMBER_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d*)(,\d+)?$")


def blank_mask(values: pd.Series) -> pd.Series:
    """True where a cell is missing or holds only spaces."""
    if values.dtype.kind in "biufcmM":
        return values.isna()
    return values.isna() | (values.astype("string").str.strip() == "")


def clean_text(values: pd.Series) -> pd.Series:
    """Cells as stripped text (pandas string dtype), blanks as NA; whole floats without '.0'."""
    if values.dtype.kind == "f":
        whole = values.notna() & (values % 1 == 0)
        out = values.astype("string")
        out[whole] = values[whole].astype("int64").astype("string")
        return out
    if values.dtype.kind in "M":
        return values.dt.strftime("%Y-%m-%d %H:%M:%S").astype("string")
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def uses_decimal_comma(sample: pd.Series) -> bool:
    """True when numbers in ``sample`` are written as ``1.234,56`` rather than ``1,234.56``.

    Each cleaned value is matched against both conventions; the comma convention wins only when
    more values fit it alone than fit the dot convention alone (so ``1,234`` stays one thousand
    two hundred and thirty-four).
    """
    cleaned = _clean_number_text(clean_text(sample).dropna())
    if cleaned.empty:
        return False
    dot = cleaned.str.fullmatch(_NUMBER_DOT).astype(bool)
    comma = cleaned.str.fullmatch(_NUMBER_COMMA).astype(bool)
    return int((comma & ~dot).sum()) > int((dot & ~comma).sum())


def regex_replace(text: pd.Series, pattern: str, replacement: str = "") -> pd.Series:
    """Replace every match of ``pattern`` (RE2 syntax, ``\\1`` for groups) in a text column at
    once, in Arrow; missing cells stay missing. Returns a pandas ``string`` column."""
    result = pc.replace_substring_regex(pa.array(text.astype("string")), pattern, replacement)
    return pd.Series(result, index=text.index, dtype="string")


def _clean_number_text(text: pd.Series) -> pd.Series:
    negative = text.str.fullmatch(r"\(.*\)").astype(bool)
    cleaned = regex_replace(text, _CURRENCY).str.strip("()")
    return cleaned.mask(negative, "-" + cleaned)


def parse_numbers(values: pd.Series, decimal_comma: bool | None = None) -> pd.Series:
    """Parse a column to float64; blanks and unreadable cells become NaN.

    Plain numbers are read directly. Cells that fail are cleaned (currency signs and codes,
    spaces, apostrophes and percent signs removed; ``(12.50)`` read as -12.50; thousands
    separators dropped) and read again. ``decimal_comma`` says whether ``,`` is the decimal mark;
    None decides from the column (see :func:`uses_decimal_comma`).
    Unreadable cells are those not blank in ``values`` but NaN in the result. Infinite values
    (``inf``, ``1e400``) are unreadable too: no amount, score or count is infinite.
    """
    return _finite(_parse_numbers(values, decimal_comma))


def _finite(numbers: pd.Series) -> pd.Series:
    return numbers.mask(np.isinf(numbers.to_numpy(dtype="float64", na_value=np.nan)))


def _parse_numbers(values: pd.Series, decimal_comma: bool | None) -> pd.Series:
    if values.dtype.kind in "biuf":
        return values.astype("float64")
    if values.dtype == "boolean" or values.dtype.kind == "M":
        return pd.Series(np.nan, index=values.index, dtype="float64")
    text = clean_text(values)
    sample = spread_sample(text.dropna())
    if decimal_comma is None:
        decimal_comma = uses_decimal_comma(sample)
    # Reading plain numbers directly is fast; failing cells are slow, so when the sample shows
    # signs or separators, every cell is cleaned first.
    plain = not decimal_comma and bool(pd.to_numeric(sample, errors="coerce").notna().all())
    if plain:
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        retry = numbers.isna() & text.notna()
    else:
        numbers = pd.Series(np.nan, index=values.index, dtype="float64")
        retry = text.notna()
    if retry.any():
        cleaned = _clean_number_text(text[retry])
        if decimal_comma:
            cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            cleaned = cleaned.str.replace(",", "", regex=False)
        numbers[retry] = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    return numbers


def date_formats(sample: pd.Series) -> list[tuple[str, float]]:
    """Formats that read some of ``sample``, best first, with the share each reads.

    Only :data:`DATE_FORMATS` are tried, each on the whole sample at once; a column's dates are
    then parsed with these formats rather than guessed cell by cell.
    """
    text = clean_text(sample).dropna()
    if text.empty or text.str.fullmatch(_DATE_SHAPE).mean() < 0.5:
        return []
    found: list[tuple[str, float]] = []
    for fmt in DATE_FORMATS:
        share = float(_to_datetime(text, fmt).notna().mean())
        if share > 0:
            found.append((fmt, share))
        if share == 1.0 and fmt != "ISO8601":
            # Enough; but keep the other day/month order in view for ambiguous dates.
            twin = _day_month_swapped(fmt)
            if twin is not None and all(twin != other for other, _ in found):
                twin_share = float(_to_datetime(text, twin).notna().mean())
                if twin_share > 0:
                    found.append((twin, twin_share))
            break
    found.sort(key=lambda item: -item[1])  # stable: the list order breaks ties
    return found


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    """Read text with one format; unreadable cells become NaT. A long column is read once per
    distinct value, since dates repeat (a year of orders holds at most 366 distinct days)."""
    if len(text) > 10_000:
        codes, uniques = pd.factorize(text)
        if len(uniques) <= len(text) // 2:
            if len(uniques) == 0:
                return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
            read = _to_datetime(pd.Series(uniques), fmt).to_numpy()
            values = np.where(codes >= 0, read[codes.clip(0)], np.datetime64("NaT", "us"))
            return pd.Series(values, index=text.index, dtype="datetime64[us]")
    try:
        if fmt == "ISO8601":
            parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
        else:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed.astype("datetime64[us]")


_FORMAT_WORDS = {
    "%Y": "YYYY", "%y": "YY", "%m": "MM", "%d": "DD", "%b": "Mon", "%B": "Month",
    "%H": "hh", "%M": "mm", "%S": "ss", "%f": "ffffff",
}  # fmt: skip


def describe_date_format(fmt: str) -> str:
    """A date format as people write it: ``%d/%m/%Y`` -> ``DD/MM/YYYY``; ``excel serial`` ->
    ``Excel day numbers``."""
    named = {"excel serial": "Excel day numbers", "ISO8601": "ISO 8601", "native": "dates"}
    if fmt in named:
        return named[fmt]
    return re.sub(r"%[a-zA-Z]", lambda m: _FORMAT_WORDS.get(m.group(), m.group()), fmt)


def spread_sample(values: pd.Series, size: int = SAMPLE_SIZE) -> pd.Series:
    """Up to ``size`` cells spread evenly over the whole column (first and last included)."""
    if len(values) <= size:
        return values
    return values.iloc[np.unique(np.linspace(0, len(values) - 1, size).astype(int))]


def _day_month_swapped(fmt: str) -> str | None:
    """The same format with day and month in the other order, if it is a known format."""
    if "%d" not in fmt or "%m" not in fmt:
        return None
    swapped = fmt.replace("%d", "%_").replace("%m", "%d").replace("%_", "%m")
    return swapped if swapped in DATE_FORMATS else None


def day_month_ambiguous(values: pd.Series, fmt: str) -> bool:
    """True when ``values`` read as well with day and month swapped in ``fmt`` but give other
    dates (every day is 12 or less, as in ``03/04/2023``)."""
    twin = _day_month_swapped(fmt)
    if twin is None:
        return False
    text = clean_text(values).dropna()
    for cells in (spread_sample(text), text):  # the sample usually settles it cheaply
        as_given, swapped = _to_datetime(cells, fmt), _to_datetime(cells, twin)
        both = as_given.notna() & swapped.notna()
        if both.sum() < as_given.notna().sum():
            return False
    return bool((as_given[both] != swapped[both]).any())


def parse_dates(values: pd.Series, *, excel_serials: bool = False) -> tuple[pd.Series, list[str]]:
    """Parse a column to naive ``datetime64[us]``; blanks and unreadable cells become NaT.

    The best format for a sample of the column (:func:`date_formats`) reads the column; formats
    are then detected again on a sample of the cells still unread, and so on, so a column may mix
    several formats. When day and month could be in either order (``03/04/2023``), both orders
    are tried on the whole column and the one reading more cells wins (day first on a tie).
    Numbers in the Excel serial range are read as days since 1899-12-30 when ``excel_serials`` is
    True, whether they fill the column or sit among written dates. Returns the dates and the formats used, in order.
    """
    if values.dtype.kind == "M":
        parsed = values.dt.tz_convert(None) if values.dt.tz is not None else values
        return parsed.astype("datetime64[us]"), ["native"]
    text = clean_text(values)
    if excel_serials and text.notna().any():
        sample_numbers = parse_numbers(spread_sample(text.dropna()))
        if sample_numbers.between(*_SERIAL_RANGE).mean() >= 0.9:
            numbers = parse_numbers(values)
            serial = numbers.between(*_SERIAL_RANGE)
            days = pd.to_timedelta(numbers.where(serial), unit="D")
            return (_EXCEL_EPOCH + days).astype("datetime64[us]"), ["excel serial"]
    dates = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    used: list[str] = []
    remaining = text.dropna()
    while not remaining.empty and len(used) < _MAX_FORMATS_PER_COLUMN:
        formats = date_formats(spread_sample(remaining))
        if not formats:
            break
        fmt, share = formats[0]
        parsed = _to_datetime(remaining, fmt)
        twin = _day_month_swapped(fmt)
        if twin is not None and dict(formats).get(twin, 0.0) >= share:
            # The sample cannot tell day/month from month/day: the whole column decides.
            parsed_twin = _to_datetime(remaining, twin)
            if parsed_twin.notna().sum() > parsed.notna().sum():
                fmt, parsed = twin, parsed_twin
        hit = parsed.notna()
        if not hit.any():
            break
        dates[parsed.index[hit]] = parsed[hit]
        remaining = remaining[~hit]
        used.append(fmt)
    if excel_serials and not remaining.empty:
        # Serials among written dates: a column typed partly as dates, partly as text in Excel.
        numbers = parse_numbers(remaining)
        serial = numbers.between(*_SERIAL_RANGE)
        if serial.any():
            days = pd.to_timedelta(numbers[serial], unit="D")
            dates[days.index] = (_EXCEL_EPOCH + days).astype("datetime64[us]")
            used.append("excel serial")
    return dates, used


def parse_flags(values: pd.Series) -> pd.Series:
    """Parse yes/no style cells to a nullable boolean column; unknown words become NA.

    True: yes, y, true, 1, churned, exited, left, cancelled, inactive, attrited customer, member, ...
    False: no, n, false, 0, stayed, retained, active, existing customer, ... (see
    :data:`TRUE_WORDS`, :data:`FALSE_WORDS`).
    """
    if values.dtype == "boolean" or values.dtype.kind == "b":
        return values.astype("boolean")
    words = clean_text(values).str.lower()
    return words.map(_FLAG_VALUES).astype("boolean")


# --- column profiles --------------------------------------------------------------------------

_ID_NAME = re.compile(r"(^|_)(id|ids|no|nr|num|number|code|key|uuid|guid|zip|zipcode|postcode|phone)$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./:#]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ColumnProfile:
    """What a column's name and values look like, measured on a sample of its filled cells.

    Shares are fractions of the sampled filled cells. ``value_type`` is one of ``empty``, ``flag``,
    ``date``, ``id``, ``number``, ``category``, ``text``.
    """

    column: str
    position: int
    key: str
    rows: int
    filled: int
    distinct: int
    value_type: str
    number_share: float
    integer_share: float
    number_min: float
    number_max: float
    number_median: float
    date_share: float
    serial_share: float
    zero_padded_share: float
    code_share: float
    space_share: float
    mean_length: float
    flag_numeric: bool

    @property
    def unique_ratio(self) -> float:
        """Distinct values per filled cell (1.0: every value appears once)."""
        return self.distinct / self.filled if self.filled else 0.0

    @property
    def id_named(self) -> bool:
        return bool(_ID_NAME.search(self.key))


def name_key(name: str) -> str:
    """A column name as lower snake case for matching: ``customerID`` -> ``customer_id``."""
    key = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    key = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", key)
    return re.sub(r"[\W_]+", "_", key).strip("_").lower()


def _max_segment_levels(rows: int) -> int:
    """Most distinct values a segment column may have: 10 for small tables, up to 50."""
    return min(50, max(10, rows // 20))


def profile_column(frame: pd.DataFrame, position: int) -> ColumnProfile:
    """Measure one column of ``frame`` (see :class:`ColumnProfile`)."""
    values = frame.iloc[:, position]
    column = str(frame.columns[position])
    text = clean_text(values)
    filled_text = text.dropna()
    filled = len(filled_text)
    distinct = int(filled_text.nunique())
    sample = spread_sample(filled_text)
    numbers = parse_numbers(values.loc[sample.index]).dropna() if filled else pd.Series(dtype=float)
    count = max(1, len(sample))
    number_share = len(numbers) / count
    integer_share = float((numbers % 1 == 0).mean()) if len(numbers) else 0.0
    if values.dtype.kind == "M":
        date_share = 1.0
    elif values.dtype.kind in "biuf" and not (
        len(numbers) and numbers.between(19000101, 21001231).all() and integer_share == 1
    ):
        date_share = 0.0
    else:
        formats = date_formats(sample)
        date_share = max((share for _, share in formats), default=0.0)
        if formats:
            date_share = float(parse_dates(sample)[0].notna().mean())
    serial_share = float(numbers.between(*_SERIAL_RANGE).mean()) if len(numbers) else 0.0
    words = sample.str.lower()
    flag_like = distinct <= 2 and filled > 0 and bool(words.isin(_FLAG_VALUES.keys()).all())
    lengths = sample.str.len()
    profile = dict(
        column=column,
        position=position,
        key=name_key(column),
        rows=len(values),
        filled=filled,
        distinct=distinct,
        number_share=number_share,
        integer_share=integer_share,
        number_min=float(numbers.min()) if len(numbers) else np.nan,
        number_max=float(numbers.max()) if len(numbers) else np.nan,
        number_median=float(numbers.median()) if len(numbers) else np.nan,
        date_share=date_share,
        serial_share=serial_share,
        zero_padded_share=float(sample.str.fullmatch(r"0\d+").mean()) if filled else 0.0,
        code_share=float((sample.str.fullmatch(_CODE) | sample.str.fullmatch(_EMAIL)).mean())
        if filled
        else 0.0,
        space_share=float(sample.str.contains(" ", regex=False).mean()) if filled else 0.0,
        mean_length=float(lengths.mean()) if filled else 0.0,
        flag_numeric=flag_like and number_share == 1.0,
    )
    if values.dtype == "boolean" or values.dtype.kind == "b":
        flag_like = True
    value_type = _value_type(profile, flag_like, values.dtype.kind)
    return ColumnProfile(value_type=value_type, **profile)


def _value_type(p: dict, flag_like: bool, dtype_kind: str) -> str:
    if p["filled"] == 0:
        return "empty"
    if flag_like:
        return "flag"
    if p["date_share"] >= 0.8:
        return "date"
    if p["zero_padded_share"] >= 0.5 and p["number_share"] >= 0.9 and p["integer_share"] == 1:
        return "id"
    if p["number_share"] >= 0.9:
        return "number"
    unique_ratio = p["distinct"] / p["filled"]
    letters_and_digits_codes = p["code_share"] >= 0.9 and p["space_share"] == 0
    if letters_and_digits_codes and unique_ratio >= 0.5 and p["distinct"] > _max_segment_levels(p["rows"]):
        return "id"
    if p["distinct"] <= _max_segment_levels(p["rows"]) and unique_ratio <= 0.5:
        return "category"
    if letters_and_digits_codes and p["mean_length"] <= 40:
        return "id"
    return "text"


def detect_value_type(values: pd.Series) -> str:
    """The kind of values in a column: empty, flag, date, id, number, category or text."""
    return profile_column(values.to_frame(), 0).value_type


# --- value tests per role type ----------------------------------------------------------------


def _id_fit(p: ColumnProfile) -> float:
    if p.value_type == "id":
        return 1.0
    if p.value_type == "number" and p.integer_share == 1 and p.number_min >= 0:
        spread = p.distinct >= 50 or p.unique_ratio >= 0.05
        return 0.8 if spread and p.number_median > 1 else 0.3
    if p.value_type in ("category", "text") and p.space_share <= 0.1 and p.mean_length <= 40:
        return 0.7 if p.code_share >= 0.9 and p.distinct > 2 else 0.3
    return 0.0


def _date_fit(p: ColumnProfile, named: bool) -> float:
    if p.value_type == "date" or (named and p.date_share >= 0.5):
        return p.date_share
    if named and p.value_type == "number" and p.integer_share >= 0.95 and p.serial_share >= 0.95:
        return 0.9
    return 0.0


def _number_fit(p: ColumnProfile) -> float:
    if p.value_type == "number":
        return p.number_share
    if p.value_type == "flag" and p.flag_numeric:
        return 0.7
    return 0.0


def _flag_fit(p: ColumnProfile) -> float:
    return 1.0 if p.value_type == "flag" else 0.0


def _category_fit(p: ColumnProfile) -> float:
    return {"category": 1.0, "flag": 0.6, "text": 0.3, "id": 0.1}.get(p.value_type, 0.0)


def _text_fit(p: ColumnProfile) -> float:
    if p.value_type == "text":
        return 1.0 if p.space_share >= 0.3 else 0.5
    return 0.4 if p.value_type == "category" else 0.0


def _in_range(low: float, high: float) -> Callable[[ColumnProfile], float]:
    """A score test: whole numbers within [low, high]."""

    def check(p: ColumnProfile) -> float:
        inside = p.number_min >= low and p.number_max <= high
        return 1.0 if inside and p.integer_share >= 0.95 else 0.0

    return check


def _small_counts(p: ColumnProfile) -> float:
    if p.integer_share < 0.95:
        return 0.3
    return 1.0 if p.number_median <= 50 else 0.6


def _money(p: ColumnProfile) -> float:
    return 1.0 if p.integer_share < 0.95 else 0.8


def _not_negative(p: ColumnProfile) -> float:
    return 1.0 if p.number_min >= 0 else 0.5


def _type_fit(role_type: str, p: ColumnProfile, named: bool) -> float:
    if role_type == "date":
        return _date_fit(p, named)
    return {
        "id": _id_fit,
        "number": _number_fit,
        "flag": _flag_fit,
        "category": _category_fit,
        "text": _text_fit,
    }[role_type](p)


# --- the rules: names and value tests per role ------------------------------------------------


@dataclass(frozen=True)
class _RoleRule:
    """How to recognise one role: name patterns (full match on :func:`name_key`), whether the
    values alone may assign it, and an extra value test on top of the role type's own."""

    strong: tuple[str, ...]
    weak: tuple[str, ...] = ()
    value_only: bool = False
    check: Callable[[ColumnProfile], float] | None = None


_CUSTOMER_ID = _RoleRule(
    strong=(
        r"(customer|cust|client|member|account|user|buyer|shopper|subscriber|consumer|patron|kunde|kunden)"
        r"s?_?(id|no|nr|num|number|code|key|ref|nummer)?",
        r"(customer|client)_?e?mail",
    ),
    weak=(r"id", r"e_?mail", r"email_address"),
    value_only=True,
)
_ROLE_RULES: dict[str, dict[str, _RoleRule]] = {
    "customers": {
        "customer_id": _CUSTOMER_ID,
        "signup_date": _RoleRule(
            strong=(
                r"(signup|sign_up|join|joined|joining|registration|registered|created|acquired|acquisition"
                r"|first_purchase|start|onboarded|onboarding|subscription_start|customer_since|member_since)"
                r"(_date|_at|_on|_time|_day)?",
                r"(date|dt)_(signup|joined|registered|created|acquired)",
                r"(customer_)?since",
            ),
            weak=(r"date",),
        ),
        "churn": _RoleRule(
            strong=(
                r"(is_)?(churn|churned|exited|attrition|attrition_flag|cancelled|canceled|left)(_flag|_label)?",
                r"(has_)?churned",
            ),
            weak=(r"(customer_)?status", r"active", r"is_active"),
        ),
        "churn_date": _RoleRule(
            strong=(
                r"(churn|churned|cancellation|cancelled|canceled|cancel|end|termination|exit|left|leave"
                r"|close|closed)_?(date|at|on|day)",
            ),
        ),
        "acquisition_channel": _RoleRule(
            strong=(
                r"(acquisition_)?(channel|source)",
                r"(lead|referral|utm|acquisition|marketing)_(source|channel)",
                r"referral|referred_by|how_heard",
            ),
        ),
        "acquisition_cost": _RoleRule(
            strong=(r"(customer_)?acquisition_cost", r"cac", r"cpa", r"cost_of_acquisition"),
        ),
        "loyalty_member": _RoleRule(
            strong=(
                r"(is_)?(loyalty|loyalty_member|loyalty_program|loyalty_programme|member|membership|vip)"
                r"(_flag|_status)?",
            ),
        ),
    },
    "transactions": {
        "customer_id": _CUSTOMER_ID,
        "date": _RoleRule(
            strong=(
                r"(order|purchase|transaction|invoice|sale|sales|txn|payment|booking|bestell|kauf)_?"
                r"(date|day|time|timestamp|datetime|at|on|dt|datum)",
                r"date|datum|day|timestamp|datetime",
            ),
            weak=(r".*_(date|at|time)",),
            value_only=True,
        ),
        "amount": _RoleRule(
            strong=(
                r"(order_|sale_|sales_|line_|net_|gross_|total_|transaction_|invoice_|purchase_)?"
                r"(amount|revenue|sales|value|total|spend|spent|turnover|monetary|paid|subtotal)",
                r"dollar_value|order_total|total_price|line_total|betrag|umsatz",
            ),
            weak=(r"price", r"payment"),
            value_only=True,
            check=_money,
        ),
        "quantity": _RoleRule(
            strong=(
                r"quantity|qty|units|unit_count|number_of_\w+|num_items|items|item_count|pieces|menge|anzahl",
            ),
            weak=(r"count",),
            value_only=True,
            check=_small_counts,
        ),
        "unit_price": _RoleRule(
            strong=(r"unit_?price|price_per_unit|item_price|price_each|price|einzelpreis",),
            check=_not_negative,
        ),
        "order_id": _RoleRule(
            strong=(
                r"(order|invoice|transaction|txn|receipt|basket|sale|bestell)_?(id|no|nr|number|num|key|nummer)",
            ),
        ),
    },
    "feedback": {
        "customer_id": _CUSTOMER_ID,
        "date": _RoleRule(
            strong=(
                r"(response|survey|submitted|submission|answer|answered|feedback|review)_?(date|at|time|on)",
                r"date|timestamp|submitted",
            ),
            weak=(r".*_(date|at|time)",),
            value_only=True,
        ),
        "nps": _RoleRule(
            strong=(
                r"nps(_score|_rating)?",
                r".*recommend.*",
                r"net_promoter(_score)?",
            ),
            check=_in_range(0, 10),
        ),
        "csat": _RoleRule(
            strong=(r"csat(_score)?", r"(customer_)?satisfaction(_score|_rating)?"),
            check=_in_range(1, 5),
        ),
        "ces": _RoleRule(
            strong=(r"ces(_score)?", r"(customer_)?effort(_score)?"),
            check=_in_range(1, 7),
        ),
        "rating": _RoleRule(
            strong=(r"(star_|review_|overall_)?rating", r"stars", r"review_score"),
            weak=(r"score",),
        ),
        "comment": _RoleRule(
            strong=(
                r"comments?|feedback(_text)?|verbatim|review(_text)?|remarks?|free_text|open_answer"
                r"|answer_text|response_text",
            ),
            weak=(r"text|notes?|answer",),
        ),
    },
    "support": {
        "customer_id": _CUSTOMER_ID,
        "ticket_id": _RoleRule(
            strong=(r"(ticket|case|incident|request|issue)_?(id|no|nr|number|num|key|ref)?",),
        ),
        "opened_at": _RoleRule(
            strong=(
                r"(opened|created|submitted|reported|open|creation|logged|raised)_?(at|date|time|on|timestamp)?",
                r"(ticket|case)_(date|created|opened)",
            ),
        ),
        "first_response_at": _RoleRule(
            strong=(
                r"first_(response|reply)(_at|_date|_time|_on)?",
                r"(responded|replied)_?(at|date|time|on)?",
            ),
        ),
        "response_minutes": _RoleRule(
            strong=(
                r"(first_)?(response|reply)_?(time|minutes|mins|min|duration)(_minutes|_mins|_min)?",
                r"minutes_to_(first_)?(response|reply)",
            ),
            check=_not_negative,
        ),
        "resolved_at": _RoleRule(
            strong=(r"(resolved|closed|resolution|solved|completed)_?(at|date|time|on)?",),
        ),
    },
    "marketing": {
        "date": _RoleRule(
            strong=(r"date|month|period|week|day|year_month|reporting_(date|month|period)",),
            weak=(r".*_(date|month|period)",),
            value_only=True,
        ),
        "channel": _RoleRule(
            strong=(r"(marketing_|acquisition_|campaign_)?(channel|source|medium|platform)",),
            weak=(r"campaign",),
        ),
        "spend": _RoleRule(
            strong=(r"(ad_|marketing_|media_|campaign_)?(spend|cost|costs|budget)(_\w+)?",),
            check=_not_negative,
        ),
        "leads": _RoleRule(
            strong=(r"leads?|lead_count|prospects|inquiries|enquiries",),
            check=_not_negative,
        ),
        "conversions": _RoleRule(
            strong=(r"conversions?|converted|new_customers|acquisitions|customers_won|wins",),
            check=_not_negative,
        ),
        "market_size": _RoleRule(
            strong=(r"(total_)?market(_size|_revenue|_customers|_volume)?|tam",),
            check=_not_negative,
        ),
    },
}


@dataclass(frozen=True)
class _KindHints:
    """Evidence for a kind beyond its roles: words in the table's name, and whether customer ids
    should be unique (one row per customer) or repeat (several facts per customer)."""

    table_words: tuple[str, ...]
    customer_ids: str | None = None  # "unique", "repeated" or None


_KIND_HINTS: dict[str, _KindHints] = {
    "customers": _KindHints(
        ("customer", "client", "member", "churn", "crm", "subscriber", "account"), "unique"
    ),
    "transactions": _KindHints(
        ("order", "transaction", "sale", "purchase", "invoice", "receipt", "cdnow", "retail"), "repeated"
    ),
    "feedback": _KindHints(("survey", "feedback", "nps", "csat", "review", "response")),
    "support": _KindHints(("ticket", "support", "case", "helpdesk", "service_desk", "incident")),
    "marketing": _KindHints(("marketing", "campaign", "spend", "ads", "advert", "market")),
}

# How much a matched role counts as evidence for its kind; a customer id appears in every kind.
_SHARED_ROLE_WEIGHT = {"customer_id": 0.5, "date": 0.75}


def _name_match(rule: _RoleRule, key: str) -> float:
    if any(re.fullmatch(pattern, key) for pattern in rule.strong):
        return 1.0
    if any(re.fullmatch(pattern, key) for pattern in rule.weak):
        return 0.5
    return 0.0


def _role_confidence(kind_id: str, role_id: str, p: ColumnProfile, strongly_named_elsewhere: bool) -> float:
    """Confidence that column ``p`` holds role ``role_id`` of kind ``kind_id`` (formula in the
    module docstring). A column whose name strongly fits another role is not taken on values alone."""
    rule = _ROLE_RULES[kind_id][role_id]
    name = _name_match(rule, p.key)
    if name == 0 and (not rule.value_only or strongly_named_elsewhere):
        return 0.0
    role_type = schema.kind(kind_id).role(role_id).type
    fit = _type_fit(role_type, p, named=name > 0)
    if fit > 0 and rule.check is not None:
        fit *= rule.check(p)
    return round(fit * (0.5 + 0.5 * name), 3)


def _strong_names(p: ColumnProfile) -> set[tuple[str, str]]:
    return {
        (kind_id, role_id)
        for kind_id, rules in _ROLE_RULES.items()
        for role_id, rule in rules.items()
        if _name_match(rule, p.key) == 1.0
    }


@dataclass(frozen=True)
class _KindFit:
    kind: str
    roles: dict[str, str]
    confidence: dict[str, float]
    required_mean: float
    score: float


def _fit_kind(kind_id: str, profiles: list[ColumnProfile], strong: list[set], name: str) -> _KindFit | None:
    """Assign the roles of one kind greedily by confidence and score the kind (None when none of
    its required role sets can be filled)."""
    kind = schema.kind(kind_id)
    candidates = []
    for p, strong_roles in zip(profiles, strong, strict=True):
        if p.value_type == "empty":
            continue
        for order, role_id in enumerate(kind.role_ids):
            elsewhere = bool(strong_roles) and (kind_id, role_id) not in strong_roles
            confidence = _role_confidence(kind_id, role_id, p, elsewhere)
            if confidence >= ASSIGN_THRESHOLD:
                candidates.append((-confidence, p.position, order, role_id, p))
    roles: dict[str, str] = {}
    confidence: dict[str, float] = {}
    used: set[int] = set()
    for negative, position, _order, role_id, p in sorted(candidates, key=lambda c: c[:3]):
        if role_id in roles or position in used:
            continue
        roles[role_id] = p.column
        confidence[role_id] = -negative
        used.add(position)
    met = [required for required in kind.required_any if all(r in roles for r in required)]
    if not met:
        return None
    required_mean = max(float(np.mean([confidence[r] for r in required])) for required in met)
    score = sum(_SHARED_ROLE_WEIGHT.get(r, 1.0) * c for r, c in confidence.items())
    hints = _KIND_HINTS[kind_id]
    if any(word in name_key(name) for word in hints.table_words):
        score += 0.5
    if hints.customer_ids and "customer_id" in roles:
        p = next(p for p in profiles if p.column == roles["customer_id"])
        unique = p.unique_ratio >= 0.98
        repeated = p.unique_ratio <= 0.9
        if hints.customer_ids == "unique":
            score += 0.5 if unique else (-1.0 if repeated else 0.0)
        elif hints.customer_ids == "repeated":
            score += 0.25 if repeated else (-0.25 if unique and p.filled >= 20 else 0.0)
    return _KindFit(kind_id, roles, confidence, required_mean, score)


def _segments_and_attributes(profiles: list[ColumnProfile], taken: set[str]) -> tuple[list[str], list[str]]:
    """Segments: low-cardinality categorical or yes/no columns (2 to ``_max_segment_levels``
    values). Attributes: numeric columns with at least two values that are not ids."""
    segments: list[str] = []
    attributes: list[str] = []
    for p in profiles:
        if p.column in taken or p.value_type in ("empty", "date", "id", "text"):
            continue
        if p.value_type in ("category", "flag"):
            if 2 <= p.distinct <= _max_segment_levels(p.rows):
                segments.append(p.column)
        elif p.value_type == "number" and p.distinct >= 2 and not p.id_named:
            attributes.append(p.column)
    return segments, attributes


def detect_mapping(frame: pd.DataFrame, name: str = "") -> TableMapping:
    """Guess a table's kind, the column behind each role, its segments and numeric attributes.

    Parameters
    ----------
    frame : pandas.DataFrame
        A raw table (see :mod:`bsc.ingest`); cells may be text or typed.
    name : str
        The table's name; words in it (``orders``, ``survey``, ...) count as weak evidence.

    Returns
    -------
    TableMapping
        ``kind`` is ``"unknown"`` (with no roles) when no kind's required roles can be found.
        ``confidence`` holds each assigned role's confidence; ``kind_confidence`` is the mean
        confidence of the best filled required role set, halved when another kind scores as
        well, i.e. ``mean × min(1, 0.5 + (best - runner_up) / best)``.

    Notes
    -----
    Each kind's roles are assigned greedily, the most confident (column, role) pair first; ties
    go to the leftmost column. A kind scores the weighted sum of its role confidences (customer id
    0.5, date 0.75, others 1), plus 0.5 when the table's name has a word of the kind, plus 0.5 for
    a customers table whose ids are unique (−1 when they repeat) and 0.25 for a transactions table
    whose ids repeat (−0.25 when every id is unique).
    """
    profiles = [profile_column(frame, i) for i in range(frame.shape[1])]
    strong = [_strong_names(p) for p in profiles]
    fits = [fit for kind_id in schema.KINDS if (fit := _fit_kind(kind_id, profiles, strong, name))]
    fits.sort(key=lambda fit: -fit.score)
    if not fits or fits[0].score <= 0:
        segments, attributes = _segments_and_attributes(profiles, set())
        return TableMapping(kind=schema.UNKNOWN, segments=segments, attributes=attributes)
    best = fits[0]
    runner_up = fits[1].score if len(fits) > 1 else 0.0
    kind_confidence = best.required_mean * min(1.0, 0.5 + (best.score - max(runner_up, 0.0)) / best.score)
    segments, attributes = _segments_and_attributes(profiles, set(best.roles.values()))
    return TableMapping(
        kind=best.kind,
        roles=best.roles,
        segments=segments,
        attributes=attributes,
        confidence=best.confidence,
        kind_confidence=round(kind_confidence, 3),
    )
