r"""Themes in customers' comments: what they write about, how often, and how their scores differ.

:func:`find_themes` turns each comment into TF-IDF weights of its words and word pairs (stop words
of the comments' language left out, :mod:`bsc.themes.stopwords`) and factors the comments × terms
matrix into ``N`` themes by non-negative matrix factorisation (scikit-learn's ``NMF``, seeded):
each theme is a weighting of terms, each comment a mix of themes. A comment *is about* the theme
with the largest weight in its mix, unless that weight is under :data:`MIN_WEIGHT` times the
median comment's largest weight (then it is about none: its words are too rare to form a theme).
For each theme:

- **top words**: its highest-weighted terms; its label is the first three until someone names it;
- **share**: comments about it ÷ comments;
- **trend**: its share per month; the last :data:`WINDOW` months against the :data:`WINDOW`
  before them, pooled, by the scorecard's two-proportion test (:func:`bsc.change_tests.judge_change`):
  flagged when a real change at 5 %;
- **NPS effect**: the mean 0–10 answer of those who wrote about it minus that of every other
  answer (those who wrote about something else and those who wrote nothing), with a 95 %
  Welch interval :math:`\Delta \pm t_{0.975,\nu}\sqrt{s_1^2/n_1 + s_2^2/n_2}`;
- **examples**: up to three distinct comments most about it, as plain text.

For speed the factorisation is learned on at most :data:`MAX_FIT_COMMENTS` comments drawn at
random (seeded) and then applied to every comment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from bsc.change_tests import judge_change
from bsc.errors import InputError
from bsc.result_files import keep_type
from bsc.themes.stopwords import comment_language, stop_words

__all__ = [
    "DEFAULT_THEMES",
    "MAX_THEMES",
    "Theme",
    "ThemeAnalysis",
    "comments_frame",
    "find_themes",
    "theme_key",
]

DEFAULT_THEMES = 8
MAX_THEMES = 20
MIN_COMMENTS = 30
MAX_FIT_COMMENTS = 20_000
WINDOW = 3
TOP_WORDS = 6
EXAMPLES = 3
SEED = 20260101
MIN_WEIGHT = 0.2


@keep_type
@dataclass(frozen=True)
class Theme:
    """One theme: its words, share of comments, recent change and NPS effect (see the module)."""

    key: str
    top_words: tuple[str, ...]
    label: str
    comments: int
    share: float
    nps_effect: float
    ci_low: float
    ci_high: float
    examples: tuple[str, ...]
    share_before: float = math.nan
    share_after: float = math.nan
    change_p_value: float = math.nan
    change_real: bool = False

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "top_words": list(self.top_words),
            "share": self.share,
            "comments": self.comments,
            "nps_effect": self.nps_effect,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "examples": list(self.examples),
            "share_before": self.share_before,
            "share_after": self.share_after,
            "change_p_value": self.change_p_value,
            "change_real": self.change_real,
            "key": self.key,
        }


@keep_type
@dataclass(frozen=True)
class ThemeAnalysis:
    """Every theme of the comments, largest share first, and their shares per month
    (``trend``: columns ``period``, ``key``, ``comments``, ``total``, ``share``)."""

    themes: tuple[Theme, ...]
    comments: int
    answers: int
    language: str
    trend: pd.DataFrame
    before_periods: str = ""
    after_periods: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def theme_key(top_words: tuple[str, ...]) -> str:
    """A theme's name in the store: its three top words, sorted, so that the same theme found
    again (same data, same seed, or a refit on a little more data) keeps its user's label."""
    return "|".join(sorted(top_words[:3]))


