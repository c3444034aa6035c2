"""The churn lab: who is likely to leave, why, what it is worth to call them, and how many will leave.

The lab works on one row per customer: a label (churned or not) and the columns that may
explain it. It runs in five steps, each a public function.

1. **The label.** Either a churn column of the table (:func:`find_label_columns` recognises
   Yes/No, 1/0, True/False, Churned/Stayed, Exited, Attrited Customer/Existing Customer, and
   churn dates; :func:`churn_labels` reads one), or, from dated data, churn in the ``horizon``
   days after a cutoff date (:func:`cutoff_labels`): from churn dates, or, for a transaction
   log, no order in the ``horizon`` days after the cutoff. Features are then computed strictly
   from data before the cutoff.
2. **The features.** :func:`plan_features` types every column (numbers, including numbers
   stored as text with blank cells; yes/no flags; categories, one-hot encoded; dates, turned
   into ages in days) and excludes, each with its reason, identifiers, free text, empty and
   constant columns and leaks: a column named after churn (a churn date or reason), or one that
   alone separates churners from stayers almost perfectly (a status or score derived from the
   label). Any column can be included or excluded by hand.
3. **Models and honest evaluation.** :class:`ChurnModel` cross-validates a logistic regression
   (on scaled numbers) and a histogram gradient boosting model on the same stratified folds,
   reports ROC AUC, PR AUC and the Brier score with their spread over folds, picks the better
   by cross-validated AUC, and measures permutation importance on held-out customers.
   :func:`analyse_churn` runs steps 2 and 3 and adds the guards (too few customers or
   churners, no usable signal). It computes every time: the app keeps the analyses it shows,
   keyed by :meth:`ChurnData.fingerprint` and the parameters.
4. **Decisions.** :func:`plan_contacts` turns probabilities, an offer cost, the share of
   contacted churners who are saved and the customer value into the expected net value of
   contacting the riskiest customers; :func:`at_risk_customers` lists them with the reasons
   that raise each one's risk.
5. **The scorecard.** :func:`predicted_churn_by_segment` predicts the churn rate of the next
   period per segment, to stand beside the churn KPI; :func:`forecast_data` and
   :func:`predicted_churn` are its two halves, for a caller that keeps the analysis between.

Class imbalance
---------------
When churners (or stayers) are less than :data:`BALANCE_BELOW` of the customers, both models
weigh the classes equally (``class_weight="balanced"``), which helps the rarer class shape the
model. Weighting shifts the predicted odds by the weight ratio, so probabilities are put back
on the real scale with the prior correction of King and Zeng [1]_:

.. math::

    \\operatorname{logit} p = \\operatorname{logit} p_w + \\log \\frac{\\pi}{1 - \\pi}

where :math:`p_w` is the weighted model's probability and :math:`\\pi` the churners' share.

References
----------
.. [1] G. King and L. Zeng, "Logistic regression in rare events data", Political Analysis 9 (2),
   137–163, 2001.
.. [2] J. A. Hanley and B. J. McNeil, "The meaning and use of the area under a receiver
   operating characteristic (ROC) curve", Radiology 143 (1), 29–36, 1982.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.special import expit, logit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
    TargetEncoder,
)
from threadpoolctl import threadpool_limits

from bsc.cache_keys import cache_key
from bsc.detect import (
    blank_mask,
    name_key,
    parse_dates,
    parse_flags,
    parse_numbers,
    profile_column,
)
from bsc.errors import InputError
from bsc.periods import TYPICAL_DAYS, next_period

__all__ = [
    "BALANCE_BELOW",
    "DEFAULT_HORIZON_DAYS",
    "LABEL_SOURCES",
    "LEAK_AUC",
    "MIN_CLASS_FOR_CV",
    "MODEL_LABELS",
    "SMALL_SAMPLE",
    "ChurnAnalysis",
    "ChurnData",
    "ChurnModel",
    "ColumnDecision",
    "ContactPlan",
    "FeaturePlan",
    "LabelCandidate",
    "LabelDefinition",
    "ModelScores",
    "analyse_churn",
    "at_risk_customers",
    "auc_standard_error",
    "build_pipeline",
    "calibration_points",
    "churn_data_from_files",
    "churn_data_from_table",
    "churn_data_from_workspace",
    "churn_labels",
    "cutoff_labels",
    "data_end",
    "find_label_columns",
    "forecast_data",
    "gains_points",
    "label_sources",
    "plan_contacts",
    "plan_features",
    "predicted_churn",
    "predicted_churn_by_segment",
    "prior_corrected",
    "roc_points",
    "scored_customers",
    "single_column_auc",
    "typical_customer_value",
]

ModelName = Literal["logreg", "gbm"]
ModelChoice = Literal["auto", "logreg", "gbm"]
FeatureType = Literal["number", "flag", "category", "date", "id", "text", "empty", "constant", "label"]
LabelSource = Literal["column", "churn_date", "inactivity"]
Progress = Callable[[float, str], None]

MODEL_LABELS: dict[str, str] = {"logreg": "Logistic regression", "gbm": "Gradient boosting"}
# A column that alone reaches this cross-validated AUC is treated as a restatement of the label.
LEAK_AUC = 0.95
# Fewer customers, churners or stayers than this: results are shown as rough ranges.
SMALL_SAMPLE = 50
# Fewer churners or stayers than this: no model can be tested at all.
MIN_CLASS_FOR_CV = 5
# Below this share of the rarer class, both classes are weighed equally.
BALANCE_BELOW = 0.40
# A model whose cross-validated AUC is below this has no usable signal, however significant.
USEFUL_AUC = 0.55
# Categories with more levels keep the most common ones and group the rest as "other".
MAX_LEVELS = 30
IMPORTANCE_ROWS = 4000
BLANK_CATEGORY = "(blank)"

# --------------------------------------------------------------------------------------------
# The label
# --------------------------------------------------------------------------------------------

# Name words that say a column records churn (strong) or may (weak).
_CHURN_NAME = re.compile(r"(churn|attrit|exited|\bexit\b|cancel|terminat|defect|\bleft\b|\blost\b)")
_STATUS_NAME = re.compile(r"(status|\bstate\b|target|label|\bclass\b|outcome|retained|\bactive\b|stayed)")
# Names whose "yes" means the customer stayed.
_STAYED_NAME = re.compile(r"(retained|\bactive\b|stayed|is_active|still_customer)")
# Values that only a churn column holds.
_CHURN_VALUES = frozenset({"churned", "churn", "exited", "left", "lost", "cancelled", "canceled", "attrited",
                           "attrited customer", "stayed", "retained", "existing customer", "not churned"})  # fmt: skip
# Names of columns recorded when or because a customer left: leaks whatever their values.
_LEAK_NAME = re.compile(
    r"(churn|attrit|exited|\bexit|cancel|terminat|defect|\bleft\b|leave|leaving|closed|closure|"
    r"end_date|\bended\b|lost_reason|reason_for_leaving)"
)


@dataclass(frozen=True)
class LabelCandidate:
    """A column that can serve as the churn label.

    Attributes
    ----------
    column : str
        The column's name.
    kind : {"flag", "date"}
        A yes/no style column, or a date filled for churned customers only.
    churned, known : int
        Customers the column marks as churned, and customers it says anything about.
    description : str
        How the column is read, e.g. ``"Yes / No: Yes = churned"``.
    """

    column: str
    kind: Literal["flag", "date"]
    churned: int
    known: int
    description: str


def churn_labels(values: pd.Series, kind: Literal["flag", "date"] = "flag") -> pd.Series:
    """Read a churn column as a nullable boolean series: True churned, False stayed, NA unknown.

    ``kind="flag"``: yes/no style words and numbers (Yes/No, Y/N, 1/0, True/False,
    Churned/Stayed, Exited, Attrited Customer/Existing Customer, Cancelled/Active...); other
    words are unknown. A column whose name says "stayed" (``retained``, ``active``, ``stayed``)
    is read the other way round: its "yes" means the customer stayed.
    ``kind="date"``: churned where a date is filled, stayed where the cell is blank.
    """
    if kind == "date":
        return (~blank_mask(values)).astype("boolean")
    flags = parse_flags(values)
    if _STAYED_NAME.search(name_key(str(values.name or ""))):
        # Words such as "stayed"/"churned" say it themselves; only plain yes/no flip.
        words = values.astype("string").str.strip().str.lower()
        plain = ~words.isin(_CHURN_VALUES)
        flags = flags.mask(plain & flags.notna(), ~flags)
    return flags


def find_label_columns(frame: pd.DataFrame) -> list[LabelCandidate]:
    """Columns that can serve as the churn label, the most likely first.

    A column qualifies when its name says churn (churn, attrition, exited, cancelled, left,
    lost...) or status (status, target, label, class, retained, active), or when its values hold
    churn words (Churned, Stayed, Exited, Attrited Customer...), and it reads as yes/no for at
    least half of its filled cells with both answers present. A date column qualifies when its
    name says churn (``churn_date``, ``cancelled_on``...) and it is blank for some customers.
    Ordered: churn names before status names before value-only matches; flags before dates.
    """
    ranked: list[tuple[int, int, LabelCandidate]] = []
    for position, column in enumerate(frame.columns):
        values = frame[column]
        key = name_key(str(column))
        churn_named = bool(_CHURN_NAME.search(key.replace("_", " ")))
        status_named = bool(_STATUS_NAME.search(key.replace("_", " ")))
        filled = ~blank_mask(values)
        if not filled.any():
            continue
        words = values[filled].astype("string").str.strip().str.lower()
        churn_words = bool(words.isin(_CHURN_VALUES).any())
        if not (churn_named or status_named or churn_words):
            continue
        flags = churn_labels(values.rename(column), "flag")
        read = int(flags.notna().sum())
        if read >= 0.5 * int(filled.sum()) and flags.any() and (~flags.fillna(True)).any():
            churned = int(flags.sum())
            rank = 0 if churn_named else 1 if status_named else 2
            ranked.append((rank, position, _flag_candidate(str(column), values, flags, churned, read)))
            continue
        if churn_named and values.dtype.kind != "b" and profile_column(frame, position).value_type == "date":
            churned = int(filled.sum())
            if churned < len(values):
                description = "a date: filled = churned, blank = stayed"
                ranked.append(
                    (3, position, LabelCandidate(str(column), "date", churned, len(values), description))
                )
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [candidate for _, _, candidate in ranked]


def _flag_candidate(
    column: str, values: pd.Series, flags: pd.Series, churned: int, known: int
) -> LabelCandidate:
    shown = values.astype("string").str.strip()
    yes = shown[flags.fillna(False).astype(bool)].mode()
    no = shown[(~flags.fillna(True)).astype(bool)].mode()
    yes_word = str(yes.iloc[0]) if len(yes) else "yes"
    no_word = str(no.iloc[0]) if len(no) else "no"
    return LabelCandidate(column, "flag", churned, known, f"{yes_word} / {no_word}: {yes_word} = churned")


@dataclass(frozen=True)
class LabelDefinition:
    """How churn is defined for the lab, as shown to the user.

    Attributes
    ----------
    source : {"column", "churn_date", "inactivity"}
        A churn column as it is today; churn dates after a cutoff; or no order after a cutoff.
    column : str or None
        The label column (``source="column"``).
    cutoff : pandas.Timestamp or None
        Features use data strictly before this day; the label looks at the ``horizon_days``
        days from it.
    horizon_days : int or None
        Length of the window after the cutoff.
    text : str
        The definition in words.
    """

    source: LabelSource
    column: str | None = None
    cutoff: pd.Timestamp | None = None
    horizon_days: int | None = None
    text: str = ""

    @property
    def dated(self) -> bool:
        """True when the label looks at a window after a cutoff (so the next period can be predicted)."""
        return self.cutoff is not None


def cutoff_labels(
    transactions: pd.DataFrame,
    cutoff: pd.Timestamp | str,
    horizon_days: int,
    *,
    churn_dates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Churn labels of the customers active at a cutoff date.

    Without ``churn_dates`` (a transaction log): a customer is active at the cutoff when they
    ordered in the ``horizon_days`` days before it (``cutoff - horizon <= date < cutoff``), and
    churned when they place no order in the ``horizon_days`` days from it
    (``cutoff <= date < cutoff + horizon``).

    With ``churn_dates`` (columns ``customer_id``, ``churn_date`` and optionally
    ``signup_date``): a customer is active at the cutoff when they signed up before it (or have
    no signup date) and have no churn date before it; churned when their churn date falls in
    ``cutoff <= churn_date < cutoff + horizon``. ``transactions`` is then not used and may be
    empty.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Columns ``customer_id`` and ``date``.
    cutoff : pandas.Timestamp or str
        The first day after the feature window.
    horizon_days : int
        Days in the window before (activity) and after (churn) the cutoff; at least 1.
    churn_dates : pandas.DataFrame, optional
        The customers table with churn dates.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (string) and ``churned`` (bool), one row per active customer, sorted
        by id.

    Raises
    ------
    InputError
        When ``horizon_days`` is below 1 or the needed columns are missing.
    """
    if not isinstance(horizon_days, int | np.integer) or horizon_days < 1:
        raise InputError(f"The churn window must be a whole number of days ≥ 1, not {horizon_days}.")
    cutoff = pd.Timestamp(cutoff).normalize()
    window_end = cutoff + pd.Timedelta(days=int(horizon_days))
    if churn_dates is not None:
        _require(churn_dates, ("customer_id", "churn_date"), "customers table")
        customers = churn_dates
        churn_date = pd.to_datetime(customers["churn_date"])
        active = churn_date.isna() | (churn_date >= cutoff)
        if "signup_date" in customers.columns:
            signup = pd.to_datetime(customers["signup_date"])
            active &= signup.isna() | (signup < cutoff)
        churned = (churn_date >= cutoff) & (churn_date < window_end)
        frame = pd.DataFrame(
            {"customer_id": customers["customer_id"].astype("string"), "churned": churned.fillna(False)}
        )[active.to_numpy()]
    else:
        _require(transactions, ("customer_id", "date"), "transaction log")
        dates = pd.to_datetime(transactions["date"])
        ids = transactions["customer_id"].astype("string")
        before = (dates >= cutoff - pd.Timedelta(days=int(horizon_days))) & (dates < cutoff)
        after = (dates >= cutoff) & (dates < window_end)
        active_ids = pd.Index(ids[before & ids.notna()].unique())
        returning = set(ids[after & ids.notna()].unique())
        frame = pd.DataFrame({"customer_id": active_ids.astype("string")})
        frame["churned"] = ~frame["customer_id"].isin(returning)
    frame = frame.drop_duplicates("customer_id").sort_values("customer_id", ignore_index=True)
    frame["churned"] = frame["churned"].astype(bool)
    return frame


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(f"The {what} needs the column(s) {', '.join(missing)} to define churn.")


