"""Churn analyses kept for every session: fitted once per data and settings, then shared.

The churn lab and the Scorecard's churn forecast fit the same analysis for the same workspace
and settings; whichever page comes first fits it, the other finds it here. At most
:data:`KEPT` analyses are kept, the least recently used dropped first (see
:class:`ui.shared_results.SharedResults`).
"""

from __future__ import annotations

from collections.abc import Iterable

from bsc.cache_keys import cache_key
from bsc.churn import ChurnAnalysis, ChurnData, analyse_churn
from bsc.churn.model import ModelChoice, Progress
from ui.shared_results import shared_results

# A fitted analysis holds two models and the out-of-fold scores of every customer: keep a few.
KEPT = 6


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
    analyses = shared_results("churn analyses", max_entries=KEPT)
    key = analysis_key(data, model, include, exclude)
    analysis = analyses.get(key)
    if analysis is None:
        analysis = analyse_churn(
            data, model=model, include=include, exclude=exclude, n_jobs=n_jobs, progress=progress
        )
        analyses.put(key, analysis)
    return analysis
