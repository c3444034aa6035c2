"""Reading the values people type into a target table or a targets file.

A cell may hold a number, text as typed ("45", "45%", "32,5", "1,234.5"), a date or nothing.
Numbers go through :func:`bsc.detect.parse_numbers`, the same reader the data files use; a comma
alone is a decimal comma ("32,5") and beside a point it separates thousands ("1,234.5"). Each
reader here raises :class:`bsc.errors.InputError` naming the field (``what``) for a value it
cannot use. The names starting with ``_`` are shared inside :mod:`bsc.targets` only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd

from bsc.detect import parse_numbers
from bsc.errors import InputError
from bsc.kpis import KPIS
from bsc.targets.model import DEFAULT_AMBER, DEFAULT_GREEN

__all__ = ["checked_author"]


def _number(
    value: object, what: str, *, allow_percent: bool = False, known: Mapping[str, float] | None = None
) -> tuple[float, bool | None]:
    """A finite number from a cell, and whether text was written with a trailing "%".

    The flag is None for a cell that holds a number rather than text. ``known`` holds texts
    already read by :func:`_read_number_cells` (a whole file at once).
    """
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number, not “{value}”.")
    if isinstance(value, int | float | np.integer | np.floating):
        number, percent = float(value), None
    else:
        text = _number_text(value)
        percent = text.endswith("%")
        if percent:
            if not allow_percent:
                raise InputError(f"{what} must be a plain number, not “{value}”.")
            text = text[:-1]
        number = known[text] if known is not None and text in known else _read_numbers([text])[text]
        if math.isnan(number):
            raise InputError(_unreadable(value, text, what))
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, not “{value}”.")
    return number, percent


def _number_text(value: object) -> str:
    return "" if value is None else str(value).strip().replace("\u2212", "-").replace(" ", "")


def _read_numbers(texts: Iterable[str]) -> dict[str, float]:
    """Each text read as a number (NaN when unreadable), one :func:`parse_numbers` call per
    decimal mark."""
    unique = list(dict.fromkeys(texts))
    read: dict[str, float] = {}
    for decimal_comma in (False, True):
        group = [text for text in unique if ("," in text and "." not in text) == decimal_comma]
        if group:
            numbers = parse_numbers(pd.Series(group, dtype="string"), decimal_comma=decimal_comma)
            read.update(zip(group, numbers.tolist(), strict=True))
    return read


def _read_number_cells(cells: Iterable[object]) -> dict[str, float]:
    """The text cells of a file's number columns read at once, for :func:`_number`'s ``known``:
    one parse for the whole file rather than one per cell."""
    return _read_numbers(_number_text(cell).removesuffix("%") for cell in cells if isinstance(cell, str))


def _unreadable(value: object, text: str, what: str) -> str:
    try:
        finite = math.isfinite(float(text))
    except ValueError:
        finite = True
    if not finite:  # "inf", "1e400", "nan": numbers, but no goal or tolerance is infinite
        return f"{what} must be a finite number, not “{value}”."
    shown = str(value).strip() or "(empty)"
    return f"{what} must be a number, not “{shown}”."


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return bool(value is pd.NA or (isinstance(value, str) and not value.strip()))


def _kpi_id(value: object) -> str:
    """A KPI id from an id or a name ("nps", "NPS", "Net Promoter Score")."""
    text = "" if _blank(value) else str(value).strip()
    key = text.lower().replace(" ", "_")
    if key in KPIS:
        return key
    by_name = {definition.name.lower(): kpi for kpi, definition in KPIS.items()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    raise InputError(f"“{text or '(empty)'}” is not a KPI; use one of: {', '.join(KPIS)}.")


def _segment(value: object) -> tuple[str | None, str | None]:
    """("region", "North") from "region=North" or "region: North"; (None, None) when blank."""
    if _blank(value):
        return None, None
    text = str(value).strip()
    if text.lower() in ("all", "all customers"):
        return None, None
    for separator in ("=", ":"):
        if separator in text:
            attribute, _, level = text.partition(separator)
            attribute, level = attribute.strip(), level.strip()
            if attribute and level:
                return attribute, level
    raise InputError(
        f"Segment “{text}” needs its attribute: write it as attribute=value, e.g. region=North "
        "(leave it empty for all customers)."
    )


def _date(value: object, what: str) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return pd.Timestamp(value).date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value).strip()[:10], "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"{what} must be a date such as 2026-12-31, not “{value}”.") from None


def _text(value: object, what: str, *, required: bool = False, limit: int = 200) -> str:
    text = "" if _blank(value) else " ".join(str(value).split())
    if required and not text:
        raise InputError(f"{what} cannot be empty.")
    if len(text) > limit:
        raise InputError(f"{what} is too long ({limit} characters at most).")
    return text


def checked_author(author: object) -> str:
    """The name a write is logged under; refused when blank (the audit log records who changed what)."""
    name = _text(author, "Your name", limit=200)
    if not name:
        raise InputError("Give your name first (in the sidebar): the audit log records who changed what.")
    return name


def _check_goal(kpi: str, value: float, what: str) -> None:
    KPIS[kpi].check_limits(value, what)


def _bands(
    green: object, amber: object, band_mode: object = None, *, known: Mapping[str, float] | None = None
) -> tuple[str, float, float]:
    """Band mode and tolerances from cells; a trailing "%" means relative to the target."""
    green_value, green_percent = (
        (DEFAULT_GREEN, None) if _blank(green) else _number(green, "Green", allow_percent=True, known=known)
    )
    amber_value, amber_percent = (
        (DEFAULT_AMBER, None) if _blank(amber) else _number(amber, "Amber", allow_percent=True, known=known)
    )
    marks = {mark for mark in (green_percent, amber_percent) if mark is not None}
    if band_mode is not None and not _blank(band_mode):
        mode = str(band_mode).strip().lower()
        if mode not in ("absolute", "relative"):
            raise InputError(f"Bands must be “absolute” or “relative”, not “{band_mode}”.")
    elif len(marks) == 2:
        raise InputError(
            "Write green and amber the same way: both with % (relative to the target) or both without."
        )
    elif marks == {False}:
        mode = "absolute"
    else:
        mode = "relative"
    if green_value < 0 or amber_value < 0:
        raise InputError("Green and amber tolerances cannot be negative.")
    if amber_value < green_value:
        raise InputError(
            f"The amber tolerance ({amber_value:g}) must be at least the green one ({green_value:g})."
        )
    return mode, green_value, amber_value


def _weight(value: object, *, known: Mapping[str, float] | None = None) -> float:
    if _blank(value):
        return 1.0
    weight, _ = _number(value, "Weight", known=known)
    if weight < 0:
        raise InputError(f"A weight cannot be negative ({weight:g}).")
    return weight
