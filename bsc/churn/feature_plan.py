"""The feature plan: how every column is typed, and which ones the models may use, with reasons.

:func:`plan_features` types every column (numbers, including numbers stored as text with blank
cells; yes/no flags; categories, one-hot encoded; dates, turned into ages in days) and
excludes, each with its reason, identifiers, free text, empty and constant columns and leaks:
a column named after churn (a churn date or reason), or one that alone separates churners from
stayers almost perfectly (:func:`single_column_auc`: a status or score derived from the
label). Any column can be included or excluded by hand. The :class:`FeaturePlan` then turns a
table into model inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import TargetEncoder

from bsc.churn.evaluation import MIN_CLASS_FOR_CV
from bsc.detect import blank_mask, name_key, parse_dates, parse_flags, parse_numbers, profile_column
from bsc.errors import InputError

__all__ = [
    "BLANK_CATEGORY",
    "LEAK_AUC",
    "ColumnDecision",
    "FeaturePlan",
    "FeatureType",
    "plan_features",
    "single_column_auc",
]

FeatureType = Literal["number", "flag", "category", "date", "id", "text", "empty", "constant", "label"]
# A column that alone reaches this cross-validated AUC is treated as a restatement of the label.
LEAK_AUC = 0.95
BLANK_CATEGORY = "(blank)"
# Names of columns recorded when or because a customer left: leaks whatever their values.
_LEAK_NAME = re.compile(
    r"(churn|attrit|exited|\bexit|cancel|terminat|defect|\bleft\b|leave|leaving|closed|closure|"
    r"end_date|\bended\b|lost_reason|reason_for_leaving)"
)


@dataclass(frozen=True)
class ColumnDecision:
    """What the lab does with one column.

    Attributes
    ----------
    column : str
        The column's name.
    type : str
        number, flag, category, date (an age in days), id, text, empty, constant or label.
    used : bool
        Whether the models see it.
    reason : str
        How it is read when used; why it is left out otherwise.
    single_auc : float or None
        The cross-validated AUC of the column on its own (0.5 = no information, 1 = perfect);
        None where not measured.
    leak : bool
        True when it is left out as a leak.
    """

    column: str
    type: FeatureType
    used: bool
    reason: str
    single_auc: float | None = None
    leak: bool = False


@dataclass(frozen=True)
class FeaturePlan:
    """The typed columns the models use, and every column's decision.

    ``reference_date`` is the day dates are measured from (ages are ``reference - date`` in
    days). ``skewed`` numbers are put on a log scale by the logistic regression; ``groups``
    maps columns to the group they belong to (where their data comes from). Apply the plan to a table (the planned one, or new customers with the same columns) with
    :meth:`features`.
    """

    decisions: tuple[ColumnDecision, ...]
    reference_date: pd.Timestamp | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    skewed: frozenset[str] = frozenset()
    groups: Mapping[str, str] = field(default_factory=dict)

    @property
    def used(self) -> list[ColumnDecision]:
        return [d for d in self.decisions if d.used]

    @property
    def excluded(self) -> list[ColumnDecision]:
        return [d for d in self.decisions if not d.used]

    @property
    def numbers(self) -> list[str]:
        """Columns fed as numbers: numbers, flags (0/1) and dates (ages in days)."""
        return [d.column for d in self.used if d.type in ("number", "flag", "date")]

    @property
    def categories(self) -> list[str]:
        return [d.column for d in self.used if d.type == "category"]

    def label(self, column: str) -> str:
        """A readable name for a column: its given label, else the name with spaces."""
        return self.labels.get(column) or _readable(column)

    def decision(self, column: str) -> ColumnDecision:
        for decision in self.decisions:
            if decision.column == column:
                return decision
        raise KeyError(column)

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model inputs of ``frame``: used numbers as float64 (NaN where blank or unreadable),
        flags as 0/1, dates as days before :attr:`reference_date`, categories as text with
        blanks as ``"(blank)"``.

        Raises
        ------
        InputError
            When a used column is missing from ``frame``.
        """
        missing = [d.column for d in self.used if d.column not in frame.columns]
        if missing:
            raise InputError(f"The table lacks the column(s) the model uses: {', '.join(missing)}.")
        columns: dict[str, pd.Series] = {}
        for decision in self.used:
            columns[decision.column] = _typed(frame[decision.column], decision.type, self.reference_date)
        return pd.DataFrame(columns, index=frame.index)


def _typed(values: pd.Series, kind: FeatureType, reference: pd.Timestamp | None) -> pd.Series:
    if kind == "number":
        return parse_numbers(values).astype("float64")
    if kind == "flag":
        if values.dtype.kind in "biuf":
            return values.astype("float64")
        flags = parse_flags(values)
        if flags.notna().sum() == 0:
            # A single value and blanks: filled or not.
            return (~blank_mask(values)).astype("float64")
        return flags.astype("Float64").astype("float64")
    if kind == "date":
        dates = _as_dates(values)
        if reference is None:
            reference = dates.max()
        return ((reference - dates).dt.total_seconds() / 86400.0).astype("float64")
    text = values.astype("string").str.strip()
    text = text.mask(text == "", BLANK_CATEGORY).fillna(BLANK_CATEGORY)
    return text.astype(object)


