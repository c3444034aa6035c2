"""Churn analyses kept for every session: fitted once per data and settings, then shared.

The churn lab and the Scorecard's churn forecast fit the same analysis for the same workspace
and settings; whichever page comes first fits it, the other finds it here. At most
:data:`KEPT` analyses and :data:`KEPT_BYTES` of their frames are kept in memory, the least
recently used dropped first (see
:class:`ui.shared_results.SharedResults`). What the lab draws of an analysis
(:func:`churn_lab`) is kept on disk with the workspace's results, under :data:`LAB`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bsc.cache_keys import cache_key
from bsc.churn import ChurnAnalysis, ChurnData, analyse_churn, churn_data_from_workspace
from bsc.churn.analysis import TRAINING_SAMPLE
from bsc.churn.lab_result import ChurnLabResult, churn_lab_result
from bsc.churn.model import ModelChoice, Progress
from ui.shared_results import frames_bytes, shared_results

# The name of the Churn lab's results among the results kept with the workspace's data.
LAB = "churn_lab"
# A fitted analysis holds two models and the out-of-fold scores of every customer: keep a few,
# and at most KEPT_BYTES of their customers' frames. At 1M customers / 10M orders an analysis
# holds up to about 140 MB of frames (its labelled and its current customers, measured in the
# server), so six of them (the lab's settings tried one after another) would have held 0.8 GB.
KEPT = 6
KEPT_BYTES = 512 * 2**20


def analysis_key(
    data: ChurnData, model: ModelChoice = "auto", include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> str:
    """The key of an analysis: the data's fingerprint, the model and the columns chosen by hand."""
    return cache_key(data.fingerprint(), model, tuple(sorted(set(include))), tuple(sorted(set(exclude))))


def churn_analysis(
    data: ChurnData,
    *,
    model: ModelChoice = "auto",
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    n_jobs: int | None = 1,
    progress: Progress | None = None,
) -> ChurnAnalysis:
    """The kept analysis of ``data`` with these settings, fitted by :func:`bsc.churn.analyse_churn`
    (reporting to ``progress``) when none is kept.

    The analysis does not depend on ``n_jobs``; it is left out of the key.

    Raises
    ------
    InputError
        As :func:`bsc.churn.analyse_churn`; nothing is kept then.
    """
    include, exclude = tuple(include), tuple(exclude)
    analyses = shared_results("churn analyses", max_entries=KEPT, max_bytes=KEPT_BYTES)
    key = analysis_key(data, model, include, exclude)
    analysis = analyses.get(key)
    if analysis is None:
        analysis = analyse_churn(
            data, model=model, include=include, exclude=exclude, n_jobs=n_jobs, progress=progress
        )
        analyses.put(key, analysis, frames_bytes(analysis))
    return analysis


def churn_lab(
    tables: dict,
    source: str,
    horizon: int,
    cutoff: dt.date | None,
    model: ModelChoice = "auto",
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> ChurnLabResult:
    """What the Churn lab shows of the analysis of the workspace's ``tables``: churn per ``source``
    in the ``horizon`` days after ``cutoff`` (:func:`bsc.churn.churn_data_from_workspace`; 0 and
    None for a churn column), fitted with these settings (:func:`churn_analysis`).

    Raises
    ------
    InputError
        When the data cannot give this definition of churn or cannot be analysed.
    """
    # Features for the training sample and the customers to score only (the same analysis as
    # from every labelled customer's features: the sample is drawn as analyse_churn draws it).
    data = churn_data_from_workspace(
        tables, source=source, horizon_days=horizon, cutoff=cutoff, sample=TRAINING_SAMPLE
    )
    analysis = churn_analysis(data, model=model, include=include, exclude=exclude, n_jobs=2)
    return churn_lab_result(analysis)
