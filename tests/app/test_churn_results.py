"""Churn analyses kept for every session, by the data's fingerprint and the settings."""

from __future__ import annotations

import pytest

from bsc.churn import churn_data_from_table
from tests.churn_tables import signal_table
from ui import churn_results
from ui.churn_results import analysis_key, churn_analysis
from ui.shared_results import frames_bytes, shared_results

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
]


def test_analyses_are_kept_by_data_and_parameters(monkeypatch: pytest.MonkeyPatch):
    data = churn_data_from_table(signal_table(300))
    first = churn_analysis(data)
    fits = []
    monkeypatch.setattr(churn_results, "analyse_churn", lambda *args, **kwargs: fits.append(1))
    # The same data read again, and the same settings: the kept analysis, without a fit.
    assert churn_analysis(churn_data_from_table(signal_table(300)), n_jobs=2) is first
    assert not fits
    churn_analysis(data, exclude=["noise"])
    assert fits == [1]


def test_the_key_ignores_the_order_of_columns_chosen_by_hand():
    data = churn_data_from_table(signal_table(100))
    assert analysis_key(data, "auto", ["a", "b"], []) == analysis_key(data, "auto", ("b", "a", "a"), ())
    assert analysis_key(data, "auto", ["a"], []) != analysis_key(data, "auto", [], ["a"])
    assert analysis_key(data, "auto") != analysis_key(data, "gbm")


def test_analyses_are_kept_within_a_bound_in_bytes(monkeypatch: pytest.MonkeyPatch):
    # Room for one analysis's frames and a half: keeping a second drops the first (the least
    # recently used), which is then fitted again when asked.
    older = churn_data_from_table(signal_table(300))
    newer = churn_data_from_table(signal_table(301))
    one = frames_bytes(churn_analysis(older))
    monkeypatch.setattr(churn_results, "KEPT_BYTES", int(one * 1.5))
    first = churn_analysis(older)
    second = churn_analysis(newer)
    kept = shared_results("churn analyses", max_entries=churn_results.KEPT, max_bytes=int(one * 1.5))
    assert len(kept) == 1
    assert one <= kept.kept_bytes <= one * 1.5
    assert churn_analysis(newer) is second
    assert churn_analysis(older) is not first
