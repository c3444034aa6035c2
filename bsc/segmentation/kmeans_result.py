"""A k-means segmentation as the page draws it: figures, segments and projection, kept as data.

:class:`~bsc.segmentation.kmeans.CustomerSegmentation` holds fitted scikit-learn objects, which
can only be kept by pickling them. :class:`KmeansSegments` holds what the Segmentation page shows
of one fit (the choice of k and its evidence, each customer's segment, the suggested names and
the customers on two principal components), made of plain values and tables only, so it can be
kept on disk with the workspace's results (:mod:`bsc.result_files`) and shared by every session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from bsc.result_files import keep_type
from bsc.segmentation.kmeans import CustomerSegmentation, Progress
from bsc.segmentation.preparation import Scaling
from bsc.segmentation.profiles import checked_names

__all__ = ["PROJECTED", "KmeansSegments", "params_text", "segment_customers"]

# Customers drawn on the projection chart: enough to see the shape, few enough to draw quickly.
PROJECTED = 3000


@keep_type
@dataclass(frozen=True)
class KmeansSegments:
    """One k-means fit as drawn (see :class:`~bsc.segmentation.kmeans.CustomerSegmentation` for
    what each figure means; the fields are its fitted attributes without the trailing ``_``).

    Attributes
    ----------
    labels
        One row per customer, in the order of the features fitted: column ``segment`` (0 to k − 1).
    sizes
        Customers per segment.
    missing
        Missing values per feature, filled with the feature's median before fitting.
    projection
        Columns ``pc1``, ``pc2``, ``segment``: at most :data:`PROJECTED` customers on the first two
        principal components of the prepared features, indexed by customer.
    explained
        The share of the prepared features' variance along each component (0–1).
    """

    k: int
    k_reason: str
    silhouette: float
    stability_ari: float
    stable: bool
    k_scores: pd.DataFrame
    elbow_k: int | None
    missing: dict[str, int]
    names: dict[int, str]
    labels: pd.DataFrame
    sizes: dict[int, int]
    scaling: str
    transforms: dict[str, str]
    projection: pd.DataFrame
    explained: tuple[float, float]

    def segment_names(self, renamed: Mapping[int, str] | None = None) -> dict[int, str]:
        """Suggested names with the user's renames applied (as
        :meth:`CustomerSegmentation.segment_names`).

        Raises
        ------
        InputError
            When a name is empty or two segments share one.
        """
        names = dict(self.names)
        for segment, name in (renamed or {}).items():
            if int(segment) in names:
                names[int(segment)] = " ".join(str(name).split())
        return checked_names(names)

    def customer_segments(self, names: Mapping[int, str], index: pd.Index) -> pd.Series:
        """Each customer's segment name (``names``: segment -> name, every segment named), in
        the order of :attr:`labels`, indexed by ``index`` (the customers fitted).

        A lookup of the labels in an array of the names: at a million customers a Python loop
        over them took a quarter of a second in every run of the page.
        """
        lookup = np.empty(max(names) + 1, dtype=object)
        for segment, name in names.items():
            lookup[int(segment)] = name
        return pd.Series(lookup[self.labels["segment"].to_numpy()], index=index, name="segment")


def segment_customers(
    features: pd.DataFrame,
    k: int | Literal["auto"],
    *,
    scaling: Scaling = "standard",
    transforms: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> KmeansSegments:
    """Fit :class:`CustomerSegmentation` on ``features`` (one row per customer, one column per
    feature) and keep what the page shows of it, with the projection of every customer.

    Raises
    ------
    InputError
        As :meth:`CustomerSegmentation.fit`.
    """
    model = CustomerSegmentation(k, scaling=scaling, transforms=dict(transforms or {}))
    model.fit(features, progress=progress)
    projection = model.project(features, max_points=PROJECTED)
    return KmeansSegments(
        k=int(model.k_),
        k_reason=str(model.k_reason_),
        silhouette=float(model.silhouette_),
        stability_ari=float(model.stability_ari_),
        stable=bool(model.stable_),
        k_scores=model.k_scores_.reset_index(drop=True),
        elbow_k=None if model.elbow_k_ is None else int(model.elbow_k_),
        missing={str(feature): int(count) for feature, count in model.missing_.items()},
        names={int(segment): str(name) for segment, name in model.names_.items()},
        labels=pd.DataFrame({"segment": model.labels_.astype("int64")}),
        sizes={int(segment): int(size) for segment, size in model.profiles_.sizes.items()},
        scaling=str(model.scaling),
        transforms={str(feature): str(how) for feature, how in model.transforms_.items()},
        projection=projection.points,
        explained=projection.explained,
    )


def params_text(
    features: Sequence[str], k: int | str, scaling: str, transforms: Sequence[tuple[str, str]] = ()
) -> str:
    """The settings of a fit in a few words, for the note shown beside an earlier result;
    ``transforms`` are those changed from the suggested ones."""
    count = "automatic number of segments" if k == "auto" else f"{k} segments"
    words = f"{len(features)} feature{'s' if len(features) != 1 else ''}, {count}, {scaling} scaling"
    if transforms:
        changed = ", ".join(f"{feature} {how}" for feature, how in transforms)
        words += f", transforms changed: {changed}"
    return words