# --------------------------------------------------------------------------------------------
# Features: typing, identifiers and leaks
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def build_pipeline(
    model: ModelName,
    numbers: Sequence[str],
    categories: Sequence[str],
    *,
    skewed: Iterable[str] = (),
    class_weight: str | None = None,
    rows: int = 0,
    random_state: int = 0,
) -> Pipeline:
    """The scikit-learn pipeline of one model over typed features (see :meth:`FeaturePlan.features`).

    ``"logreg"``: numbers get their median where blank plus a "was blank" indicator, then are
    scaled to mean 0 and standard deviation 1; ``skewed`` numbers (money, counts, waiting times)
    are first put on a log scale, :math:`\\operatorname{sign}(x) \\log(1 + |x|)`, so that a few
    very large values do not dominate; categories are one-hot encoded (levels rarer than 1 % or
    beyond :data:`MAX_LEVELS` grouped as "other"); L2-regularised logistic regression (C = 1).
    ``"gbm"``: numbers as they are (blanks handled natively), categories ordinal-encoded and
    declared categorical; histogram gradient boosting with early stopping on a tenth of the
    training rows when there are 2,000 rows or more.
    """
    skewed = [c for c in numbers if c in set(skewed)]
    plain = [c for c in numbers if c not in set(skewed)]
    transformers: list[tuple] = []
    if model == "logreg":

        def numeric(log: bool) -> Pipeline:
            steps = [
                ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                ("scale", StandardScaler()),
            ]
            if log:
                steps.insert(0, ("log", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")))
            return Pipeline(steps)

        if plain:
            transformers.append(("number", numeric(False), plain))
        if skewed:
            transformers.append(("skewed", numeric(True), skewed))
        if categories:
            encoder = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=0.01,
                max_categories=MAX_LEVELS,
                sparse_output=False,
            )
            transformers.append(("category", encoder, list(categories)))
        estimator = LogisticRegression(C=1.0, max_iter=2000, class_weight=class_weight)
    elif model == "gbm":
        if numbers:
            transformers.append(("number", "passthrough", list(numbers)))
        if categories:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=MAX_LEVELS
            )
            transformers.append(("category", encoder, list(categories)))
        early = rows >= 2000
        estimator = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=200 if early else 100,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=early,
            validation_fraction=0.1,
            n_iter_no_change=10,
            categorical_features=[False] * len(numbers) + [True] * len(categories),
            class_weight=class_weight,
            random_state=random_state,
        )
    else:
        raise InputError(f"Unknown model {model!r}; choose logreg, gbm or auto.")
    prepare = ColumnTransformer(transformers, verbose_feature_names_out=False)
    return Pipeline([("prepare", prepare), ("model", estimator)])


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """:math:`\\operatorname{sign}(x) \\log(1 + |x|)`: a log scale that keeps zero and negatives."""
    values = np.asarray(values, dtype="float64")
    return np.sign(values) * np.log1p(np.abs(values))


@dataclass(frozen=True)
class ModelScores:
    """Cross-validated scores of one model: the mean over folds and the standard deviation.

    ``roc_auc``: area under the ROC curve (0.5 = chance, 1 = perfect ranking).
    ``pr_auc``: average precision (chance = the churners' share).
    ``brier``: mean squared error of the probabilities (0 = perfect; the churners' share
    × (1 − share) for always predicting that share).
    """

    model: ModelName
    roc_auc: float
    roc_auc_std: float
    pr_auc: float
    pr_auc_std: float
    brier: float
    brier_std: float
    fold_roc_auc: tuple[float, ...]


