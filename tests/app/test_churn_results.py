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


@pytest.mark.parametrize(("limit_mb", "n_jobs"), [("64", 2), ("0", 1)])
def test_folds_in_worker_processes_only_on_data_small_enough(
    limit_mb: str, n_jobs: int, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    # One table file of 1,000 bytes: under 64 MB two worker processes fit the folds; over a
    # limit of 0 MB the server fits them itself (no two more processes beside the data it holds).
    orders = tmp_path / "orders.parquet"
    orders.write_bytes(b"x" * 1000)
    monkeypatch.setenv("BSC_FIT_WORKER_MAX_MB", limit_mb)
    asked: list[int | None] = []
    monkeypatch.setattr(churn_results, "churn_data_from_workspace", lambda *args, **kwargs: "data")
    monkeypatch.setattr(
        churn_results, "churn_analysis", lambda data, **kwargs: asked.append(kwargs["n_jobs"]) or "analysis"
    )
    monkeypatch.setattr(churn_results, "churn_lab_result", lambda analysis: analysis)
    assert churn_results.churn_lab({"transactions": [str(orders)]}, "orders", 90, None) == "analysis"
    assert asked == [n_jobs]
