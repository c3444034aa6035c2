"""Reading the values people type into a target table or a targets file.

A cell may hold a number, text as typed ("45", "45%", "32,5", "1,234.5"), a date or nothing.
A comma alone is a decimal comma ("32,5"); beside a point it separates thousands ("1,234.5"). Each
reader here raises :class:`bsc.errors.InputError` naming the field (``what``) for a value it
cannot use. The names starting with ``_`` are shared inside :mod:`bsc.targets` only.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd

from bsc.errors import InputError
from bsc.kpis import KPIS
from bsc.targets.model import DEFAULT_AMBER, DEFAULT_GREEN

__all__: list[str] = []


def _number(value: object, what: str, *, allow_percent: bool = False) -> tuple[float, bool | None]:
    """A finite number from a cell, and whether text was written with a trailing "%".

    The flag is None for a cell that holds a number rather than text.
    """
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number, not “{value}”.")
    if isinstance(value, int | float | np.integer | np.floating):
        number, percent = float(value), None
    else:
        text = "" if value is None else str(value).strip().replace("\u2212", "-").replace(" ", "")
        percent = text.endswith("%")
        if percent:
            if not allow_percent:
                raise InputError(f"{what} must be a plain number, not “{value}”.")
            text = text[:-1]
        if "," in text and "." in text:
            text = text.replace(",", "")
        elif "," in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            shown = str(value).strip() or "(empty)"
            raise InputError(f"{what} must be a number, not “{shown}”.") from None
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, not “{value}”.")
    return number, percent


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


def _author(author: object) -> str:
    name = _text(author, "Your name", limit=200)
    if not name:
        raise InputError("Give your name first (in the sidebar): the audit log records who changed what.")
    return name


def _check_goal(kpi: str, value: float, what: str) -> None:
    KPIS[kpi].check_limits(value, what)


def _bands(green: object, amber: object, band_mode: object = None) -> tuple[str, float, float]:
    """Band mode and tolerances from cells; a trailing "%" means relative to the target."""
    green_value, green_percent = (
        (DEFAULT_GREEN, None) if _blank(green) else _number(green, "Green", allow_percent=True)
    )
    amber_value, amber_percent = (
        (DEFAULT_AMBER, None) if _blank(amber) else _number(amber, "Amber", allow_percent=True)
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


def _weight(value: object) -> float:
    if _blank(value):
        return 1.0
    weight, _ = _number(value, "Weight")
    if weight < 0:
        raise InputError(f"A weight cannot be negative ({weight:g}).")
    return weight
