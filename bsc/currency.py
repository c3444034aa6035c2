"""The currency of a workspace's money values: found in the data, checked when typed, written with amounts.

Amount cells often carry their currency ("€12.50", "12.50 EUR"), or the column's header does
(``amount_eur``, "Spend (£)"); :func:`detect_currency` reads it from there, and only from there:
when the data does not say, the currency is unknown (None), never guessed. :func:`money_text` is
the one place that writes an amount with its currency: "€12,346" for a currency with a sign of
its own, "12,346 CHF" for one without, and "12,346 ¤" when unknown (¤ is Unicode's sign for an
unnamed currency, explained wherever money is shown as "the data's currency, not set").
"""

from __future__ import annotations

import re

import pandas as pd

from bsc.detect.values import clean_text, spread_sample
from bsc.errors import InputError

__all__ = [
    "CURRENCY_SIGNS",
    "UNKNOWN_CURRENCY_SIGN",
    "currency_code",
    "currency_words",
    "detect_currency",
    "excel_money_format",
    "money_text",
]

# Currencies written with a sign before the amount; every other ISO 4217 code follows it.
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
_SIGN_CODES = {sign: code for code, sign in CURRENCY_SIGNS.items()}
UNKNOWN_CURRENCY_SIGN = "¤"
# Codes recognised in a column's header (amount_eur, "Revenue (USD)"): the common ones only, so
# that a header word such as "cad" in "cadence" or "try" in "country" is never read as one.
_HEADER_CODES = ("EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "CZK")
_HEADER_CODE = re.compile(r"(?:^|[^a-z])(" + "|".join(_HEADER_CODES) + r")(?:$|[^a-z])", re.IGNORECASE)
_HEADER_SIGN = re.compile("[" + re.escape("".join(_SIGN_CODES)) + "]")
# Signs and codes in amount cells, as bsc.detect.values.parse_numbers strips them.
_CELL_CURRENCY = re.compile(r"([$€£¥])|\b(EUR|USD|GBP|CHF)\b", re.IGNORECASE)
# Share of the filled cells that must name the same currency for the column to be in it.
_CELL_SHARE = 0.5


def currency_code(text: str | None) -> str | None:
    """A currency as its ISO 4217 code: "eur", " EUR " and "€" give "EUR"; blank gives None.

    Raises :class:`bsc.errors.InputError` for anything else than three letters or a known sign.
    """
    if text is None:
        return None
    cleaned = str(text).strip()
    if not cleaned:
        return None
    if cleaned in _SIGN_CODES:
        return _SIGN_CODES[cleaned]
    if not re.fullmatch(r"[A-Za-z]{3}", cleaned):
        raise InputError(
            f"“{cleaned}” is not a currency: type its three-letter code (EUR, USD, GBP, CHF...) "
            "or one of the signs € $ £ ¥, or leave it empty when unknown."
        )
    return cleaned.upper()


def detect_currency(values: pd.Series, header: str = "") -> str | None:
    """The currency an amount column is in, when its cells or its header say so; else None.

    The header wins when it names a currency (``amount_eur``, "Spend (£)"). Otherwise the cells
    decide: one currency named by at least half of the filled cells (of an even sample of up to
    2,000) is the column's; a column of bare numbers, or one mixing currencies, has none.
    """
    code = _HEADER_CODE.search(str(header))
    if code:
        return code.group(1).upper()
    sign = _HEADER_SIGN.search(str(header))
    if sign:
        return _SIGN_CODES[sign.group(0)]
    if values.dtype.kind in "biufcmM" or values.dtype == "boolean":
        return None
    cells = spread_sample(clean_text(values).dropna())
    if cells.empty:
        return None
    found = cells.str.extract(_CELL_CURRENCY)
    named = found[0].map(_SIGN_CODES).fillna(found[1].str.upper()).dropna()
    if named.nunique() != 1 or len(named) < _CELL_SHARE * len(cells):
        return None
    return str(named.iloc[0])


def money_text(number: str, currency: str | None) -> str:
    """A formatted amount with its currency: "€12,346", "-€12.5", "+€3", "12,346 CHF", "12,346 ¤".

    ``number`` is already written (:func:`bsc.kpis.format_number`); "—" (no value) stays "—".
    """
    if number == "—":
        return number
    sign = CURRENCY_SIGNS.get(currency or "")
    if sign is None:
        return f"{number} {currency or UNKNOWN_CURRENCY_SIGN}"
    if number[:1] in "+-":
        return f"{number[0]}{sign}{number[1:]}"
    return f"{sign}{number}"


def excel_money_format(number_format: str, currency: str | None) -> str:
    """An Excel number format written as :func:`money_text` writes amounts: ``"€"#,##0.00``,
    ``#,##0.00" CHF"``, ``#,##0.00" ¤"``."""
    sign = CURRENCY_SIGNS.get(currency or "")
    if sign is None:
        return f'{number_format}" {currency or UNKNOWN_CURRENCY_SIGN}"'
    return f'"{sign}"{number_format}'


def currency_words(currency: str | None) -> str:
    """The currency as said in an axis title or a caption: "EUR", or "the data's currency (not set)"."""
    return currency or f"{UNKNOWN_CURRENCY_SIGN}: the data's currency, not set"