def find_themes(
    frame: pd.DataFrame, *, themes: int | None = None, seed: int = SEED, score: str = "nps"
) -> ThemeAnalysis:
    """The themes of ``frame["comment"]``; ``frame`` may hold a ``score`` column (0–10) for the
    NPS effect and a ``date`` column for the trend.

    Raises
    ------
    InputError
        Without a comment column, with fewer than :data:`MIN_COMMENTS` comments, a number of
        themes outside 2..:data:`MAX_THEMES`, or comments with too few distinct words.
    """
    count = DEFAULT_THEMES if themes is None else themes
    if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= MAX_THEMES:
        raise InputError(
            f"The number of themes must be a whole number from 2 to {MAX_THEMES}, not {themes!r}."
        )
    if "comment" not in frame.columns:
        raise InputError(
            "These tables have no comment column: map a free-text column of a survey as Comment."
        )
    text = frame["comment"].astype("string").str.strip()
    written = text.notna() & (text.str.len() > 0)
    comments = text[written].astype(str).to_numpy()
    if len(comments) < MIN_COMMENTS:
        raise InputError(f"Only {len(comments)} comments: at least {MIN_COMMENTS} are needed to find themes.")
    language = comment_language(comments[:5000])
    rng = np.random.default_rng(seed)
    fit_rows = (
        np.sort(rng.choice(len(comments), MAX_FIT_COMMENTS, replace=False))
        if len(comments) > MAX_FIT_COMMENTS
        else np.arange(len(comments))
    )
    vectorizer = TfidfVectorizer(
        stop_words=stop_words(language),
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.5,
        max_features=5000,
        sublinear_tf=True,
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
    )
    try:
        fit_matrix = vectorizer.fit_transform(comments[fit_rows])
    except ValueError as error:
        raise InputError(f"The comments have too few distinct words to find themes ({error}).") from None
    terms = vectorizer.get_feature_names_out()
    count = min(count, max(2, len(terms) // 2))
    with threadpool_limits(limits=1):
        model = NMF(n_components=count, init="nndsvda", random_state=seed, max_iter=400)
        model.fit(fit_matrix)
        mix = model.transform(vectorizer.transform(comments))
    # A comment whose strongest theme weighs less than a fifth of a typical comment's strongest
    # is about none of them: its words belong to no theme (too rare to make one of their own).
    strongest = mix.max(axis=1)
    floor = MIN_WEIGHT * float(np.median(strongest[strongest > 0])) if (strongest > 0).any() else 0.0
    about = np.where(strongest > floor, mix.argmax(axis=1), -1)
    scores = pd.to_numeric(frame[score], errors="coerce").to_numpy(dtype=float) if score in frame else None
    periods = _months(frame, written)
    found = []
    trend_rows = []
    before_label = after_label = ""
    for k in range(count):
        weights = model.components_[k]
        top = tuple(terms[i] for i in np.argsort(-weights)[:TOP_WORDS] if weights[i] > 0)
        members = about == k
        effect = (
            _score_difference(scores, written.to_numpy(), members) if scores is not None else (math.nan,) * 3
        )
        theme = Theme(
            key=theme_key(top),
            top_words=top,
            label=", ".join(top[:3]),
            comments=int(members.sum()),
            share=float(members.mean()),
            nps_effect=effect[0],
            ci_low=effect[1],
            ci_high=effect[2],
            examples=_examples(comments, mix[:, k], members),
        )
        if periods is not None:
            per_month, change, before_label, after_label = _trend(periods, members)
            trend_rows.append(per_month.assign(key=theme.key))
            theme = _with_change(theme, change)
        found.append(theme)
    found.sort(key=lambda t: -t.share)
    trend = (
        pd.concat(trend_rows, ignore_index=True)
        if trend_rows
        else pd.DataFrame(columns=["period", "comments", "total", "share", "key"])
    )
    notes = []
    if len(comments) > MAX_FIT_COMMENTS:
        notes.append(
            f"Themes learned on {MAX_FIT_COMMENTS:,} of {len(comments):,} comments drawn at random, then "
            "applied to all."
        )
    return ThemeAnalysis(
        themes=tuple(found),
        comments=len(comments),
        answers=len(frame),
        language=language,
        trend=trend,
        before_periods=before_label,
        after_periods=after_label,
        notes=tuple(notes),
    )


def _months(frame: pd.DataFrame, written: pd.Series) -> np.ndarray | None:
    if "date" not in frame.columns:
        return None
    dates = pd.to_datetime(frame.loc[written, "date"], errors="coerce")
    if dates.notna().sum() == 0:
        return None
    return dates.dt.to_period("M").astype("string").fillna("").to_numpy()


def _trend(periods: np.ndarray, members: np.ndarray) -> tuple[pd.DataFrame, dict, str, str]:
    """Share per month, and the last WINDOW months against the WINDOW before them."""
    table = pd.DataFrame({"period": periods, "member": members})
    table = table[table["period"] != ""]
    per_month = table.groupby("period")["member"].agg(comments="sum", total="size").reset_index()
    per_month["share"] = per_month["comments"] / per_month["total"]
    change: dict = {}
    before_label = after_label = ""
    if len(per_month) >= 2 * WINDOW:
        after, before = per_month.iloc[-WINDOW:], per_month.iloc[-2 * WINDOW : -WINDOW]
        pooled = [
            {"numerator": float(part["comments"].sum()), "denominator": float(part["total"].sum())}
            for part in (before, after)
        ]
        verdict = judge_change("proportion", pooled[0], pooled[1])
        change = {
            "before": pooled[0]["numerator"] / pooled[0]["denominator"],
            "after": pooled[1]["numerator"] / pooled[1]["denominator"],
            "p_value": verdict.p_value,
            "real": verdict.real,
        }
        before_label = f"{before['period'].iloc[0]} to {before['period'].iloc[-1]}"
        after_label = f"{after['period'].iloc[0]} to {after['period'].iloc[-1]}"
    return per_month, change, before_label, after_label


def _with_change(theme: Theme, change: dict) -> Theme:
    if not change:
        return theme
    return Theme(
        **{
            **theme.__dict__,
            "share_before": float(change["before"]),
            "share_after": float(change["after"]),
            "change_p_value": float(change["p_value"]),
            "change_real": bool(change["real"]),
        }
    )


def _score_difference(
    scores: np.ndarray, written: np.ndarray, members: np.ndarray
) -> tuple[float, float, float]:
    """Mean score of the theme's writers minus every other answer's, with a 95 % Welch interval."""
    inside = np.zeros(len(scores), dtype=bool)
    inside[np.flatnonzero(written)[members]] = True
    answered = ~np.isnan(scores)
    first, second = scores[inside & answered], scores[~inside & answered]
    if len(first) < 2 or len(second) < 2:
        return (math.nan, math.nan, math.nan)
    difference = float(first.mean() - second.mean())
    var_1, var_2 = first.var(ddof=1) / len(first), second.var(ddof=1) / len(second)
    error = math.sqrt(var_1 + var_2)
    if error == 0:
        return (difference, difference, difference)
    freedom = (var_1 + var_2) ** 2 / (var_1**2 / (len(first) - 1) + var_2**2 / (len(second) - 1))
    margin = float(scipy_stats.t.ppf(0.975, freedom)) * error
    return (difference, difference - margin, difference + margin)


def _examples(comments: np.ndarray, weights: np.ndarray, members: np.ndarray) -> tuple[str, ...]:
    """Up to :data:`EXAMPLES` distinct comments about the theme, most about it first."""
    chosen: list[str] = []
    for row in np.argsort(-np.where(members, weights, -1.0))[: 50 * EXAMPLES]:
        if not members[row]:
            break
        text = str(comments[row])
        if text not in chosen:
            chosen.append(text)
        if len(chosen) == EXAMPLES:
            break
    return tuple(chosen)


def comments_frame(tables: Mapping[str, Sequence[Path | str]]) -> pd.DataFrame:
    """The survey answers of a workspace's feedback tables: ``comment``, and ``nps`` and ``date``
    where the tables have them.

    Raises
    ------
    InputError
        When no feedback table has a comment column.
    """
    parts = [pd.read_parquet(path) for path in tables.get("feedback", ())]
    parts = [part[[c for c in ("comment", "nps", "date") if c in part.columns]] for part in parts]
    parts = [part for part in parts if "comment" in part.columns]
    if not parts:
        raise InputError(
            "These tables have no comment column: map a free-text column of a survey as Comment."
        )
    return pd.concat(parts, ignore_index=True)
