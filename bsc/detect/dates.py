"""Reading dates written as text in many formats, or as Excel day numbers.

Only the formats in :data:`DATE_FORMATS` are tried, each on a whole sample at once
(:func:`date_formats`), and a column is then read with the formats found rather than guessed cell
by cell (:func:`parse_dates`), so a column may mix several formats. Day/month against month/day
is settled by the whole column, day first on a tie (:func:`day_month_ambiguous` tells when the
two orders give other dates). :func:`describe_date_format` writes a format as people do.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bsc.detect.values import clean_text, parse_numbers, spread_sample

__all__ = [
    "DATE_FORMATS",
    "date_formats",
    "day_month_ambiguous",
    "describe_date_format",
    "parse_dates",
]

# Formats looked for in one column, each on the cells the formats before it left unread.
_MAX_FORMATS_PER_COLUMN = 6

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


def _format_shapes() -> dict[str, str]:
    """For each format pandas reads with its regular expressions, that expression (RE2 syntax,
    anchored): a format none of a sample's cells fits cannot read any, and is not tried. The
    formats pandas reads by its ISO 8601 parser, and ISO 8601 itself, are always tried."""
    try:
        from pandas._libs.tslibs.strptime import _TimeRE_cache, format_is_iso
    except ImportError:  # another pandas: every format is tried
        return {}
    return {
        fmt: f"(?i)^(?:{_TimeRE_cache.pattern(fmt)})$"
        for fmt in DATE_FORMATS
        if fmt != "ISO8601" and not format_is_iso(fmt)
    }


_SHAPES = _format_shapes()
# Excel stores dates as days since 1899-12-30; 20000..80000 covers 1954..2119.
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_RANGE = (20000, 80000)


def date_formats(sample: pd.Series) -> list[tuple[str, float]]:
    """Formats that read some of ``sample``, best first, with the share each reads.

    Only :data:`DATE_FORMATS` are tried, each on the whole sample at once; a column's dates are
    then parsed with these formats rather than guessed cell by cell.
    """
    text = clean_text(sample).dropna()
    if text.empty or text.str.fullmatch(_DATE_SHAPE).mean() < 0.5:
        return []
    cells = pa.array(text.unique().astype(object), type=pa.string())
    found: list[tuple[str, float]] = []
    for fmt in DATE_FORMATS:
        shape = _SHAPES.get(fmt)
        if shape is not None and not pc.any(pc.match_substring_regex(cells, shape)).as_py():
            continue
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


def parse_dates(
    values: pd.Series, *, excel_serials: bool = False, sample_formats: list[tuple[str, float]] | None = None
) -> tuple[pd.Series, list[str]]:
    """Parse a column to naive ``datetime64[us]``; blanks and unreadable cells become NaT.

    The best format for a sample of the column (:func:`date_formats`) reads the column; formats
    are then detected again on a sample of the cells still unread, and so on, so a column may mix
    several formats. When day and month could be in either order (``03/04/2023``), both orders
    are tried on the whole column and the one reading more cells wins (day first on a tie).
    Numbers in the Excel serial range are read as days since 1899-12-30 when ``excel_serials`` is
    True, whether they fill the column or sit among written dates. Returns the dates and the formats used, in order.
    ``sample_formats``: what :func:`date_formats` gave on the spread sample of the column's filled
    cells, when the caller has it already (detection), so that it is not worked out twice.
    """
    if values.dtype.kind == "M":
        parsed = values.dt.tz_convert(None) if values.dt.tz is not None else values
        return parsed.astype("datetime64[us]"), ["native"]
    iso = _iso_dates(values)
    if iso is not None:
        return iso
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
        first = not used and sample_formats is not None
        formats = sample_formats if first else date_formats(spread_sample(remaining))
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
        if len(parsed) == len(dates) and hit.all():
            # Every cell read at once (the usual case): no assignment by label, which costs as
            # much as reading the dates on a long column.
            dates = pd.Series(parsed.to_numpy(), index=dates.index, dtype="datetime64[us]")
            remaining = remaining.iloc[:0]
        else:
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


# Clean ISO dates, the shape most exports write: the format each shape is read with below, and
# the shape (RE2, ASCII digits, anchored) every filled cell must have for the shortcut to apply.
_ISO_DAY = r"[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_ISO_CLOCK = r" ([01][0-9]|2[0-3]):[0-5][0-9]"
_ISO_SHAPES = {
    10: ("%Y-%m-%d", f"^{_ISO_DAY}$"),
    16: ("%Y-%m-%d %H:%M", f"^{_ISO_DAY}{_ISO_CLOCK}$"),
    19: ("%Y-%m-%d %H:%M:%S", f"^{_ISO_DAY}{_ISO_CLOCK}:[0-5][0-9]$"),
}


def _iso_dates(values: pd.Series) -> tuple[pd.Series, list[str]] | None:
    """What :func:`parse_dates` gives, read in Arrow, for a text column whose filled cells are
    all clean ISO dates of one shape (``2024-05-01``, ``2024-05-01 09:30`` or
    ``2024-05-01 09:30:15``: no spaces around them, years 1000 to 2999); None for any other
    column, which then takes the general path.

    Exact: on such a column the general path finds that one format on its sample (the first of
    :data:`DATE_FORMATS` to read every cell of that shape) and reads every cell with it, as
    Arrow's cast does here; a day that does not exist (2023-02-30) makes the cast fail, and the
    general path then reads the column and reports that cell.
    """
    cells = _arrow_text(values)
    if cells is None:
        return None
    distinct = pc.drop_null(pc.unique(cells))
    if len(distinct) == 0:
        return None
    shape = _ISO_SHAPES.get(len(distinct[0].as_py()))
    if shape is None or not pc.all(pc.match_substring_regex(distinct, shape[1])).as_py():
        return None
    try:
        read = pc.cast(cells, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    dates = pd.Series(read.to_numpy(zero_copy_only=False), index=values.index, dtype="datetime64[us]")
    return dates, [shape[0]]


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow text behind a pandas text column (as text files are read), else None."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        return None
    cells = values.array.__arrow_array__()
    return cells if pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type) else None
