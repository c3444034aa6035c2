"""Strict JSON: no ``NaN`` or ``Infinity`` in any ``--json`` output."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bsc.json_output import NOT_FINITE, finite, strict_json

ROOT = Path(__file__).resolve().parents[1]
HUGE = ROOT / "tests" / "hostile" / "huge_amounts.csv"


def _strict_load(text: str):
    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


class TestFinite:
    @pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, np.float64("inf"), np.float32("nan")])
    def test_non_finite_numbers_become_null(self, bad):
        assert finite([1.5, bad, {"x": bad}]) == [1.5, None, {"x": None}]

    def test_a_value_gains_a_reason_unless_it_has_one(self):
        assert finite({"value": math.inf}) == {"value": None, "reason": NOT_FINITE}
        assert finite({"value": math.nan, "reason": "not enough history"}) == {
            "value": None,
            "reason": "not enough history",
        }
        assert finite({"value": 2.0, "reason": None}) == {"value": 2.0, "reason": None}

    def test_numpy_scalars_become_python_numbers(self):
        assert strict_json({"n": np.int64(3), "v": np.float64(0.5)}, indent=None) == '{"n": 3, "v": 0.5}'

    def test_strict_json_never_writes_infinity(self):
        text = strict_json({"rows": [{"value": float("inf")}]})
        assert "Infinity" not in text
        assert _strict_load(text) == {"rows": [{"value": None, "reason": NOT_FINITE}]}


def test_kpis_json_on_amounts_that_overflow_is_strict():
    # C1 and C3 order 1e308 in February: the month's revenue, 2e308, overflows a float to
    # infinity (IEEE 754 doubles end at about 1.8e308). January (1e308 + 5) stays finite.
    done = subprocess.run(
        [sys.executable, "-m", "bsc", "kpis", str(HUGE), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = _strict_load(done.stdout)["kpis"]
    revenue = {row["period"]: row for row in rows if row["kpi"] == "revenue" and row["segment"] is None}
    assert revenue["2026-02"]["value"] is None
    assert revenue["2026-02"]["reason"] == NOT_FINITE
    assert revenue["2026-01"]["value"] == pytest.approx(1e308)
    assert revenue["2026-03"]["value"] == 7.0
