"""How customer features are prepared for k-means: the default features, transforms and scaling.

Missing values get the feature's median, skewed money and counts go through a signed ``log1p``,
then every feature is scaled (standard or robust), all in one
:class:`~sklearn.compose.ColumnTransformer` (:func:`feature_preprocessor`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, RobustScaler, StandardScaler

from bsc.features import FEATURES

__all__ = [
    "DEFAULT_FEATURES",
    "SCALINGS",
    "TRANSFORMS",
    "Scaling",
    "Transform",
    "default_transforms",
    "feature_preprocessor",
    "signed_log1p",
]

Transform = Literal["log1p", "none"]
Scaling = Literal["standard", "robust"]
TRANSFORMS: tuple[Transform, ...] = ("log1p", "none")
SCALINGS: tuple[Scaling, ...] = ("standard", "robust")
DEFAULT_FEATURES: tuple[str, ...] = ("recency_days", "frequency", "monetary", "tenure_days")

# Sample skewness above which a non-negative attribute gets log1p by default.
SKEWED = 1.0


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """:math:`\\operatorname{sign}(x)\\,\\log(1 + |x|)`: ``log1p`` that keeps negative values.

    Equal to ``log1p`` for :math:`x \\ge 0`; a customer whose returns exceed their purchases
    (negative monetary value) stays on the scale, mirrored below zero.
    """
    return np.sign(values) * np.log1p(np.abs(values))


def default_transforms(features: pd.DataFrame) -> dict[str, Transform]:
    """``log1p`` for skewed features, ``none`` for the others.

    Known features follow :attr:`bsc.features.FeatureDef.skewed` (money and counts); other
    columns get ``log1p`` when they are never negative and their sample skewness exceeds 1.
    """
    transforms: dict[str, Transform] = {}
    for name in features.columns:
        if name in FEATURES:
            transforms[name] = "log1p" if FEATURES[name].skewed else "none"
            continue
        values = features[name].dropna()
        skewed = len(values) > 2 and values.min() >= 0 and values.skew() > SKEWED
        transforms[name] = "log1p" if skewed else "none"
    return transforms


def feature_preprocessor(transforms: Mapping[str, str], scaling: Scaling) -> ColumnTransformer:
    """Median imputation, the chosen transform and scaling of each feature, unfitted.

    Features are grouped by transform (``log1p`` first, then ``none``); each group is imputed
    with its median, passed through :func:`signed_log1p` when asked, and scaled with
    :class:`~sklearn.preprocessing.StandardScaler` (``"standard"``) or
    :class:`~sklearn.preprocessing.RobustScaler` (``"robust"``). Other columns are dropped.
    """
    scaler = StandardScaler if scaling == "standard" else RobustScaler
    groups: list[tuple[str, Pipeline, list[str]]] = []
    for transform in TRANSFORMS:
        columns = [name for name, chosen in transforms.items() if chosen == transform]
        if not columns:
            continue
        steps: list[tuple[str, object]] = [("impute", SimpleImputer(strategy="median"))]
        if transform == "log1p":
            steps.append(("log1p", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")))
        steps.append(("scale", scaler()))
        groups.append((transform, Pipeline(steps), columns))
    return ColumnTransformer(groups, remainder="drop", verbose_feature_names_out=False)
