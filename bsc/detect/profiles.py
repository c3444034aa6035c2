"""What a column looks like: its name as a key and a profile of its values.

:func:`profile_column` measures a column once (shares of numbers, whole numbers, dates, Excel
day numbers, zero-padded ids, codes...) and settles its value type: ``empty``, ``flag``, ``date``,
``id``, ``number``, ``category`` or ``text``. Every rule in :mod:`bsc.detect.rules` is a test on
a :class:`ColumnProfile`, and :func:`name_key` is the form of a column name that the rules' name
patterns match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bsc.detect.dates import _SERIAL_RANGE, date_formats, parse_dates
from bsc.detect.values import _FLAG_VALUES, clean_text, parse_numbers, spread_sample, take_rows

__all__ = [
    "DETECTION_ROWS",
    "ColumnProfile",
    "detect_value_type",
    "detection_rows",
    "name_key",
    "profile_column",
]

_ID_NAME = re.compile(r"(^|_)(id|ids|no|nr|num|number|code|key|uuid|guid|zip|zipcode|postcode|phone)$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./:#]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Most distinct values a profile lists (as many as a segment column may have).
_MAX_LEVELS = 50
# Most rows of a table that detection profiles (see :func:`detection_rows`).
DETECTION_ROWS = 30_000
# A column of yes/no words may hold a few other words ("maybe", "unknown") and stay a yes/no
# column: bsc.prepare then leaves those cells empty and reports them, instead of the whole role
# being lost to one stray word.
FLAG_SHARE = 0.95


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
    # The distinct values in lower case, sorted, when there are few (a category's levels).
    levels: tuple[str, ...] = ()
    # The numbers read from the sampled cells, so that a rule can ask what share of them fits.
    numbers: tuple[float, ...] = field(default=(), repr=False, compare=False)

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


def detection_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a table's columns are profiled on: all of them up to :data:`DETECTION_ROWS`,
    else that many spread evenly over the table (first and last included), so that detection
    takes the same time on a file of a million rows as on one of thirty thousand.

    What detection measures settles well before that many rows: the shares of numbers and dates
    come from :data:`~bsc.detect.values.SAMPLE_SIZE` cells anyway, a segment may have at most 50
    values, and ids that repeat or are unique stay so in an even spread of rows.
    """
    if len(frame) <= DETECTION_ROWS:
        return frame
    positions = np.unique(np.linspace(0, len(frame) - 1, DETECTION_ROWS).astype(np.int64))
    if frame.shape[1] == 0:
        return frame.iloc[positions].reset_index(drop=True)
    # Column by column: an Arrow take is several times faster than the frame's ``iloc``.
    columns = {
        i: take_rows(frame.iloc[:, i], positions).reset_index(drop=True) for i in range(frame.shape[1])
    }
    rows = pd.DataFrame(columns)
    rows.columns = frame.columns
    return rows


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
            # ``sample`` is the filled cells' spread sample: the formats just found are its own.
            date_share = float(parse_dates(sample, sample_formats=formats)[0].notna().mean())
    serial_share = float(numbers.between(*_SERIAL_RANGE).mean()) if len(numbers) else 0.0
    flag_like = _flag_like(filled_text, distinct)
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
        levels=tuple(sorted(filled_text.str.lower().unique())) if distinct <= _MAX_LEVELS else (),
        numbers=tuple(numbers.tolist()),
    )
    if values.dtype == "boolean" or values.dtype.kind == "b":
        flag_like = True
    value_type = _value_type(profile, flag_like, values.dtype.kind)
    return ColumnProfile(value_type=value_type, **profile)


def _flag_like(filled_text: pd.Series, distinct: int) -> bool:
    """True for a yes/no column: two yes/no words, or (see :data:`FLAG_SHARE`) at least 95% of the
    cells two yes/no words and the rest words that are not numbers (0/1/2 counts are no flag)."""
    if filled_text.empty:
        return False
    words = filled_text.str.lower()
    known = words.isin(_FLAG_VALUES.keys())
    if distinct <= 2:
        return bool(known.all())
    if words[known].nunique() != 2 or known.mean() < FLAG_SHARE:
        return False
    return bool(parse_numbers(filled_text[~known]).isna().all())


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
