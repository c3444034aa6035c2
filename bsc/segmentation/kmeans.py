"""k-means segments of customers: the :class:`CustomerSegmentation` estimator.

A scikit-learn style estimator: features prepared by :mod:`bsc.segmentation.preparation`, k
given or chosen among 2–10 (:mod:`bsc.segmentation.number_of_segments`), k-means fitted on
every customer, stability measured by refits with other seeds, and the segments described by
:mod:`bsc.segmentation.profiles`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from bsc.errors import InputError
from bsc.segmentation.number_of_segments import SampleSilhouette, choose_k, inertia_elbow
from bsc.segmentation.preparation import (
    SCALINGS,
    TRANSFORMS,
    Scaling,
    default_transforms,
    feature_preprocessor,
)
from bsc.segmentation.profiles import checked_names, segment_profiles, suggest_names

__all__ = ["CustomerSegmentation", "Progress", "Projection"]

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Projection:
    """Customers on the first two principal components of the prepared features.

    Attributes
    ----------
    points
        Columns ``pc1``, ``pc2``, ``segment``; a random sample of at most ``max_points`` rows.
    explained
        Share of the prepared features' variance along each component (0–1).
    """

    points: pd.DataFrame
    explained: tuple[float, float]


class CustomerSegmentation(ClusterMixin, BaseEstimator):
    """k-means segments of customers, with the number of segments found or given.

    Parameters
    ----------
    n_clusters
        Number of segments, or ``"auto"`` to choose among ``k_min``–``k_max`` (see Notes).
    k_min, k_max
        Range of k tried by ``"auto"`` (default 2–10).
    transforms
        Feature -> ``"log1p"`` (signed, see :func:`signed_log1p`) or ``"none"``; features not
        listed follow :func:`default_transforms`.
    scaling
        ``"standard"`` (mean 0, standard deviation 1) or ``"robust"`` (median 0, interquartile
        range 1; less pulled by outliers).
    random_state
        Seed of every random choice (k-means starts, the silhouette sample, the PCA sample):
        the same data and parameters give the same segments.
    n_init
        k-means runs per k, the best (lowest inertia) kept.
    minibatch_above
        Above this many customers, :class:`~sklearn.cluster.MiniBatchKMeans` replaces
        :class:`~sklearn.cluster.KMeans` (measured: full k-means is faster up to a few hundred
        thousand customers with a handful of features).
    silhouette_sample
        Customers the silhouette is computed on (all of them when fewer); its cost grows with
        the square of this number.
    scan_sample
        Customers the k scan and the stability refits are fitted on (all of them when fewer).
    stability_runs
        Refits, each with another seed on another random sample of ``scan_sample`` customers,
        whose segments are compared with the chosen ones on the same customers.
    stable_ari
        Mean adjusted Rand index below which the segments are reported as unstable.
    threads
        Threads the k-means and distance computations may use (None: every core). One thread
        leaves the other cores to other users of the app, and is measured several times faster
        than two on a busy two-core machine, where waiting threads spin.

    Attributes
    ----------
    feature_names_in_ : numpy.ndarray
        The features, in the order of the columns given to :meth:`fit`.
    transforms_ : dict[str, str]
        The transform applied to each feature.
    missing_ : pandas.Series
        Customers without a value, per feature; they get the feature's median.
    preprocessor_ : sklearn.compose.ColumnTransformer
        Imputation, transforms and scaling, fitted.
    model_ : KMeans or MiniBatchKMeans
        The fitted k-means model of the chosen k.
    k_ : int
        Number of segments.
    k_scores_ : pandas.DataFrame
        Columns ``k``, ``silhouette``, ``inertia``: one row per k tried (one row with a fixed k).
    elbow_k_ : int or None
        k at the elbow of the inertia curve (None with a fixed k or fewer than three k tried).
    k_reason_ : str
        Why this k, in one sentence.
    labels_ : numpy.ndarray
        Segment of each customer, 0 to k − 1, numbered from the largest segment down.
    silhouette_ : float
        Mean silhouette of the segments (on the sample), −1 to 1; higher is better separated.
    stability_scores_ : list[float]
        Adjusted Rand index between ``labels_`` and each refit (1 = same segments, about
        0 = unrelated), over the refit's customers.
    stability_ari_ : float
        Mean of ``stability_scores_`` (1.0 when ``stability_runs`` is 0).
    stable_ : bool
        ``stability_ari_ >= stable_ari``.
    profiles_ : Profiles
        Sizes, means and z-scores of the segments over the features given to :meth:`fit`.
    names_ : dict[int, str]
        Suggested segment names (see :func:`suggest_names`).

    Notes
    -----
    With ``n_clusters="auto"``, each k of the range is fitted once (one k-means++ start) on
    ``scan_sample`` customers drawn at random and scored by its mean silhouette (on the first
    ``silhouette_sample`` of them, the same for every k) and its inertia (sum of squared
    distances to the segment centres, over the scan sample). The chosen k is then fitted on
    every customer with ``n_init`` starts. The elbow is the k farthest
    from the straight line joining the first and last points of the inertia curve, both axes
    scaled to 0–1. The chosen k is the one with the best silhouette; when several are within
    0.02 of it, the one nearest the elbow.
    """

    def __init__(
        self,
        n_clusters: int | Literal["auto"] = "auto",
        *,
        k_min: int = 2,
        k_max: int = 10,
        transforms: Mapping[str, str] | None = None,
        scaling: Scaling = "standard",
        random_state: int = 42,
        n_init: int = 3,
        minibatch_above: int = 300_000,
        silhouette_sample: int = 4000,
        scan_sample: int = 25_000,
        stability_runs: int = 4,
        stable_ari: float = 0.8,
        threads: int | None = 1,
    ) -> None:
        self.n_clusters = n_clusters
        self.k_min = k_min
        self.k_max = k_max
        self.transforms = transforms
        self.scaling = scaling
        self.random_state = random_state
        self.n_init = n_init
        self.minibatch_above = minibatch_above
        self.silhouette_sample = silhouette_sample
        self.scan_sample = scan_sample
        self.stability_runs = stability_runs
        self.stable_ari = stable_ari
        self.threads = threads

    # -- fitting -----------------------------------------------------------------------------

    def fit(
        self, X: pd.DataFrame, y: None = None, *, progress: Progress | None = None
    ) -> CustomerSegmentation:
        """Prepare the features, choose k when asked, fit k-means and describe the segments.

        Parameters
        ----------
        X
            One row per customer, one numeric column per feature (missing values allowed).
        y
            Ignored.
        progress
            Called with the share of the work done (0–1) and what is being done.

        Raises
        ------
        InputError
            For an unknown transform or scaling, a feature without any value or not numeric,
            fewer customers than segments, or an impossible k.
        """
        with threadpool_limits(limits=self.threads):
            return self._fit(X, progress or (lambda share, message: None))

    def _fit(self, X: pd.DataFrame, report: Progress) -> CustomerSegmentation:
        frame = self._checked_frame(X)
        ks = self._ks(frame)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.transforms_ = self._transforms(frame)
        self.missing_ = frame.isna().sum().astype("int64")

        report(0.0, "Preparing the features")
        self.preprocessor_ = feature_preprocessor(self.transforms_, self.scaling).fit(frame)
        prepared = np.ascontiguousarray(self.preprocessor_.transform(frame), dtype=np.float64)
        distinct = len(np.unique(prepared, axis=0)) if len(prepared) <= 50_000 else len(prepared)
        if distinct < max(ks):
            raise InputError(
                f"Only {distinct} customers differ in these features: ask for at most {distinct} segments "
                "or choose other features."
            )
        scan = self._sample_rows(len(prepared), self.scan_sample, self.random_state)
        scored = scan[: self.silhouette_sample]
        silhouette = SampleSilhouette(prepared[scored])

        auto = self.n_clusters == "auto"
        steps = (len(ks) if auto else 0) + 1 + self.stability_runs + 1
        done = 0
        rows = []
        if auto:
            for k in ks:
                report(done / steps, f"Trying k = {k}")
                trial = self._kmeans(k, self.random_state, len(scan), n_init=1).fit(prepared[scan])
                labels = trial.labels_[: len(scored)]
                rows.append({"k": k, "silhouette": silhouette.score(labels), "inertia": trial.inertia_})
                done += 1
            self.k_scores_ = pd.DataFrame(rows, columns=["k", "silhouette", "inertia"])
            self.elbow_k_ = inertia_elbow(self.k_scores_) if len(ks) >= 3 else None
        else:
            self.elbow_k_ = None
            self.k_scores_ = pd.DataFrame(columns=["k", "silhouette", "inertia"])

        k = ks[0] if not auto else self._choose_k()[0]
        report(done / steps, f"Fitting k-means with k = {k} on all {len(prepared):,} customers")
        model = self._kmeans(k, self.random_state, len(prepared), n_init=self.n_init).fit(prepared)
        done += 1
        if not auto:
            score = silhouette.score(model.labels_[scored])
            self.k_scores_ = pd.DataFrame([{"k": k, "silhouette": score, "inertia": float(model.inertia_)}])
        self.k_, self.k_reason_ = self._choose_k()

        # Number segments from the largest down so that "segment 0" means the same on every run.
        counts = np.bincount(model.labels_, minlength=k)
        order = np.argsort(-counts, kind="stable")
        self._segment_of_cluster = np.empty(k, dtype=np.int64)
        self._segment_of_cluster[order] = np.arange(k)
        self.model_ = model
        self.labels_ = self._segment_of_cluster[model.labels_]
        self.silhouette_ = silhouette.score(model.labels_[scored])
        del silhouette

        self.stability_scores_ = []
        for run in range(self.stability_runs):
            report(done / steps, f"Checking stability: refit {run + 1} of {self.stability_runs}")
            rows_drawn = self._sample_rows(len(prepared), self.scan_sample, self.random_state + 1 + run)
            refit = self._kmeans(k, self.random_state + 1 + run, len(rows_drawn), n_init=self.n_init)
            refit.fit(prepared[rows_drawn])
            ari = adjusted_rand_score(model.labels_[rows_drawn], refit.labels_)
            self.stability_scores_.append(float(ari))
            done += 1
        self.stability_ari_ = float(np.mean(self.stability_scores_)) if self.stability_scores_ else 1.0
        self.stable_ = self.stability_ari_ >= self.stable_ari

        report((steps - 1) / steps, "Describing the segments")
        self.profiles_ = segment_profiles(frame, self.labels_)
        self.names_ = {int(k): v for k, v in suggest_names(self.profiles_.z_scores).items()}
        report(1.0, "Done")
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The segment (0 to k − 1, numbered as in ``labels_``) of each row of ``X``."""
        check_is_fitted(self, "model_")
        frame = self._checked_frame(X, fitting=False)
        prepared = self.preprocessor_.transform(frame)
        with threadpool_limits(limits=self.threads):
            return self._segment_of_cluster[self.model_.predict(prepared)]

    def project(self, X: pd.DataFrame, *, max_points: int = 3000) -> Projection:
        """The customers of ``X`` on two principal components, for a scatter plot.

        The PCA is fitted on every customer's prepared features; at most ``max_points``
        customers, drawn at random (seeded), are returned.
        """
        check_is_fitted(self, "model_")
        frame = self._checked_frame(X, fitting=False)
        prepared = self.preprocessor_.transform(frame)
        components = min(2, prepared.shape[1])
        pca = PCA(n_components=components, random_state=self.random_state).fit(prepared)
        points = pca.transform(prepared)
        if components == 1:
            points = np.column_stack([points[:, 0], np.zeros(len(points))])
        rows = np.random.default_rng(self.random_state).permutation(len(points))[:max_points]
        rows.sort()
        explained = [*pca.explained_variance_ratio_.tolist(), 0.0][:2]
        return Projection(
            points=pd.DataFrame(
                {
                    "pc1": points[rows, 0],
                    "pc2": points[rows, 1],
                    "segment": self.predict(frame.iloc[rows]),
                },
                index=frame.index[rows],
            ),
            explained=(float(explained[0]), float(explained[1])),
        )

    def segment_names(self, renamed: Mapping[int, str] | None = None) -> dict[int, str]:
        """Suggested names with the user's renames applied.

        Raises
        ------
        InputError
            When a name is empty or two segments share one.
        """
        check_is_fitted(self, "model_")
        names = dict(self.names_)
        for segment, name in (renamed or {}).items():
            if int(segment) in names:
                names[int(segment)] = " ".join(str(name).split())
        return checked_names(names)

    # -- helpers -----------------------------------------------------------------------------

    def _checked_frame(self, X: pd.DataFrame, *, fitting: bool = True) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise InputError("Segmentation needs a table of features with named columns.")
        if not fitting:
            missing = [name for name in self.feature_names_in_ if name not in X.columns]
            if missing:
                raise InputError(f"These features are missing: {', '.join(missing)}.")
            return X[list(self.feature_names_in_)].astype("float64")
        if X.shape[1] == 0:
            raise InputError("Choose at least one feature to segment customers by.")
        not_numeric = [name for name in X.columns if not pd.api.types.is_numeric_dtype(X[name])]
        if not_numeric:
            raise InputError(f"Features must be numbers; not: {', '.join(map(str, not_numeric))}.")
        frame = X.astype("float64")
        empty = [name for name in frame.columns if frame[name].isna().all()]
        if empty:
            raise InputError(f"No customer has a value for {', '.join(map(str, empty))}; leave it out.")
        if self.scaling not in SCALINGS:
            raise InputError(f"Unknown scaling {self.scaling!r}; choose one of {', '.join(SCALINGS)}.")
        return frame

    def _ks(self, frame: pd.DataFrame) -> list[int]:
        customers = len(frame)
        if customers < 3:
            raise InputError(f"Segmentation needs at least 3 customers; there are {customers}.")
        if self.n_clusters == "auto":
            low, high = int(self.k_min), min(int(self.k_max), customers - 1)
            if low < 2 or high < low:
                raise InputError(
                    f"Cannot try k from {self.k_min} to {self.k_max} with {customers} customers."
                )
            return list(range(low, high + 1))
        if isinstance(self.n_clusters, bool) or not isinstance(self.n_clusters, int | np.integer):
            raise InputError(
                f"The number of segments must be a whole number or 'auto', not {self.n_clusters!r}."
            )
        k = int(self.n_clusters)
        if not 2 <= k <= customers - 1:
            raise InputError(f"The number of segments must be between 2 and {customers - 1}; {k} was asked.")
        return [k]

    def _transforms(self, frame: pd.DataFrame) -> dict[str, str]:
        chosen = dict(default_transforms(frame))
        for name, transform in (self.transforms or {}).items():
            if name not in chosen:
                continue
            if transform not in TRANSFORMS:
                raise InputError(
                    f"Unknown transform {transform!r} for {name}; choose one of {', '.join(TRANSFORMS)}."
                )
            chosen[name] = transform
        return chosen

    def _kmeans(self, k: int, seed: int, rows: int, *, n_init: int) -> KMeans | MiniBatchKMeans:
        if rows > self.minibatch_above:
            return MiniBatchKMeans(n_clusters=k, n_init=n_init, random_state=seed, batch_size=4096)
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed)

    @staticmethod
    def _sample_rows(rows: int, size: int, seed: int) -> np.ndarray:
        """``size`` distinct row numbers drawn at random (all rows, shuffled, when fewer)."""
        return np.random.default_rng(seed).permutation(rows)[:size]

    def _choose_k(self) -> tuple[int, str]:
        return choose_k(self.k_scores_, self.elbow_k_, auto=self.n_clusters == "auto")
