"""Reading cell values written as text: blanks, numbers and yes/no flags, a column at a time.

Raw tables keep text files' cells as text, so detection and :mod:`bsc.prepare` both read whole
columns with these parsers: :func:`clean_text` and :func:`blank_mask` for what counts as filled,
:func:`parse_numbers` for amounts written with currency signs, thousands separators or a decimal
comma, and :func:`parse_flags` for yes/no words in several languages. Dates have their own
module, :mod:`bsc.detect.dates`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowExtensionArray

__all__ = [
    "EXACT_FLOAT_INTEGER",
    "FALSE_WORDS",
    "SAMPLE_SIZE",
    "TRUE_WORDS",
    "blank_mask",
    "clean_text",
    "may_contain",
    "parse_flags",
    "parse_numbers",
    "regex_replace",
    "spread_sample",
    "take_rows",
    "uses_decimal_comma",
]

# The largest whole number below which every whole number is a float64 (2**53): a float id past it
# may not be the id the source system wrote.
EXACT_FLOAT_INTEGER = 2**53
# Cells a column is judged on: enough to tell its type, few enough to stay fast on long columns.
SAMPLE_SIZE = 2000

TRUE_WORDS = frozenset(
    {"yes", "y", "true", "t", "1", "1.0", "churned", "churn", "exited", "left", "lost", "cancelled",
     "canceled", "inactive", "attrited", "attrited customer", "member", "x", "ja", "oui", "si", "sí"}
)  # fmt: skip
FALSE_WORDS = frozenset(
    {"no", "n", "false", "f", "0", "0.0", "stayed", "retained", "active", "existing",
     "existing customer", "not churned", "non-member", "nonmember", "not member", "nein", "non"}
)  # fmt: skip
_FLAG_VALUES = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}


# Run by Arrow's regular expression engine (RE2) on whole columns.
_CURRENCY_CODE = r"(?i)\b(?:EUR|USD|GBP|CHF)\b"
_CURRENCY = r"(?i)[\s$€£¥'%]|" + _CURRENCY_CODE.removeprefix("(?i)")
_NUMBER_DOT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?$")
_NUMBER_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d*)(,\d+)?$")
_NUMBER_DOT_ASCII = _NUMBER_DOT.pattern.replace(r"\d", "[0-9]")
_NUMBER_COMMA_ASCII = _NUMBER_COMMA.pattern.replace(r"\d", "[0-9]")


def blank_mask(values: pd.Series) -> pd.Series:
    """True where a cell is missing or holds only spaces."""
    if values.dtype.kind in "biufcmM":
        return values.isna()
    if isinstance(values.array, ArrowExtensionArray):
        cells = values.array.__arrow_array__()
        if pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type):
            # Arrow's "all spaces" test uses the same Unicode spaces as its strip, without
            # building the stripped text.
            blank = pc.or_(pc.utf8_is_space(cells), pc.equal(pc.binary_length(cells), 0))
            blank = ArrowExtensionArray(pc.fill_null(blank, True))
            return pd.Series(blank, index=values.index, name=values.name, copy=False)
    return values.isna() | (values.astype("string").str.strip() == "")


def clean_text(values: pd.Series) -> pd.Series:
    """Cells as stripped text (pandas string dtype), blanks as NA; whole floats without '.0'.

    Only whole floats up to :data:`EXACT_FLOAT_INTEGER` (2**53) are written as integers: beyond,
    a float no longer holds every whole number, and past 2**63 the integer cast would wrap
    (1e20 -> -9223372036854775808, making different values one); those keep their float text
    (``1e+20``), as do ``inf`` and ``-inf``.
    """
    if values.dtype.kind == "f":
        whole = values.notna() & (values % 1 == 0) & (values.abs() <= EXACT_FLOAT_INTEGER)
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
    return _decimal_comma(_clean_number_text(clean_text(sample).dropna()))


def _decimal_comma(cleaned: pd.Series) -> bool:
    """:func:`uses_decimal_comma` of cells already cleaned by :func:`_clean_number_text`."""
    cells = pa.array(cleaned.astype("string"), from_pandas=True)
    if pc.all(pc.string_is_ascii(cells)).as_py() is not False:
        # On ASCII text Python's \d is [0-9], so RE2 (in Arrow, a whole column at once) matches
        # exactly as the Python patterns do.
        dot = pc.match_substring_regex(cells, _NUMBER_DOT_ASCII)
        comma = pc.match_substring_regex(cells, _NUMBER_COMMA_ASCII)
        comma_only = pc.sum(pc.and_not(comma, dot)).as_py() or 0
        return comma_only > (pc.sum(pc.and_not(dot, comma)).as_py() or 0)
    # Python's patterns, whose \d takes any Unicode digit as float() does, cell by cell.
    comma_only = dot_only = 0
    for cell in cleaned.tolist():
        dot, comma = _NUMBER_DOT.fullmatch(cell) is not None, _NUMBER_COMMA.fullmatch(cell) is not None
        comma_only += comma and not dot
        dot_only += dot and not comma
    return comma_only > dot_only


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
    if decimal_comma is not True:
        plain = _plain_numbers(values)
        if plain is not None:
            return plain
    if _surely_no_numbers(values):
        return pd.Series(np.nan, index=values.index, dtype="float64")
    text = clean_text(values)
    filled = text.dropna()
    sample = spread_sample(filled)
    cleaned_sample = None
    if decimal_comma is None:
        # The sample is clean text already: cleaned for numbers once, it serves twice below.
        cleaned_sample = _clean_number_text(sample)
        decimal_comma = _decimal_comma(cleaned_sample)
    # Reading plain numbers directly is fast; failing cells are slow, so when the sample shows
    # signs or separators, every cell is cleaned first.
    plain = not decimal_comma and bool(_to_float(sample).notna().all())
    if plain:
        numbers = _to_float(text)
        retry = numbers.isna() & text.notna()
    else:
        numbers = pd.Series(np.nan, index=values.index, dtype="float64")
        retry = text.notna()
    if retry.any():
        if cleaned_sample is not None and not plain and len(sample) == len(filled):
            cleaned = cleaned_sample  # every filled cell is in the sample, and all are retried
        else:
            cleaned = _clean_number_text(text[retry])
        if decimal_comma:
            cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            cleaned = cleaned.str.replace(",", "", regex=False)
        numbers[retry] = _to_float(cleaned)
    return numbers


def _plain_numbers(values: pd.Series) -> pd.Series | None:
    """A text column every filled cell of which Arrow reads as a number, read at once (else None).

    Exact: such cells hold no comma, currency sign, space or parenthesis, so the general path
    below finds no decimal comma, has nothing to clean, and reads the same cells with the same
    cast (``nan`` and ``inf`` included, which :func:`parse_numbers` then leaves empty). A cell of
    spaces, or any other cell Arrow cannot read, makes the cast fail: the general path reads
    that column.
    """
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        return None
    try:
        cast = pc.cast(values.array.__arrow_array__(), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return pd.Series(cast.to_numpy(zero_copy_only=False), index=values.index, dtype="float64")


def _surely_no_numbers(values: pd.Series) -> bool:
    """True for an ASCII text column no cell of which can be read as a finite number: each cell
    has no digit, or has a letter other than ``e``/``E`` once the currency codes the cleaning
    removes are left out (``C000123``, ``East``, ``inf``, ``Support never answered``), or a
    colon, a slash or a minus right after a digit (``2024-05-01``, ``10:30``, ``01/05/2024``).
    Names, ids with letters, categories and dates then skip the cleaning and the cell-by-cell
    reading, which would find nothing.

    Exact: cleaning removes only spaces, currency signs and codes, apostrophes, percent signs,
    parentheses and separators, none of them a letter, a digit, a colon, a slash or a minus, and
    removing characters never puts one between a digit and the minus after it. A finite number
    needs a digit; the only letters the readers accept are the exponent's ``e`` and those of
    ``inf``, ``infinity`` and ``nan``, which are no finite number; a minus comes first or after
    the exponent's ``e``. Answers False when it cannot tell (other columns, non-ASCII text:
    Python reads other scripts' digits).
    """
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        return False
    cells = values.array.__arrow_array__()
    if pc.all(pc.string_is_ascii(cells)).as_py() is False:
        return False
    words = pc.replace_substring_regex(cells, _CURRENCY_CODE, "")
    hopeless = pc.or_(
        pc.or_(
            pc.match_substring_regex(words, "[a-df-zA-DF-Z]"),
            pc.match_substring_regex(cells, "[:/]|[0-9]-"),
        ),
        pc.invert(pc.match_substring_regex(cells, "[0-9]")),
    )
    return pc.all(hopeless).as_py() is not False


def _to_float(text: pd.Series) -> pd.Series:
    """Text to float64, unreadable cells NaN: as ``pd.to_numeric(errors="coerce")``.

    Arrow's cast reads a column of plain numbers some twenty times faster than pandas, but it
    refuses the whole column when one cell is not a number; pandas then reads it cell by cell.
    Where both read a cell they give the same float (both round correctly), and the cells only
    Arrow reads (``nan``) are NaN either way.
    """
    try:
        cast = pc.cast(pa.array(text, from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pd.to_numeric(text, errors="coerce").astype("float64")
    return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def may_contain(text: pd.Series, characters: str) -> bool:
    """False only when no cell of ``text`` holds any of the ASCII ``characters``: a cheap test
    before a regular expression that cannot match without one of them.

    It looks at the bytes behind an Arrow text column at once (UTF-8 keeps ASCII bytes for ASCII
    characters only), and answers True whenever it cannot tell.
    """
    if not isinstance(text.array, ArrowExtensionArray):
        return True
    chunks = text.array.__arrow_array__()
    if not (pa.types.is_string(chunks.type) or pa.types.is_large_string(chunks.type)):
        return True
    wanted = [character.encode("ascii") for character in characters]
    for chunk in chunks.chunks:
        data = chunk.buffers()[2]
        # The whole buffer, even bytes outside a sliced chunk: at worst a needless True.
        if data is not None and any(byte in data.to_pybytes() for byte in wanted):
            return True
    return False


def spread_sample(values: pd.Series, size: int = SAMPLE_SIZE) -> pd.Series:
    """Up to ``size`` cells spread evenly over the whole column (first and last included)."""
    if len(values) <= size:
        return values
    return take_rows(values, np.unique(np.linspace(0, len(values) - 1, size).astype(int)))


def take_rows(values: pd.Series, positions: np.ndarray) -> pd.Series:
    """``values.iloc[positions]``, taken in Arrow when the column is Arrow-backed: pandas'
    ``iloc`` on an Arrow string column costs some five times the take itself."""
    if not isinstance(values.array, ArrowExtensionArray):
        return values.iloc[positions]
    return pd.Series(
        values.array.take(positions), index=values.index.take(positions), name=values.name, copy=False
    )


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