class ChurnModel:
    """Cross-validated churn models on typed features, following scikit-learn's conventions.

    Parameters
    ----------
    model : {"auto", "logreg", "gbm"}
        Which model to fit on all customers after cross-validation; ``"auto"`` picks the one
        with the higher mean cross-validated ROC AUC. Both are always cross-validated.
    numbers, categories : sequence of str
        Columns of ``X`` fed as numbers and as categories.
    skewed : sequence of str
        Numbers the logistic regression sees on a log scale (see :func:`build_pipeline`).
    groups : mapping, optional
        Column -> group name (e.g. "Satisfaction (surveys)"); importance is also measured per
        group, shuffling the group's columns together.
    folds : int
        Stratified folds (at most the number of churners or stayers).
    random_state : int
        Seed of the fold split, of the boosting model and of the shuffles.
    n_jobs : int or None
        Threads for the models (None: all cores).
    importance_rows : int
        Held-out customers (in all) on which permutation importance is measured.

    Attributes
    ----------
    scores_ : dict[str, ModelScores]
        Per model.
    chosen_ : str
        The model used for predictions.
    margin_ : float
        Mean fold AUC of the chosen model minus the other's (negative when a worse model is
        forced).
    margin_std_ : float
        Standard deviation over folds of that difference (both models see the same folds).
    oof_probability_ : dict[str, numpy.ndarray]
        Out-of-fold churn probabilities per model, on the real scale.
    pipeline_ : sklearn.pipeline.Pipeline
        The chosen model fitted on all customers.
    importance_ : pandas.DataFrame
        ``column``, ``importance`` (mean drop in ROC AUC on held-out customers when the column
        is shuffled), ``importance_std`` (over folds), sorted by importance.
    group_importance_ : pandas.DataFrame
        The same per group (``group`` instead of ``column``); empty without ``groups``.
    coefficients_ : pandas.DataFrame
        Logistic regression fitted on all customers: ``term``, ``column``, ``coefficient``
        (change in log-odds per standard deviation of the scaled column, or for the level),
        ``odds_ratio``, sorted by absolute coefficient.
    positive_share_ : float
        Churners' share.
    class_weight_ : str or None
        ``"balanced"`` when the classes were weighed equally.
    """

    def __init__(
        self,
        model: ModelChoice = "auto",
        numbers: Sequence[str] = (),
        categories: Sequence[str] = (),
        *,
        skewed: Sequence[str] = (),
        groups: Mapping[str, str] | None = None,
        folds: int = 5,
        random_state: int = 0,
        n_jobs: int | None = 1,
        importance_rows: int = IMPORTANCE_ROWS,
    ) -> None:
        self.model = model
        self.numbers = numbers
        self.categories = categories
        self.skewed = skewed
        self.groups = groups
        self.folds = folds
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.importance_rows = importance_rows

    def fit(self, X: pd.DataFrame, y: np.ndarray | pd.Series, progress: Progress | None = None) -> ChurnModel:
        """Cross-validate both models, choose one and fit it on all customers.

        ``progress(fraction, message)`` is called as the work advances.

        Raises
        ------
        InputError
            With fewer than :data:`MIN_CLASS_FOR_CV` churners or stayers, or no feature.
        """
        if self.model not in ("auto", "logreg", "gbm"):
            raise InputError(f"Unknown model {self.model!r}; choose logreg, gbm or auto.")
        if not (list(self.numbers) or list(self.categories)):
            raise InputError("No column is left to learn from: include at least one column.")
        X = X[list(self.numbers) + list(self.categories)]
        y = np.asarray(y, dtype=bool)
        positives = int(y.sum())
        smaller = min(positives, len(y) - positives)
        if smaller < MIN_CLASS_FOR_CV:
            who = "churners" if positives <= len(y) - positives else "stayers"
            raise InputError(
                f"Only {smaller} {who} among {len(y):,} customers: at least {MIN_CLASS_FOR_CV} are needed "
                "to test a model honestly."
            )
        report = progress or (lambda fraction, message: None)
        self.positive_share_ = positives / len(y)
        self.class_weight_ = "balanced" if smaller / len(y) < BALANCE_BELOW else None
        folds = min(self.folds, smaller)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        splits = list(splitter.split(X, y))
        names: tuple[ModelName, ...] = ("logreg", "gbm")
        tasks = [(index, name) for index in range(folds) for name in names]
        steps = len(tasks) + 2
        parallel = self.n_jobs is not None and self.n_jobs > 1 and len(y) >= PARALLEL_ROWS
        # In this process, one thread: two OpenMP threads stall when other sessions share the
        # cores (measured: 94 s against 10 s for the demo's analysis beside three busy processes).
        with _Runner(self.n_jobs if parallel else 1, 1) as run:
            fitted = run(
                (
                    _fit_fold,
                    self,
                    name,
                    X.iloc[splits[index][0]],
                    y[splits[index][0]],
                    X.iloc[splits[index][1]],
                )
                for index, name in tasks
            )
            oof = {name: np.zeros(len(y)) for name in names}
            fold_scores: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
            fold_models: dict[str, list[Pipeline]] = {name: [] for name in names}
            for done, (index, name) in enumerate(tasks):
                report(done / steps, f"Fold {index + 1} of {folds}: {MODEL_LABELS[name].lower()}")
                pipeline, probability = next(fitted)
                test = splits[index][1]
                oof[name][test] = probability
                fold_scores[name].append(
                    (
                        roc_auc_score(y[test], probability),
                        average_precision_score(y[test], probability),
                        brier_score_loss(y[test], probability),
                    )
                )
                fold_models[name].append(pipeline)
            self.scores_ = {name: _scores(name, fold_scores[name]) for name in names}
            self.oof_probability_ = oof
            auc = {name: np.array(self.scores_[name].fold_roc_auc) for name in names}
            if self.model == "auto":
                self.chosen_ = "gbm" if auc["gbm"].mean() > auc["logreg"].mean() else "logreg"
            else:
                self.chosen_ = self.model
            other = "logreg" if self.chosen_ == "gbm" else "gbm"
            difference = auc[self.chosen_] - auc[other]
            self.margin_ = float(difference.mean())
            self.margin_std_ = float(difference.std(ddof=1)) if len(difference) > 1 else float("nan")

            report(len(tasks) / steps, "Measuring which columns matter on held-out customers")
            self.importance_, self.group_importance_ = self._importance(
                X, y, splits, fold_models[self.chosen_], run
            )
            report((len(tasks) + 1) / steps, f"Fitting {MODEL_LABELS[self.chosen_].lower()} on all customers")
            final = list(dict.fromkeys([self.chosen_, "logreg"]))
            pipelines = dict(zip(final, run((_fit_all, self, name, X, y) for name in final), strict=True))
            self.pipeline_ = pipelines[self.chosen_]
            self.coefficients_ = _coefficients(pipelines["logreg"])
        report(1.0, "Done")
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Churn probabilities of customers (rows of typed features), as ``[[stay, churn], ...]``."""
        churn = self._probability(self.pipeline_, X[list(self.numbers) + list(self.categories)])
        return np.column_stack([1 - churn, churn])

    def _pipeline(self, name: ModelName, rows: int) -> Pipeline:
        return build_pipeline(
            name,
            list(self.numbers),
            list(self.categories),
            skewed=self.skewed,
            class_weight=self.class_weight_,
            rows=rows,
            random_state=self.random_state,
        )

    def _probability(self, pipeline: Pipeline, X: pd.DataFrame) -> np.ndarray:
        weighted = pipeline.predict_proba(X)[:, 1]
        if self.class_weight_ is None:
            return weighted
        return prior_corrected(weighted, self.positive_share_)

    def _importance(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        splits: list[tuple[np.ndarray, np.ndarray]],
        models: list[Pipeline],
        run: _Runner,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Permutation importance on each fold's held-out customers (a sample of them), averaged.

        A column's (or group's) importance is the ROC AUC of the fold's model on its held-out
        customers minus the AUC after shuffling that column (the group's columns together, with
        one shuffle), averaged over repeats and folds.
        """
        columns = list(X.columns)
        groups: dict[str, list[str]] = {}
        for column in columns:
            groups.setdefault((self.groups or {}).get(column, ""), []).append(column)
        groups.pop("", None)
        units = [[c] for c in columns] + list(groups.values())
        per_fold = max(50, self.importance_rows // len(splits))
        samples = []
        for index, (_, test) in enumerate(splits):
            rng = np.random.default_rng([self.random_state, index])
            rows = test if len(test) <= per_fold else rng.choice(test, per_fold, replace=False)
            if y[rows].all() or not y[rows].any():
                continue
            samples.append((index, X.iloc[rows].reset_index(drop=True), y[rows]))
        drops = list(
            run(
                (_permutation_drops, models[index], held_out, truth, units, [self.random_state, index])
                for index, held_out, truth in samples
            )
        )
        stacked = np.vstack(drops) if drops else np.zeros((1, len(units)))
        mean = stacked.mean(axis=0)
        spread = stacked.std(axis=0, ddof=1) if len(stacked) > 1 else np.full(len(units), np.nan)
        per_column = pd.DataFrame(
            {"column": columns, "importance": mean[: len(columns)], "importance_std": spread[: len(columns)]}
        ).sort_values("importance", ascending=False, ignore_index=True)
        per_group = pd.DataFrame(
            {
                "group": list(groups),
                "importance": mean[len(columns) :],
                "importance_std": spread[len(columns) :],
            }
        ).sort_values("importance", ascending=False, ignore_index=True)
        return per_column, per_group


# More customers than this, and n_jobs above 1: folds are fitted in parallel worker processes.
PARALLEL_ROWS = 20_000


class _Runner:
    """Runs ``(function, *args)`` tasks in order, in this process or in worker processes.

    In worker processes (``workers`` > 1) each task runs single-threaded: two processes with
    one thread each keep both cores busy without the threads of one library waiting on each
    other when the machine is shared. In this process, tasks run one after the other with at
    most ``threads`` threads. Results come back in the order the tasks were given, as they finish.
    """

    def __init__(self, workers: int, threads: int | None) -> None:
        self.workers = workers
        self.threads = threads
        self._parallel: Parallel | None = None
        self._limits: threadpool_limits | None = None

    def __enter__(self) -> _Runner:
        if self.workers > 1:
            self._parallel = Parallel(n_jobs=self.workers, return_as="generator").__enter__()
        else:
            self._limits = threadpool_limits(limits=self.threads)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._parallel is not None:
            self._parallel.__exit__(*exc)
        if self._limits is not None:
            self._limits.restore_original_limits()

    def __call__(self, tasks: Iterable[tuple]) -> Iterator:
        if self._parallel is not None:
            return iter(self._parallel(delayed(_single_threaded)(*task) for task in tasks))
        return (task[0](*task[1:]) for task in tasks)


def _single_threaded(function: Callable, *args: object) -> object:
    with threadpool_limits(limits=1):
        return function(*args)


def _fit_fold(
    model: ChurnModel, name: ModelName, X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame
) -> tuple[Pipeline, np.ndarray]:
    """One model fitted on a fold's training customers, and its probabilities for the held-out ones."""
    pipeline = model._pipeline(name, len(X_train)).fit(X_train, y_train)
    return pipeline, model._probability(pipeline, X_test)


def _fit_all(model: ChurnModel, name: ModelName, X: pd.DataFrame, y: np.ndarray) -> Pipeline:
    return model._pipeline(name, len(X)).fit(X, y)


def _permutation_drops(
    pipeline: Pipeline, held_out: pd.DataFrame, truth: np.ndarray, units: list[list[str]], seed: list[int]
) -> np.ndarray:
    """The drop in ROC AUC when each unit (a column, or a group of columns together) is shuffled."""
    rng = np.random.default_rng(seed)
    repeats = 5 if len(held_out) < 2000 else 3
    shuffled = []
    for unit in units:
        for _ in range(repeats):
            order = rng.permutation(len(held_out))
            variant = held_out.copy()
            variant[unit] = held_out[unit].iloc[order].to_numpy()
            shuffled.append(variant)
    # One prediction call for every shuffle: far faster than one call per shuffle.
    probability = pipeline.predict_proba(pd.concat([held_out, *shuffled], ignore_index=True))[:, 1]
    baseline = roc_auc_score(truth, probability[: len(held_out)])
    scores = probability[len(held_out) :].reshape(len(units), repeats, len(held_out))
    return np.array([baseline - np.mean([roc_auc_score(truth, s) for s in unit]) for unit in scores])


def prior_corrected(probability: np.ndarray, positive_share: float) -> np.ndarray:
    """Put probabilities of a class-balanced model back on the real scale (King and Zeng [1]_).

    .. math:: \\operatorname{logit} p = \\operatorname{logit} p_w + \\log \\frac{\\pi}{1 - \\pi}

    A balanced model acts as if churners were half the customers; ``positive_share`` is
    :math:`\\pi`, their real share.
    """
    clipped = np.clip(probability, 1e-9, 1 - 1e-9)
    return expit(logit(clipped) + np.log(positive_share / (1 - positive_share)))


def _scores(name: ModelName, folds: list[tuple[float, float, float]]) -> ModelScores:
    values = np.array(folds)
    spread = values.std(axis=0, ddof=1) if len(values) > 1 else np.full(3, np.nan)
    return ModelScores(
        model=name,
        roc_auc=float(values[:, 0].mean()),
        roc_auc_std=float(spread[0]),
        pr_auc=float(values[:, 1].mean()),
        pr_auc_std=float(spread[1]),
        brier=float(values[:, 2].mean()),
        brier_std=float(spread[2]),
        fold_roc_auc=tuple(float(v) for v in values[:, 0]),
    )


def _coefficients(pipeline: Pipeline) -> pd.DataFrame:
    prepare: ColumnTransformer = pipeline.named_steps["prepare"]
    coefficients = pipeline.named_steps["model"].coef_[0]
    terms: list[tuple[str, str]] = []
    for name, transformer, columns in prepare.transformers_:
        if name in ("number", "skewed"):
            imputer: SimpleImputer = transformer.named_steps["impute"]
            kept = [c for c, s in zip(columns, imputer.statistics_, strict=True) if not np.isnan(s)]
            log = " (log scale)" if name == "skewed" else ""
            terms += [(f"{c}{log}", c) for c in kept]
            if imputer.indicator_ is not None:
                terms += [(f"{columns[i]} is blank", columns[i]) for i in imputer.indicator_.features_]
        elif name == "category":
            for position, (column, levels) in enumerate(zip(columns, transformer.categories_, strict=True)):
                infrequent = transformer.infrequent_categories_[position]
                rare = set(infrequent) if infrequent is not None else set()
                terms += [(f"{column} = {level}", column) for level in levels if level not in rare]
                if rare:
                    terms.append((f"{column} = other", column))
    frame = pd.DataFrame(terms, columns=["term", "column"])
    frame["coefficient"] = coefficients[: len(frame)]
    frame["odds_ratio"] = np.exp(frame["coefficient"])
    order = frame["coefficient"].abs().sort_values(ascending=False, kind="stable").index
    return frame.reindex(order).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Evaluation curves (from out-of-fold probabilities)
# --------------------------------------------------------------------------------------------


def roc_points(churned: np.ndarray, probability: np.ndarray, *, points: int = 200) -> pd.DataFrame:
    """The ROC curve: ``false_positive_rate`` and ``true_positive_rate`` (0–1), thinned to about
    ``points`` points (first and last kept)."""
    fpr, tpr, _ = roc_curve(np.asarray(churned, dtype=bool), probability)
    keep = _thin(len(fpr), points)
    return pd.DataFrame({"false_positive_rate": fpr[keep], "true_positive_rate": tpr[keep]})


def calibration_points(churned: np.ndarray, probability: np.ndarray, *, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed churn in ``bins`` groups of equal size (by predicted probability).

    Columns ``predicted`` (mean probability, 0–1), ``observed`` (churners' share) and
    ``customers``. A well-calibrated model has ``observed ≈ predicted``.
    """
    y = np.asarray(churned, dtype=bool)
    order = np.argsort(probability, kind="stable")
    groups = np.array_split(order, min(bins, len(order)))
    return pd.DataFrame(
        {
            "predicted": [float(probability[g].mean()) for g in groups],
            "observed": [float(y[g].mean()) for g in groups],
            "customers": [len(g) for g in groups],
        }
    )


def gains_points(churned: np.ndarray, probability: np.ndarray, *, points: int = 100) -> pd.DataFrame:
    """Cumulative gains and lift: contact customers from the riskiest down.

    ``contacted`` is the share of customers contacted (0–1), ``churners_reached`` the share
    of all churners among them, ``lift`` = churners_reached ÷ contacted (1 = no better than
    random). Starts at (0, 0).
    """
    y = np.asarray(churned, dtype=bool)
    order = np.argsort(-np.asarray(probability), kind="stable")
    reached = np.concatenate([[0], np.cumsum(y[order])]) / max(1, y.sum())
    contacted = np.arange(len(y) + 1) / len(y)
    keep = _thin(len(contacted), points)
    frame = pd.DataFrame({"contacted": contacted[keep], "churners_reached": reached[keep]})
    frame["lift"] = np.where(
        frame["contacted"] > 0,
        frame["churners_reached"] / frame["contacted"].where(frame["contacted"] > 0),
        np.nan,
    )
    return frame


def _thin(length: int, points: int) -> np.ndarray:
    if length <= points:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, points).round().astype(int))


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Standard error of an AUC by Hanley and McNeil [2]_.

    .. math::

        SE = \\sqrt{\\frac{A(1-A) + (n_1 - 1)(Q_1 - A^2) + (n_0 - 1)(Q_2 - A^2)}{n_1 n_0}},
        \\quad Q_1 = \\frac{A}{2 - A}, \\quad Q_2 = \\frac{2A^2}{1 + A}
    """
    q1 = auc / (2 - auc)
    q2 = 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) / (
        positives * negatives
    )
    return float(np.sqrt(max(variance, 0.0)))


# --------------------------------------------------------------------------------------------
# The lab: data and analysis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnData:
    """The customers the lab learns from, their label, and the customers to score.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per labelled customer: the candidate columns (raw or canonical cells), the id
        column among them.
    churned : pandas.Series
        True for churners, aligned with ``customers``.
    definition : LabelDefinition
        How churn is defined.
    id_column : str or None
        The column identifying customers.
    label_columns : tuple of str
        Columns that are the label or another record of it (left out as the label).
    current : pandas.DataFrame or None
        For a dated definition: the customers active at the end of the data, with the same
        columns measured up to that day; they are the ones scored for the next period.
    reference_date, current_reference_date : pandas.Timestamp or None
        The days dates are aged from, for ``customers`` (the cutoff) and for ``current``.
    labels : mapping
        Readable column names.
    notes : mapping
        Columns the caller leaves out, with the reason (the user can include them).
    skewed : tuple of str or None
        Numbers with a long right tail (None: decided from the values).
    groups : mapping
        Column -> where its data comes from (e.g. "Satisfaction (surveys)").
    left_out : int
        Rows left out because their label is unknown.
    source_key : str or None
        Identifies the stored files the data was computed from (with their sizes and times);
        when set, :meth:`fingerprint` uses it instead of hashing the frames.
    """

    customers: pd.DataFrame
    churned: pd.Series
    definition: LabelDefinition
    id_column: str | None = None
    label_columns: tuple[str, ...] = ()
    current: pd.DataFrame | None = None
    reference_date: pd.Timestamp | None = None
    current_reference_date: pd.Timestamp | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    skewed: tuple[str, ...] | None = None
    groups: Mapping[str, str] = field(default_factory=dict)
    left_out: int = 0
    source_key: str | None = None

    def fingerprint(self) -> str:
        """A hash of the data and the definition: equal fingerprints mean the same analysis.

        From :attr:`source_key` when set (stored files do not change without a new size or
        time), otherwise from the frames' values.
        """
        settings = (
            self.definition,
            self.id_column,
            self.label_columns,
            self.reference_date,
            self.current_reference_date,
            sorted(self.notes.items()),
            self.skewed,
            sorted(self.groups.items()),
        )
        if self.source_key is not None:
            return cache_key(*settings, self.source_key)
        return cache_key(*settings, self.customers, self.churned, self.current)


def churn_data_from_table(frame: pd.DataFrame, target: str | None = None) -> ChurnData:
    """Prepare one customers table with a churn column for the lab.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer (raw or canonical cells).
    target : str, optional
        The churn column; by default the first of :func:`find_label_columns`.

    Returns
    -------
    ChurnData
        Rows whose churn value cannot be read are left out (counted in ``left_out``). Other
        churn columns (another flag, a churn date) are listed as label columns.

    Raises
    ------
    InputError
        When there is no churn column, ``target`` is not a column, or it cannot be read as churn.
    """
    if frame.empty:
        raise InputError("The table has no rows.")
    candidates = find_label_columns(frame)
    if target is None:
        if not candidates:
            raise InputError(
                "No churn column found: name one (a Yes/No, 1/0 or True/False column, or a churn date)."
            )
        chosen = candidates[0]
    else:
        if target not in frame.columns:
            raise InputError(
                f"There is no column {target!r}; the columns are {', '.join(map(str, frame.columns))}."
            )
        matching = [c for c in candidates if c.column == target]
        if matching:
            chosen = matching[0]
        else:
            flags = churn_labels(frame[target].rename(target), "flag")
            if not (flags.any() and (~flags.fillna(True)).any()):
                examples = ", ".join(map(str, frame[target].dropna().astype(str).unique()[:4]))
                raise InputError(
                    f"The column {target!r} cannot be read as churn (values such as {examples}); "
                    "it needs two answers like Yes/No, 1/0, True/False or Churned/Stayed, or churn dates."
                )
            chosen = LabelCandidate(target, "flag", int(flags.sum()), int(flags.notna().sum()), "yes / no")
    labels = churn_labels(frame[chosen.column].rename(chosen.column), chosen.kind)
    known = labels.notna().to_numpy()
    others = tuple(c.column for c in candidates if c.column != chosen.column and _restates(frame, c, labels))
    id_column = _id_column(frame)
    definition = LabelDefinition(
        source="column",
        column=chosen.column,
        text=f"Churned = the column “{chosen.column}” ({chosen.description}), as it is in the data today.",
    )
    return ChurnData(
        customers=frame[known].reset_index(drop=True),
        churned=labels[known].astype(bool).reset_index(drop=True),
        definition=definition,
        id_column=id_column,
        label_columns=(chosen.column, *others),
        left_out=int((~known).sum()),
    )


def _restates(frame: pd.DataFrame, candidate: LabelCandidate, label: pd.Series) -> bool:
    """True when another churn column agrees with the label on nearly every customer."""
    other = churn_labels(frame[candidate.column].rename(candidate.column), candidate.kind)
    both = other.notna() & label.notna()
    return bool(both.sum()) and float((other[both] == label[both]).mean()) >= 0.9


def _id_column(frame: pd.DataFrame) -> str | None:
    for column in frame.columns:
        key = name_key(str(column))
        if key in ("customer_id", "customerid", "id", "client_id", "account_id") or (
            "customer" in key and key.endswith("id")
        ):
            return str(column)
    for position in range(frame.shape[1]):
        profile = profile_column(frame, position)
        if profile.value_type == "id" and profile.unique_ratio == 1.0:
            return str(frame.columns[position])
    return None


@dataclass(frozen=True)
class ChurnAnalysis:
    """A finished analysis: the data, the feature plan, the fitted models and the guards.

    Attributes
    ----------
    data : ChurnData
    plan : FeaturePlan
    model : ChurnModel
        Fitted (see its attributes for scores, importance and coefficients).
    warnings : tuple of str
        Guards that fired (small sample, rows left out...).
    """

    data: ChurnData
    plan: FeaturePlan
    model: ChurnModel
    warnings: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.data.churned)

    @property
    def positives(self) -> int:
        return int(self.data.churned.sum())

    @property
    def scores(self) -> ModelScores:
        """Cross-validated scores of the chosen model."""
        return self.model.scores_[self.model.chosen_]

    @property
    def small_sample(self) -> bool:
        """Fewer than :data:`SMALL_SAMPLE` customers, churners or stayers: numbers are rough."""
        return min(self.n, self.positives, self.n - self.positives) < SMALL_SAMPLE

    @property
    def auc_interval(self) -> tuple[float, float]:
        """A 95 % interval of the chosen model's AUC: mean ± 1.96 × the Hanley–McNeil standard
        error, widened to mean ± 2 × the fold spread when that is larger; clipped to 0–1."""
        auc = self.scores.roc_auc
        error = auc_standard_error(auc, self.positives, self.n - self.positives)
        half = max(1.96 * error, 2 * np.nan_to_num(self.scores.roc_auc_std))
        return max(0.0, auc - half), min(1.0, auc + half)

    @property
    def has_signal(self) -> bool:
        """True when the chosen model beats chance usefully: AUC ≥ 0.55 and the interval above 0.5."""
        low, _ = self.auc_interval
        return self.scores.roc_auc >= USEFUL_AUC and low > 0.5

    @property
    def verdict(self) -> str:
        """The answer in one or two sentences."""
        scores = self.scores
        name = MODEL_LABELS[self.model.chosen_]
        low, high = self.auc_interval
        if not self.has_signal:
            return (
                f"The model found no usable signal: its cross-validated ROC AUC is {scores.roc_auc:.2f} "
                f"(plausibly {low:.2f} to {high:.2f}), where 0.5 is a coin toss. These columns do not tell "
                "churners from stayers; do not act on the scores below."
            )
        if self.small_sample:
            return (
                f"{name} seems to find some signal, but with {self.positives} churners among {self.n} customers "
                f"its ROC AUC can only be placed roughly between {low:.2f} and {high:.2f}. Treat what follows "
                "as a first look, not a basis for decisions."
            )
        return (
            f"{name} ranks a random churner above a random stayer {scores.roc_auc:.0%} of the time "
            f"(cross-validated ROC AUC {scores.roc_auc:.2f} ± {scores.roc_auc_std:.2f} over folds; 0.5 is a "
            "coin toss)."
        )

    @property
    def choice(self) -> str:
        """Which model is used and by how much it beat the other."""
        chosen, margin = self.model.chosen_, self.model.margin_
        other = "gbm" if chosen == "logreg" else "logreg"
        spread = self.model.margin_std_
        spread_text = f" (fold-to-fold spread of the difference {spread:.3f})" if np.isfinite(spread) else ""
        within = np.isfinite(spread) and abs(margin) <= spread
        noise = "; the difference is within the noise" if within else ""
        if self.model.model == "auto":
            return (
                f"{MODEL_LABELS[chosen]} is used: its cross-validated ROC AUC is higher than "
                f"{MODEL_LABELS[other].lower()}'s by {margin:.3f}{spread_text}{noise}."
            )
        comparison = "higher" if margin >= 0 else "lower"
        return (
            f"{MODEL_LABELS[chosen]} is used, as chosen: its cross-validated ROC AUC is {comparison} than "
            f"{MODEL_LABELS[other].lower()}'s by {abs(margin):.3f}{spread_text}{noise}."
        )

    @property
    def out_of_fold(self) -> np.ndarray:
        """Out-of-fold churn probabilities of the chosen model, aligned with ``data.churned``."""
        return self.model.oof_probability_[self.model.chosen_]

    def summary(self, top: int = 10) -> dict:
        """The figures of the analysis as plain values (the CLI's JSON)."""
        scores = self.scores
        importance = self.model.importance_
        return {
            "target": self.data.definition.column or self.data.definition.source,
            "definition": self.data.definition.text,
            "n": int(self.n),
            "positives": int(self.positives),
            "model": self.model.chosen_,
            "roc_auc": round(float(scores.roc_auc), 4),
            "roc_auc_std": round(float(scores.roc_auc_std), 4),
            "pr_auc": round(float(scores.pr_auc), 4),
            "brier": round(float(scores.brier), 4),
            "signal": bool(self.has_signal),
            "warnings": list(self.warnings),
            "excluded": [{"column": d.column, "reason": d.reason} for d in self.plan.excluded],
            "top_features": list(importance.loc[importance["importance"] > 0, "column"].head(top)),
        }


def analyse_churn(
    data: ChurnData,
    *,
    model: ModelChoice = "auto",
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    folds: int = 5,
    random_state: int = 0,
    n_jobs: int | None = 1,
    progress: Progress | None = None,
) -> ChurnAnalysis:
    """Plan the features, cross-validate both models and fit the chosen one.

    Every call computes: nothing is kept here. Equal :meth:`ChurnData.fingerprint` and
    parameters give an equal analysis, so a caller may keep results under that key.

    Raises
    ------
    InputError
        With fewer than :data:`MIN_CLASS_FOR_CV` churners or stayers, when no column is left,
        or for an unknown model.
    """
    if model not in ("auto", "logreg", "gbm"):
        raise InputError(f"Unknown model {model!r}; choose logreg, gbm or auto.")
    include, exclude = tuple(sorted(set(include))), tuple(sorted(set(exclude)))
    report = progress or (lambda fraction, message: None)
    report(0.0, "Reading the columns")
    unknown = [c for c in (*include, *exclude) if c not in data.customers.columns]
    if unknown:
        raise InputError(f"There is no column {', '.join(map(repr, unknown))} to include or exclude.")
    y = data.churned.to_numpy(dtype=bool)
    plan = plan_features(
        data.customers,
        data.churned,
        label_columns=data.label_columns,
        reference_date=data.reference_date,
        include=include,
        exclude=exclude,
        labels=data.labels,
        notes=data.notes,
        skewed=data.skewed,
        groups=data.groups,
        random_state=random_state,
    )
    X = plan.features(data.customers)
    fitted = ChurnModel(
        model,
        plan.numbers,
        plan.categories,
        skewed=sorted(plan.skewed),
        groups=plan.groups or None,
        folds=folds,
        random_state=random_state,
        n_jobs=n_jobs,
    ).fit(X, y, progress=lambda f, m: report(0.05 + 0.95 * f, m))
    return ChurnAnalysis(data, plan, fitted, tuple(_warnings(data, y)))


def _warnings(data: ChurnData, y: np.ndarray) -> list[str]:
    warnings: list[str] = []
    positives, n = int(y.sum()), len(y)
    if n < SMALL_SAMPLE:
        warnings.append(
            f"Only {n} customers: at least {SMALL_SAMPLE} are needed for figures you can rely on; "
            "scores are shown as rough ranges."
        )
    if min(positives, n - positives) < SMALL_SAMPLE:
        who = "churners" if positives <= n - positives else "stayers"
        warnings.append(
            f"Only {min(positives, n - positives)} {who}: with fewer than {SMALL_SAMPLE} the model's scores "
            "swing from one sample to the next; treat them as rough."
        )
    if data.left_out:
        warnings.append(f"{data.left_out:,} rows had no readable churn value and were left out.")
    return warnings


# --------------------------------------------------------------------------------------------
# Decisions: whom to contact, and why
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactPlan:
    """The expected value of contacting customers from the riskiest down.

    Attributes
    ----------
    curve : pandas.DataFrame
        ``contacted`` (customers), ``threshold`` (probability of the last one contacted),
        ``expected_net_value``; thinned to a few hundred rows.
    contacted : int
        How many to contact for the highest expected net value (0 when no contact pays).
    threshold : float
        Contact customers whose churn probability is at least this.
    expected_net_value : float
        At that number of contacts.
    expected_saved : float
        Customers expected to be kept by those contacts.
    break_even : float
        The probability above which one contact pays for itself:
        offer cost ÷ (save rate × customer value) (with a single customer value).
    """

    curve: pd.DataFrame
    contacted: int
    threshold: float
    expected_net_value: float
    expected_saved: float
    break_even: float


def plan_contacts(
    probability: np.ndarray | pd.Series,
    *,
    offer_cost: float,
    save_rate: float,
    customer_value: float | np.ndarray,
    points: int = 300,
) -> ContactPlan:
    """How many customers to contact, and the expected net value.

    Contacting customer :math:`i` (churn probability :math:`p_i`, value :math:`v_i`) costs the
    offer :math:`c` and keeps them with probability :math:`p_i s`, where :math:`s` is the share
    of contacted churners who are saved. Customers are contacted in decreasing order of
    :math:`p_i v_i`; contacting the first :math:`k` is expected to be worth

    .. math:: N(k) = \\sum_{i \\le k} (p_i\\, s\\, v_i - c)

    which is largest where :math:`p_k s v_k` falls below :math:`c`. With one value for all,
    the threshold is the break-even probability :math:`c / (s v)`.

    Raises
    ------
    InputError
        For a negative offer cost, a save rate outside (0, 1], or a value that is not positive.
    """
    p = np.asarray(probability, dtype="float64")
    value = np.broadcast_to(np.asarray(customer_value, dtype="float64"), p.shape)
    problems = []
    if not np.isfinite(offer_cost) or offer_cost < 0:
        problems.append(f"the offer cost must be 0 or more, not {offer_cost}")
    if not 0 < save_rate <= 1:
        problems.append(
            f"the share of contacted churners who stay must be above 0 and at most 1, not {save_rate}"
        )
    if not (np.isfinite(value).all() and (value > 0).all()):
        problems.append("the customer value must be above 0")
    if problems:
        raise InputError("Cannot plan contacts: " + "; ".join(problems) + ".")
    order = np.argsort(-(p * value), kind="stable")
    gain = p[order] * save_rate * value[order] - offer_cost
    net = np.concatenate([[0.0], np.cumsum(gain)])
    saved = np.concatenate([[0.0], np.cumsum(p[order] * save_rate)])
    thresholds = np.concatenate([[1.0], p[order]])
    best = int(np.argmax(net))
    keep = np.union1d(_thin(len(net), points), [best])
    curve = pd.DataFrame({"contacted": keep, "threshold": thresholds[keep], "expected_net_value": net[keep]})
    mean_value = float(value.mean()) if len(value) else float(np.asarray(customer_value).mean())
    return ContactPlan(
        curve=curve,
        contacted=best,
        threshold=float(thresholds[best]),
        expected_net_value=float(net[best]),
        expected_saved=float(saved[best]),
        break_even=float(offer_cost / (save_rate * mean_value)),
    )


def scored_customers(analysis: ChurnAnalysis) -> tuple[pd.DataFrame, np.ndarray]:
    """The customers to act on and their churn probabilities.

    For a dated definition: the customers active at the end of the data, scored by the model
    fitted on all labelled customers (probability of churning within the horizon). For a churn
    column: the customers not (yet) churned, with their out-of-fold probabilities (each scored
    by a model that did not see them).
    """
    data = analysis.data
    if data.current is not None:
        plan = replace(
            analysis.plan, reference_date=data.current_reference_date or analysis.plan.reference_date
        )
        features = plan.features(data.current)
        probability = analysis.model.predict_proba(features[plan.numbers + plan.categories])[:, 1]
        return data.current.reset_index(drop=True), probability
    stayers = ~data.churned.to_numpy(dtype=bool)
    return data.customers[stayers].reset_index(drop=True), analysis.out_of_fold[stayers]


def at_risk_customers(analysis: ChurnAnalysis, *, top: int = 500, reasons: int = 3) -> pd.DataFrame:
    """The riskiest customers (see :func:`scored_customers`) with the reasons behind each one's risk.

    A reason is a column whose value raises this customer's probability: the probability drops
    by ``Δ`` when that value alone is replaced by the typical one (the median of numbers, the
    most common category among all labelled customers). The ``reasons`` largest drops above
    half a percentage point are listed as "Column: value (typical: t)".

    Returns
    -------
    pandas.DataFrame
        ``customer`` (the id, or the row number when the table has no id column),
        ``churn_probability`` (0–1), ``reason_1`` ... ``reason_<reasons>`` (empty when fewer
        reasons stand out), sorted by probability, highest first, at most ``top`` rows.
    """
    customers, probability = scored_customers(analysis)
    plan = replace(
        analysis.plan,
        reference_date=analysis.data.current_reference_date
        if analysis.data.current is not None
        else analysis.plan.reference_date,
    )
    order = np.argsort(-probability, kind="stable")[:top]
    chosen = customers.iloc[order].reset_index(drop=True)
    features = plan.features(chosen)[plan.numbers + plan.categories]
    base = probability[order]
    id_column = analysis.data.id_column
    frame = pd.DataFrame(
        {
            "customer": chosen[id_column].astype("string")
            if id_column in chosen.columns
            else (order + 1).astype(str),
            "churn_probability": base,
        }
    )
    reason_columns = [f"reason_{i + 1}" for i in range(reasons)]
    if features.empty:
        return frame.assign(**dict.fromkeys(reason_columns, ""))
    training = analysis.plan.features(analysis.data.customers)
    typical = {c: training[c].median() for c in plan.numbers} | {
        c: training[c].mode().iloc[0] for c in plan.categories
    }
    columns = plan.numbers + plan.categories
    variants = pd.concat([features.assign(**{c: typical[c]}) for c in columns], ignore_index=True)
    moved = analysis.model.predict_proba(variants)[:, 1].reshape(len(columns), len(features)).T
    # The model's own probability of the unchanged rows, so that Δ compares like with like.
    own = analysis.model.predict_proba(features)[:, 1]
    drops = own[:, None] - moved
    texts: list[list[str]] = []
    for row in range(len(features)):
        ranked = np.argsort(-drops[row], kind="stable")[:reasons]
        texts.append(
            [
                _reason(plan, columns[i], features.iloc[row][columns[i]], typical[columns[i]])
                for i in ranked
                if drops[row, i] > 0.005
            ]
        )
    for i, column in enumerate(reason_columns):
        frame[column] = [t[i] if i < len(t) else "" for t in texts]
    return frame


def _reason(plan: FeaturePlan, column: str, value: object, typical: object) -> str:
    kind = plan.decision(column).type
    return f"{plan.label(column)}: {_shown(value, kind)} (typical: {_shown(typical, kind)})"


def _shown(value: object, kind: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "none"
    if kind == "flag":
        return "yes" if float(value) >= 0.5 else "no"
    if kind == "date":
        return f"{float(value):,.0f} days ago"
    if isinstance(value, int | float | np.number):
        number = float(value)
        return f"{number:,.0f}" if abs(number) >= 100 or number == round(number) else f"{number:,.2f}"
    return str(value)


# --------------------------------------------------------------------------------------------
# Workspaces: canonical tables, per-customer features before a cutoff, the next period
# --------------------------------------------------------------------------------------------

DEFAULT_HORIZON_DAYS = 365
LABEL_SOURCES: dict[str, str] = {
    "churn_date": "Churn dates in a window after a cutoff",
    "inactivity": "No order in a window after a cutoff",
    "column": "The churn flag as it is today",
}
# Features counted up to the end of the data: churners stopped adding to them when they left.
_AFTER_CHURN = ("recency_days", "frequency", "monetary", "survey_responses", "tickets")
SOURCE_GROUPS: dict[str, str] = {
    "feedback": "Satisfaction (surveys)",
    "support": "Support experience (tickets)",
    "transactions": "Purchasing (orders)",
    "customers": "Customer profile",
}


def label_sources(tables: Mapping[str, Sequence]) -> list[str]:
    """The churn definitions a workspace allows, the preferred first (see :data:`LABEL_SOURCES`).

    ``churn_date``: the customers table has churn dates. ``inactivity``: a transaction log with
    customer ids and dates. ``column``: the customers table has a churn flag (or churn dates,
    read as a flag).
    """
    from bsc.engine import table_columns

    columns = {kind: set(table_columns(paths)) for kind, paths in tables.items() if paths}
    customers = columns.get("customers", set())
    sources = []
    if {"customer_id", "churn_date"} <= customers:
        sources.append("churn_date")
    if {"customer_id", "date"} <= columns.get("transactions", set()):
        sources.append("inactivity")
    if "customer_id" in customers and customers & {"churn", "churn_date"}:
        sources.append("column")
    return sources


def data_end(tables: Mapping[str, Sequence], *, backend=None) -> pd.Timestamp:
    """The day after the last dated event of the workspace (the exclusive end of the data).

    Raises
    ------
    InputError
        When no table holds dates.
    """
    from bsc.kpis import date_range

    bounds = date_range(tables, backend=backend)
    if bounds is None:
        raise InputError("No table of this workspace holds dates, so churn after a cutoff cannot be defined.")
    return bounds[1].normalize() + pd.Timedelta(days=1)


def churn_data_from_workspace(
    tables: Mapping[str, Sequence],
    *,
    source: str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    cutoff: pd.Timestamp | str | None = None,
    backend=None,
) -> ChurnData:
    """Prepare a workspace's canonical tables for the lab.

    Parameters
    ----------
    tables : mapping
        Table kind -> canonical Parquet files (:meth:`bsc.store.Store.workspace_tables`).
    source : str, optional
        One of :func:`label_sources` (default: the first).
    horizon_days : int
        Length of the churn window after the cutoff (dated definitions).
    cutoff : date, optional
        Default: ``horizon_days`` before the end of the data (:func:`data_end`), so that the
        window is the most recent one the data covers.

    Returns
    -------
    ChurnData
        One row per customer: ``customer_id``, the per-customer features of
        :func:`bsc.features.customer_features` and the customers' segment attributes. For a
        dated definition the features use only data before the cutoff, and ``current`` holds
        the customers active at the end of the data with features up to that day. For the churn
        flag, the features counted up to today (recency, orders, spend, responses, tickets) are
        left out by default: churners stopped adding to them when they left.

    Raises
    ------
    InputError
        For an unknown source, a window that runs past the end of the data or starts before
        its beginning, or a workspace without customers.
    """
    from bsc.features import customer_features

    available = label_sources(tables)
    if not available:
        raise InputError(
            "Churn needs a customers table with a churn flag or churn dates, or a transaction log with "
            "customer ids and order dates; this workspace has neither."
        )
    source = source or available[0]
    if source not in available:
        raise InputError(
            f"This workspace cannot define churn by {LABEL_SOURCES.get(source, source).lower()}; "
            f"it allows: {', '.join(LABEL_SOURCES[s].lower() for s in available)}."
        )
    segments = _customer_segments(tables)
    if source == "column":
        features = customer_features(tables, backend=backend)
        customers = _customer_frame(features, segments)
        flags = _churn_flags(tables)
        labelled = customers.merge(flags, on="customer_id", how="inner")
        known = labelled["churned"].notna()
        notes = {
            c: "counted up to the end of the data, after churners had left: it would tell the model who "
            "already left"
            for c in _AFTER_CHURN
            if c in customers.columns
        }
        return ChurnData(
            customers=labelled.loc[known, customers.columns].reset_index(drop=True),
            churned=labelled.loc[known, "churned"].astype(bool).reset_index(drop=True),
            definition=LabelDefinition(
                "column", "churn", text="Churned = the customers table's churn flag, as it is today."
            ),
            id_column="customer_id",
            notes=notes,
            **_feature_kinds(features, segments),
            left_out=int((~known).sum()),
            source_key=_source_key(tables),
        )

    if not isinstance(horizon_days, int | np.integer) or horizon_days < 1:
        raise InputError(f"The churn window must be a whole number of days ≥ 1, not {horizon_days}.")
    end = data_end(tables, backend=backend)
    cutoff = (
        end - pd.Timedelta(days=int(horizon_days)) if cutoff is None else pd.Timestamp(cutoff).normalize()
    )
    if cutoff + pd.Timedelta(days=int(horizon_days)) > end:
        raise InputError(
            f"The churn window of {horizon_days} days from {cutoff:%d %b %Y} runs past the end of the data "
            f"({end - pd.Timedelta(days=1):%d %b %Y}); choose an earlier cutoff or a shorter window."
        )
    labels = _dated_labels(tables, source, cutoff, int(horizon_days))
    training = customer_features(tables, cutoff=cutoff, backend=backend)
    customers = _customer_frame(training, segments)
    labelled = labels.merge(customers, on="customer_id", how="inner")
    if labelled.empty:
        raise InputError(f"No customer was active on {cutoff:%d %b %Y}; choose a later cutoff.")
    current_ids = _dated_labels(tables, source, end, int(horizon_days))["customer_id"]
    now = _customer_frame(customer_features(tables, cutoff=end, backend=backend), segments)
    current = now[now["customer_id"].isin(set(current_ids))].reset_index(drop=True)
    current = current.reindex(columns=customers.columns)
    if source == "churn_date":
        text = (
            f"Churned = a churn date in the {horizon_days} days from {cutoff:%d %b %Y} (the cutoff), among the "
            f"{len(labelled):,} customers active that day. Features use only data before the cutoff."
        )
    else:
        text = (
            f"Churned = no order in the {horizon_days} days from {cutoff:%d %b %Y} (the cutoff), among the "
            f"{len(labelled):,} customers who ordered in the {horizon_days} days before it. Features use "
            "only data before the cutoff."
        )
    return ChurnData(
        customers=labelled.drop(columns="churned"),
        churned=labelled["churned"].astype(bool),
        definition=LabelDefinition(source, None, cutoff, int(horizon_days), text),  # type: ignore[arg-type]
        id_column="customer_id",
        current=current,
        **_feature_kinds(training, segments),
        source_key=_source_key(tables),
    )


def _source_key(tables: Mapping[str, Sequence]) -> str:
    """The stored files behind a workspace's tables (saved segmentations aside), as a cache key.

    Features aggregated in parallel can differ in the last bits of a sum from one run to the
    next, so the analysis of a workspace is cached by its files rather than by the values.
    """
    from bsc.engine import files_key
    from bsc.schema import KINDS

    return files_key({kind: paths for kind, paths in tables.items() if kind in KINDS})


def _customer_frame(features, segments: pd.DataFrame | None) -> pd.DataFrame:
    frame = features.frame.reset_index()
    frame["customer_id"] = frame["customer_id"].astype("string")
    if segments is not None:
        frame = frame.merge(segments, on="customer_id", how="left")
    return frame


def _feature_labels(features) -> dict[str, str]:
    return {name: definition.label for name, definition in features.definitions.items()}


def _feature_kinds(features, segments: pd.DataFrame | None) -> dict:
    """Skewed features and the group of every column, from the feature definitions."""
    groups = {name: SOURCE_GROUPS.get(d.source, d.source) for name, d in features.definitions.items()}
    if segments is not None:
        groups |= dict.fromkeys(
            [c for c in segments.columns if c != "customer_id"], SOURCE_GROUPS["customers"]
        )
    skewed = tuple(name for name, d in features.definitions.items() if d.skewed)
    return {"labels": _feature_labels(features), "groups": groups, "skewed": skewed}


def _customer_segments(tables: Mapping[str, Sequence]) -> pd.DataFrame | None:
    """Categorical columns of the customers table: the acquisition channel and segment attributes."""
    from bsc.engine import read_columns, table_columns
    from bsc.schema import CUSTOMERS

    if not tables.get("customers"):
        return None
    roles = set(CUSTOMERS.role_ids) - {"acquisition_channel"}
    schema = table_columns(tables["customers"])
    wanted = [
        name for name, kind in schema.items() if name not in roles and str(kind) in ("string", "large_string")
    ]
    if not wanted:
        return None
    frame = read_columns(tables, "customers", ["customer_id", *wanted])
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame.dropna(subset=["customer_id"]).drop_duplicates("customer_id")


def _churn_flags(tables: Mapping[str, Sequence]) -> pd.DataFrame:
    from bsc.engine import read_columns

    frame = read_columns(tables, "customers", ["customer_id", "churn", "churn_date"])
    frame["customer_id"] = frame["customer_id"].astype("string")
    if "churn" in frame.columns:
        churned = frame["churn"].astype("boolean")
    else:
        churned = frame["churn_date"].notna().astype("boolean")
    out = pd.DataFrame({"customer_id": frame["customer_id"], "churned": churned})
    return out.dropna(subset=["customer_id"]).drop_duplicates("customer_id")


def _dated_labels(
    tables: Mapping[str, Sequence], source: str, cutoff: pd.Timestamp, horizon: int
) -> pd.DataFrame:
    from bsc.engine import read_columns

    if source == "churn_date":
        customers = read_columns(tables, "customers", ["customer_id", "signup_date", "churn_date"])
        customers = customers.dropna(subset=["customer_id"])
        return cutoff_labels(
            pd.DataFrame(columns=["customer_id", "date"]), cutoff, horizon, churn_dates=customers
        )
    orders = read_columns(tables, "transactions", ["customer_id", "date"]).dropna()
    return cutoff_labels(orders, cutoff, horizon)


def predicted_churn_by_segment(
    tables: Mapping[str, Sequence],
    *,
    by: str | None = None,
    period: str = "month",
    model: ModelChoice = "auto",
    backend=None,
    n_jobs: int | None = 1,
) -> pd.DataFrame:
    """The predicted churn rate of the next period, for all customers and per segment.

    A model is trained on the most recent window the data covers (churn dates, else no order,
    in the :data:`DEFAULT_HORIZON_DAYS` days after a cutoff, at least the period's length)
    and scores the customers active at the end of the data. A customer's probability :math:`p`
    over the window of :math:`h` days becomes one over the next period of :math:`d` days by
    assuming a constant hazard over the window:

    .. math:: p_d = 1 - (1 - p)^{d / h}

    and the predicted churn rate of a segment is the mean of :math:`p_d` over its active
    customers, on 0–100 like the churn-rate KPI (customers churned in the period ÷ customers
    active at its start).

    This is :func:`forecast_data`, :func:`analyse_churn` and :func:`predicted_churn` in turn.

    Parameters
    ----------
    tables : mapping
        Table kind -> canonical Parquet files.
    by : str, optional
        A categorical column of the customers table (a segment attribute); None for all customers.
    period : {"month", "quarter", "year"}
        The next period is the calendar one starting the day after the data ends.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment`` (NA on the all-customers row, which comes first; "(unknown)" for
        customers without a value), ``period`` (e.g. "2026-11"), ``predicted_churn_rate``
        (%), ``n`` (active customers scored). ``attrs`` holds ``definition`` (the training
        label in words), ``roc_auc`` of the model and ``signal`` (False when the model found no
        usable signal: show the numbers with care, or not at all).

    Raises
    ------
    InputError
        Without churn dates or a transaction log, with too few churners, or when ``by`` is not
        a categorical column of the customers table.
    """
    data = forecast_data(tables, period=period, backend=backend)
    _check_split(data, by)
    analysis = analyse_churn(data, model=model, n_jobs=n_jobs)
    return predicted_churn(analysis, by=by, period=period)


def forecast_data(tables: Mapping[str, Sequence], *, period: str = "month", backend=None) -> ChurnData:
    """The customers the next period's forecast learns from (see :func:`predicted_churn_by_segment`).

    Churn dates, else no order, in a window of :data:`DEFAULT_HORIZON_DAYS` days (at least the
    period's length) that ends where the data ends; ``current`` holds the customers active at
    the end of the data.

    Raises
    ------
    InputError
        Without churn dates or a transaction log with order dates.
    """
    sources = [s for s in label_sources(tables) if s != "column"]
    if not sources:
        raise InputError(
            "Predicting the next period's churn needs churn dates or a transaction log with order dates."
        )
    horizon = max(DEFAULT_HORIZON_DAYS, TYPICAL_DAYS[period])
    return churn_data_from_workspace(tables, source=sources[0], horizon_days=horizon, backend=backend)


def predicted_churn(analysis: ChurnAnalysis, *, by: str | None = None, period: str = "month") -> pd.DataFrame:
    """The next period's predicted churn rate from an analysis of :func:`forecast_data`.

    The analysis's churn window ends where the data ends, so the next period is the calendar
    ``period`` starting the day after the window. Returns the frame of
    :func:`predicted_churn_by_segment`.

    Raises
    ------
    InputError
        When the analysis has no dated definition, or ``by`` is not a categorical column of the
        customers table.
    """
    data = analysis.data
    definition = data.definition
    if definition.cutoff is None or definition.horizon_days is None or data.current is None:
        raise InputError(
            "Predicting the next period's churn needs churn dates or order dates after a cutoff, "
            "not the churn flag as it is today."
        )
    _check_split(data, by)
    horizon = definition.horizon_days
    upcoming = next_period(definition.cutoff + pd.Timedelta(days=horizon), period)
    label, days = upcoming.label, upcoming.days
    customers, probability = scored_customers(analysis)
    per_period = 1 - (1 - probability) ** (days / horizon)
    rows = [
        {
            "segment": pd.NA,
            "period": label,
            "predicted_churn_rate": 100 * per_period.mean(),
            "n": len(per_period),
        }
    ]
    if by is not None:
        segment = customers[by].astype("string").fillna("(unknown)")
        grouped = pd.Series(per_period).groupby(segment.to_numpy())
        for name, values in grouped:
            rows.append(
                {
                    "segment": name,
                    "period": label,
                    "predicted_churn_rate": 100 * values.mean(),
                    "n": len(values),
                }
            )
    frame = pd.DataFrame(rows)
    frame["segment"] = frame["segment"].astype("string")
    frame["n"] = frame["n"].astype("int64")
    frame.attrs.update(
        definition=definition.text, roc_auc=analysis.scores.roc_auc, signal=analysis.has_signal
    )
    return frame


def _check_split(data: ChurnData, by: str | None) -> None:
    if by is not None and by not in data.customers.columns:
        raise InputError(
            f"The predicted churn can be split by the customers' attributes only, not by {by!r}."
        )


def churn_data_from_files(
    paths: Sequence[str | Path],
    *,
    target: str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> ChurnData:
    """Prepare files for the lab, as the command line does.

    One table with a churn column (or with ``target`` naming one) is used as it is (see
    :func:`churn_data_from_table`). Otherwise the files are read into a throw-away workspace
    and churn is defined as :func:`churn_data_from_workspace` prefers (churn dates, else no
    order, in ``horizon_days`` after a cutoff); ``target`` may then name the customers
    table's churn flag or churn date column (or be ``churn_date``, ``inactivity``, ``column``).

    Raises
    ------
    InputError
        When no file can be used or ``target`` names no churn column.
    """
    from bsc.detect import detect_mapping
    from bsc.ingest import read_path
    from bsc.workspace import files_workspace

    raw = [table for path in paths for table in read_path(path)]
    if len(raw) == 1 and (target is not None or find_label_columns(raw[0].frame)):
        return churn_data_from_table(raw[0].frame, target)
    source = None
    if target is not None:
        if target in LABEL_SOURCES:
            source = target
        else:
            for table in raw:
                mapping = detect_mapping(table.frame, table.name)
                if mapping.kind == "customers" and target == mapping.roles.get("churn_date"):
                    source = "churn_date"
                elif mapping.kind == "customers" and target == mapping.roles.get("churn"):
                    source = "column"
            if source is None:
                raise InputError(
                    f"{target!r} is not the churn flag or churn date column of a customers table in these files."
                )
    with files_workspace(paths) as (tables, refused):
        if not tables:
            raise InputError("None of the files holds a table that can be used: " + "; ".join(refused))
        return churn_data_from_workspace(tables, source=source, horizon_days=horizon_days)


def typical_customer_value(tables: Mapping[str, Sequence], *, backend=None) -> float | None:
    """A customer's value for planning contacts: the median yearly CLV of all customers.

    The CLV is the KPI engine's (revenue per ordering customer × margin ÷ churn rate, per year;
    see :data:`bsc.kpis.KPIS`). None when the workspace cannot compute it.
    """
    from bsc.kpis import compute_kpis

    try:
        result = compute_kpis(tables, period="year", kpis=["clv"], backend=backend)
    except InputError:
        return None
    values = result.values
    if values.empty:
        return None
    overall = values.loc[values["segment"].isna() & (values["kpi"] == "clv"), "value"].astype("float64")
    overall = overall[np.isfinite(overall) & (overall > 0)]
    return float(overall.median()) if len(overall) else None
