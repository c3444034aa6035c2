"""How segments differ and what to call them: sizes, feature means, z-scores and names.

Both ways of segmenting (k-means and RFM) describe their segments with :func:`segment_profiles`;
:func:`suggest_names` proposes a short, distinct name for each from its z-score profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bsc.errors import InputError
from bsc.features import FEATURES

__all__ = ["Profiles", "checked_names", "segment_profiles", "suggest_names"]


@dataclass(frozen=True)
class Profiles:
    """How segments differ.

    Attributes
    ----------
    sizes
        Customers per segment (index: segment).
    means
        Segment × feature: the mean of each feature over the segment's customers who have a
        value (in the feature's own unit).
    z_scores
        Segment × feature: :math:`z = (\\bar x_{\\mathrm{segment}} - \\bar x) / s`, the segment
        mean against the mean over all customers, in standard deviations :math:`s` of all
        customers (population form). 0 for a feature without spread; NaN when the segment has
        no value for the feature.
    """

    sizes: pd.Series
    means: pd.DataFrame
    z_scores: pd.DataFrame


def segment_profiles(features: pd.DataFrame, segments: pd.Series | np.ndarray) -> Profiles:
    """Sizes, feature means and z-scores per segment.

    Parameters
    ----------
    features
        One row per customer (missing values allowed: each mean skips them).
    segments
        The segment of each row, aligned with ``features``.
    """
    segments = pd.Series(np.asarray(segments), index=features.index, name="segment")
    grouped = features.groupby(segments, sort=True)
    means = grouped.mean()
    overall_mean = features.mean()
    spread = features.std(ddof=0)
    z_scores = (means - overall_mean) / spread.where(spread > 0)
    z_scores.loc[:, spread.index[spread == 0]] = 0.0
    z_scores = z_scores.where(means.notna())
    sizes = grouped.size().rename("customers")
    return Profiles(sizes=sizes, means=means, z_scores=z_scores)


# Each archetype scores a segment by a weighted mean of its z-scores (features the workspace
# lacks are left out); see suggest_names.
_ARCHETYPES: tuple[tuple[str, Mapping[str, float]], ...] = (
    ("High-value loyal", {"frequency": 1.0, "monetary": 1.0, "recency_days": -1.0}),
    ("At risk", {"frequency": 0.5, "monetary": 0.5, "recency_days": 1.0}),
    ("Hibernating", {"recency_days": 1.0, "frequency": -0.5, "monetary": -0.5}),
    ("New", {"tenure_days": -1.0, "recency_days": -0.5}),
    ("Promising", {"recency_days": -1.0, "frequency": -0.5, "tenure_days": -0.25}),
    ("Big spenders", {"average_order_value": 1.0, "monetary": 0.5}),
    ("Unhappy", {"nps_mean": -1.0, "csat_mean": -1.0, "ces_mean": 1.0}),
    ("Needs support", {"tickets": 1.0, "first_response_hours": 0.5}),
)
_ARCHETYPE_FIT = 0.5  # weighted mean z-score an archetype needs to lend its name
_NOTABLE = 0.25  # |z| below this is "about average"
_WORDS: dict[str, tuple[str, str]] = {
    # feature: (word when above average, word when below)
    "recency_days": ("lapsed", "recent"),
    "frequency": ("frequent", "occasional"),
    "monetary": ("high-spend", "low-spend"),
    "average_order_value": ("large baskets", "small baskets"),
    "tenure_days": ("long-standing", "newer"),
    "nps_mean": ("promoters", "detractors"),
    "csat_mean": ("satisfied", "dissatisfied"),
    "ces_mean": ("high effort", "low effort"),
    "tickets": ("many tickets", "few tickets"),
    "first_response_hours": ("slow answers", "fast answers"),
    "loyalty_member": ("members", "non-members"),
}


def suggest_names(z_scores: pd.DataFrame) -> dict[object, str]:
    """A short, distinct name for each segment from its z-score profile.

    Each archetype (High-value loyal, At risk, Hibernating, New, Promising, Big spenders,
    Unhappy, Needs support) scores a segment by the weighted mean of its z-scores, e.g. At risk
    :math:`= (0.5 z_F + 0.5 z_M + z_R) / 2`, over the features present. Archetypes are handed
    out greedily, best score first, each to one segment, when the score reaches 0.5. Other
    segments are described by their two most distinctive features ("Recent, occasional"), or
    "Average" when no feature stands out (all :math:`|z| < 0.25`). Repeated names get a number.
    """
    scores: dict[tuple[object, str], float] = {}
    for segment, profile in z_scores.iterrows():
        for name, weights in _ARCHETYPES:
            present = {f: w for f, w in weights.items() if f in profile.index and pd.notna(profile[f])}
            total = sum(abs(w) for w in weights.values())
            if sum(abs(w) for w in present.values()) < total / 2:
                continue
            scores[(segment, name)] = sum(w * profile[f] for f, w in present.items()) / sum(
                abs(w) for w in present.values()
            )
    names: dict[object, str] = {}
    for (segment, name), score in sorted(scores.items(), key=lambda item: -item[1]):
        if score < _ARCHETYPE_FIT:
            break
        if segment not in names and name not in names.values():
            names[segment] = name
    for segment, profile in z_scores.iterrows():
        if segment not in names:
            names[segment] = _describe(profile)
    return _distinct({segment: names[segment] for segment in z_scores.index})


def _describe(profile: pd.Series) -> str:
    notable = profile.dropna()
    notable = notable[notable.abs() >= _NOTABLE]
    if notable.empty:
        return "Average"
    words = []
    for feature in notable.abs().sort_values(ascending=False).index[:2]:
        above, below = _WORDS.get(feature, (f"high {_label(feature)}", f"low {_label(feature)}"))
        words.append(above if profile[feature] > 0 else below)
    text = ", ".join(words)
    return text[0].upper() + text[1:]


def _label(feature: str) -> str:
    return FEATURES[feature].label.lower() if feature in FEATURES else feature.replace("_", " ")


def _distinct(names: dict[object, str]) -> dict[object, str]:
    seen: dict[str, int] = {}
    result = {}
    for segment, name in names.items():
        seen[name] = seen.get(name, 0) + 1
        result[segment] = name if seen[name] == 1 else f"{name} {seen[name]}"
    return result


def checked_names(names: dict[int, str]) -> dict[int, str]:
    """``names`` unchanged when every segment has its own, non-empty name.

    Raises
    ------
    InputError
        When a name is empty or two segments share one (ignoring case).
    """
    empty = [segment for segment, name in names.items() if not name]
    if empty:
        raise InputError("Every segment needs a name; one is empty.")
    seen: dict[str, int] = {}
    for segment, name in names.items():
        if name.casefold() in seen:
            raise InputError(f"Two segments are called “{name}”; give each segment its own name.")
        seen[name.casefold()] = segment
    return names