def _as_dates(values: pd.Series) -> pd.Series:
    if values.dtype.kind == "M":
        return values.astype("datetime64[us]")
    return parse_dates(values)[0].astype("datetime64[us]")


def _readable(column: str) -> str:
    text = re.sub(r"[_\s]+", " ", str(column)).strip()
    return text[:1].upper() + text[1:] if text else str(column)


def plan_features(
    frame: pd.DataFrame,
    churned: pd.Series,
    *,
    label_columns: Iterable[str] = (),
    reference_date: pd.Timestamp | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    skewed: Iterable[str] | None = None,
    groups: Mapping[str, str] | None = None,
    leak_auc: float = LEAK_AUC,
    random_state: int = 0,
) -> FeaturePlan:
    """Type every column of ``frame`` and decide which ones the models may use.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer, raw or canonical cells.
    churned : pandas.Series
        The label, aligned with ``frame`` (no missing values).
    label_columns : iterable of str
        Columns that define or restate the label (the label column itself, other churn
        columns): left out as the label.
    reference_date : pandas.Timestamp, optional
        Dates become ages in days before this day; by default the latest date in the table.
    include, exclude : iterable of str
        Columns to use, or to leave out, whatever the checks say.
    labels : mapping, optional
        Readable names of columns.
    notes : mapping, optional
        Reasons to leave columns out, decided by the caller (e.g. "measured after churn").
        The column is left out as a leak unless included by hand.
    skewed : iterable of str, optional
        Numbers with a long right tail; by default the numbers that are never negative and
        have a sample skewness above 2.
    groups : mapping, optional
        Column -> group name, kept in the plan.
    leak_auc : float
        A column reaching this cross-validated AUC on its own is a leak (default 0.95).

    Returns
    -------
    FeaturePlan

    Notes
    -----
    Typing, per column (see :func:`bsc.detect.profile_column`): empty; constant (one value
    for everyone); yes/no flags (0/1); dates (age in days); identifiers (a different code or
    number for nearly every customer, or an id-like name with unique whole numbers); numbers,
    also when stored as text with blanks, thousands separators or currency signs; categories
    (one-hot; up to :data:`MAX_LEVELS` levels kept, the rarest grouped); free text (mostly
    different values with spaces) is left out.

    Leaks: a column whose name ties it to churn (churn, cancel, exit, termination, closed,
    end date...) and any column that alone reaches ``leak_auc`` (see :func:`single_column_auc`).
    """
    if len(frame) != len(churned):
        raise InputError("The label and the table have different numbers of rows.")
    y = np.asarray(churned, dtype=bool)
    include, exclude = set(include), set(exclude)
    label_columns = set(label_columns)
    notes = dict(notes or {})
    date_columns = [c for c in frame.columns if frame[c].dtype.kind == "M"]
    decisions: list[ColumnDecision] = []
    typed: dict[str, tuple[FeatureType, str]] = {}
    for position, column in enumerate(frame.columns):
        name = str(column)
        if name in label_columns:
            decisions.append(ColumnDecision(name, "label", False, "the churn label, or another record of it"))
            continue
        kind, how = _column_type(frame, position)
        typed[name] = (kind, how)
        if kind == "date":
            date_columns.append(name)
    if reference_date is None and date_columns:
        latest = [_as_dates(frame[c]).max() for c in dict.fromkeys(date_columns)]
        latest = [d for d in latest if pd.notna(d)]
        reference_date = max(latest) if latest else None
    reference = pd.Timestamp(reference_date) if reference_date is not None else None

    for name, (kind, how) in typed.items():
        usable = kind in ("number", "flag", "category", "date")
        single = None
        leak_reason = None
        if usable:
            values = _typed(frame[name], kind, reference)
            single = single_column_auc(values, y, random_state=random_state)
            if name in notes:
                leak_reason = notes[name]
            elif _LEAK_NAME.search(name_key(name).replace("_", " ")):
                leak_reason = (
                    "its name ties it to churn: it is probably recorded when or because a customer leaves"
                )
            elif single is not None and single >= leak_auc:
                leak_reason = (
                    f"on its own it separates churners from stayers almost perfectly (AUC {single:.2f}): "
                    "it probably restates the label"
                )
        if name in exclude:
            decisions.append(ColumnDecision(name, kind, False, "left out by you", single, False))
        elif name in include and kind != "empty":
            note = f"{how}; included by you" + (f" (flagged: {leak_reason})" if leak_reason else "")
            decisions.append(ColumnDecision(name, kind, True, note, single, False))
        elif leak_reason:
            decisions.append(ColumnDecision(name, kind, False, f"leak: {leak_reason}", single, True))
        else:
            decisions.append(ColumnDecision(name, kind, usable, how, single, False))
    if skewed is None:
        skewed = [
            d.column
            for d in decisions
            if d.type == "number" and _long_tailed(_typed(frame[d.column], "number", None))
        ]
    return FeaturePlan(tuple(decisions), reference, dict(labels or {}), frozenset(skewed), dict(groups or {}))


