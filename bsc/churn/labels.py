"""The churn label: which customers churned, read from a churn column or from dates after a cutoff.

A churn column of a table (:func:`find_label_columns` recognises Yes/No, 1/0, True/False,
Churned/Stayed, Exited, Attrited Customer/Existing Customer, and churn dates;
:func:`churn_labels` reads one), or, from dated data, churn in the ``horizon`` days after a
cutoff date (:func:`cutoff_labels`): from churn dates, or, for a transaction log, no order in
the ``horizon`` days after the cutoff.

:class:`ChurnData` holds the customers the lab learns from with their label and how churn is
defined (:class:`LabelDefinition`); :func:`churn_data_from_table` prepares one table with a
churn column (a workspace is prepared by :mod:`bsc.churn.sources`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from bsc.cache_keys import cache_key
from bsc.detect import blank_mask, name_key, parse_flags, profile_column
from bsc.errors import InputError

__all__ = [
    "ChurnData",
    "LabelCandidate",
    "LabelDefinition",
    "LabelSource",
    "churn_data_from_table",
    "churn_labels",
    "cutoff_labels",
    "find_label_columns",
    "inactivity_churn_labels",
    "stratified_rows",
]

LabelSource = Literal["column", "churn_date", "inactivity"]
# Name words that say a column records churn (strong) or may (weak).
_CHURN_NAME = re.compile(r"(churn|attrit|exited|\bexit\b|cancel|terminat|defect|\bleft\b|\blost\b)")
_STATUS_NAME = re.compile(r"(status|\bstate\b|target|label|\bclass\b|outcome|retained|\bactive\b|stayed)")
# Names whose "yes" means the customer stayed.
_STAYED_NAME = re.compile(r"(retained|\bactive\b|stayed|is_active|still_customer)")
# Values that only a churn column holds.
_CHURN_VALUES = frozenset({"churned", "churn", "exited", "left", "lost", "cancelled", "canceled", "attrited",
                           "attrited customer", "stayed", "retained", "existing customer", "not churned"})  # fmt: skip


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
    inactivity_days : int or None
        For a transaction log, set when churn follows the churn-rate KPI's inactivity rule
        (:func:`inactivity_churn_labels`); None for the lab's "no order in the window".
    """

    source: LabelSource
    column: str | None = None
    cutoff: pd.Timestamp | None = None
    horizon_days: int | None = None
    text: str = ""
    inactivity_days: int | None = None

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


def inactivity_churn_labels(
    transactions: pd.DataFrame, cutoff: pd.Timestamp | str, horizon_days: int, inactivity_days: int
) -> pd.DataFrame:
    """Churn labels by the churn-rate KPI's inactivity rule, for the window after a cutoff.

    The rule of :mod:`bsc.kpis.retention` (activity spells of :mod:`bsc.kpis.sources`): a
    customer is active while their last order is at most :math:`w` = ``inactivity_days`` old;
    their churn date is :math:`w` days after the last order of a spell, an order followed by
    none in the next :math:`w` days. With the window :math:`[c, c + h)`:

    - active at the cutoff :math:`c`: an order in :math:`[c - w, c)`, as the KPI counts the
      customers active at a period's start;
    - churned: the churn date of the spell running at :math:`c` falls in :math:`[c, c + h)`,
      that is, some order day :math:`d` in :math:`[c - w, c + h - w)` has no order in
      :math:`(d, d + w]`. A customer who lapses in the window and comes back before its end is
      churned, as the KPI counts them. (A later spell cannot lapse in the window: it starts
      after the running one's churn date.)

    With ``horizon_days`` the days of a calendar period starting at the cutoff, the churned
    share is the KPI's churn rate of that period.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (string) and ``churned`` (bool), one row per active customer, sorted by id.

    Raises
    ------
    InputError
        When a window is below 1 day or the columns are missing.
    """
    for name, days in (("churn window", horizon_days), ("inactivity window", inactivity_days)):
        if not isinstance(days, int | np.integer) or days < 1:
            raise InputError(f"The {name} must be a whole number of days ≥ 1, not {days}.")
    _require(transactions, ("customer_id", "date"), "transaction log")
    cutoff = pd.Timestamp(cutoff).normalize()
    window = pd.Timedelta(days=int(inactivity_days))
    end = cutoff + pd.Timedelta(days=int(horizon_days))
    # Orders from the window end on cannot change a churn date that falls before it.
    days = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"].astype("string"),
            "day": pd.to_datetime(transactions["date"]).dt.normalize(),
        }
    ).dropna()
    days = days[(days["day"] >= cutoff - window) & (days["day"] < end)].drop_duplicates()
    days = days.sort_values(["customer_id", "day"], ignore_index=True)
    following = days.groupby("customer_id")["day"].shift(-1)
    lapses = following.isna() | (following - days["day"] > window)
    lapsed = days["day"] + window < end
    churners = set(days.loc[lapses & lapsed, "customer_id"])
    active = pd.Index(days.loc[days["day"] < cutoff, "customer_id"].unique())
    frame = pd.DataFrame({"customer_id": active.astype("string")})
    frame["churned"] = frame["customer_id"].isin(churners).astype(bool)
    return frame.sort_values("customer_id", ignore_index=True)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(f"The {what} needs the column(s) {', '.join(missing)} to define churn.")


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
    units : mapping
        Column -> unit of its values (``"days"``, ``"money"``, ``"0–10"``...; see
        :class:`bsc.features.FeatureDef`), for the computed features; used to word reasons.
    source_key : str or None
        Identifies the stored files the data was computed from (with their sizes and times);
        when set, :meth:`fingerprint` uses it instead of hashing the frames.
    population : int or None
        When ``customers`` is a stratified sample drawn where the data was prepared
        (:func:`stratified_rows`), the number of labelled customers it was drawn from; None
        when every labelled customer is in ``customers``.
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
    units: Mapping[str, str] = field(default_factory=dict)
    source_key: str | None = None
    population: int | None = None

    @property
    def labelled(self) -> int:
        """The number of labelled customers, those left out of a sample included."""
        return len(self.churned) if self.population is None else self.population

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
        if self.population is not None:
            # A sample drawn while preparing: the same files give the same sample of this size.
            settings += ((len(self.churned), self.population),)
        if self.source_key is not None:
            return cache_key(*settings, self.source_key)
        return cache_key(*settings, self.customers, self.churned, self.current)


def stratified_rows(churned: np.ndarray, size: int, random_state: int = 0) -> np.ndarray:
    """The positions of ``size`` rows drawn at random (seeded) from labels ``churned``, churners
    and stayers in their proportions (each class's count rounded, at least one of each class
    present), in increasing order. Every row when there are at most ``size``."""
    y = np.asarray(churned, dtype=bool)
    if len(y) <= size:
        return np.arange(len(y))
    rng = np.random.default_rng(random_state)
    churners = np.flatnonzero(y)
    stayers = np.flatnonzero(~y)
    take = round(size * len(churners) / len(y))
    take = min(len(churners), max(take, 1 if len(churners) else 0), size - (1 if len(stayers) else 0))
    return np.sort(
        np.concatenate(
            [
                rng.choice(churners, take, replace=False),
                rng.choice(stayers, min(size - take, len(stayers)), replace=False),
            ]
        )
    )


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