def _long_tailed(values: pd.Series) -> bool:
    """Never negative, with a sample skewness above 2 (money, counts, waiting times)."""
    values = values.dropna()
    return len(values) > 2 and values.min() >= 0 and float(values.skew()) > 2


def _column_type(frame: pd.DataFrame, position: int) -> tuple[FeatureType, str]:
    """The feature type of one column and how it is read (or why it cannot be used)."""
    values = frame.iloc[:, position]
    blanks = int(blank_mask(values).sum())
    blank_note = f", {blanks:,} blank" if blanks else ""
    if values.dtype == "boolean" or values.dtype.kind == "b":
        return ("flag", f"yes/no{blank_note}") if values.nunique() > 1 else ("constant", _CONSTANT)
    if values.dtype.kind == "M":
        return (
            ("date", f"date, as age in days{blank_note}") if values.nunique() > 1 else ("constant", _CONSTANT)
        )
    profile = profile_column(frame, position)
    kind = profile.value_type
    if kind == "empty":
        return "empty", "every cell is blank"
    if profile.distinct == 1:
        if blanks and not profile.id_named:
            return "flag", f"filled or blank ({blanks:,} blank)"
        return "constant", _CONSTANT
    if kind == "flag":
        return "flag", f"yes/no{blank_note}"
    if kind == "date":
        return "date", f"date, as age in days{blank_note}"
    if kind == "number":
        whole_unique = profile.integer_share == 1 and profile.unique_ratio >= 0.95
        if whole_unique and (profile.id_named or _is_row_counter(values)):
            return "id", "identifier: a different number for every customer"
        text_note = " stored as text" if values.dtype.kind not in "biuf" else ""
        return "number", f"number{text_note}{blank_note}"
    if kind == "id":
        if profile.unique_ratio < 0.5:
            return "category", f"category ({profile.distinct:,} values, the rarest grouped){blank_note}"
        return "id", "identifier: a different code for nearly every customer"
    if kind == "category":
        return "category", f"category ({profile.distinct:,} values){blank_note}"
    if profile.unique_ratio <= 0.5:
        return "category", f"category ({profile.distinct:,} values, the rarest grouped){blank_note}"
    return "text", f"free text: {profile.distinct:,} different values"


_CONSTANT = "the same value for every customer"


def _is_row_counter(values: pd.Series) -> bool:
    numbers = parse_numbers(values).dropna()
    if len(numbers) < 3:
        return False
    steps = np.diff(numbers.to_numpy())
    return bool((steps == 1).mean() >= 0.99)


def single_column_auc(
    values: pd.Series, churned: np.ndarray | pd.Series, *, folds: int = 5, random_state: int = 0
) -> float | None:
    """How well one column alone separates churners from stayers, as an AUC from 0.5 to 1.

    Numbers (and ages, flags): the rank AUC of the values, with blanks placed below or above
    every value (whichever separates better), taken in the better direction:
    :math:`\\max(A, 1 - A)`. A column filled only for churners therefore scores 1.
    Categories: each customer gets their level's churn rate measured on the other folds
    (out-of-fold target encoding, so rare levels cannot memorise the label), then the rank AUC.

    Returns None when there are fewer than 5 churners or stayers.
    """
    y = np.asarray(churned, dtype=bool)
    positives = int(y.sum())
    if min(positives, len(y) - positives) < MIN_CLASS_FOR_CV:
        return None
    if values.dtype == object or values.dtype == "string":
        splitter = StratifiedKFold(
            n_splits=min(folds, positives, len(y) - positives), shuffle=True, random_state=random_state
        )
        # Out-of-fold rates: fit_transform encodes each fold by the other folds only. Small
        # levels are shrunk towards the overall rate by 10 pseudo-customers.
        encoder = TargetEncoder(target_type="binary", smooth=10.0, cv=splitter)
        score = encoder.fit_transform(values.astype(str).to_numpy().reshape(-1, 1), y)[:, 0]
        auc = roc_auc_score(y, score)
        return round(max(auc, 1 - auc), 4)
    numbers = np.asarray(values, dtype="float64")
    missing = np.isnan(numbers)
    if missing.all():
        return None
    low, high = np.nanmin(numbers), np.nanmax(numbers)
    best = 0.5
    for fill in (low - 1.0, high + 1.0):
        auc = roc_auc_score(y, np.where(missing, fill, numbers))
        best = max(best, auc, 1 - auc)
    return round(float(best), 4)
