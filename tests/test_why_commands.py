"""``python -m bsc drivers`` and ``themes``: strict JSON with the documented keys, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bsc.cli import main

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
FILES = [str(DEMO / name) for name in ("customers.csv", "surveys.csv", "tickets.csv")]


def test_drivers_json(capsys) -> None:
    assert main(["drivers", *FILES, "--target", "nps", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"target", "r2", "drivers"} <= set(report)
    assert report["target"] == "nps"
    first = report["drivers"][0]
    assert {"feature", "importance", "ci_low", "ci_high", "performance"} <= set(first)
    assert first["feature"] == "support_rating"
    assert sum(d["importance"] for d in report["drivers"]) == pytest.approx(report["r2"], abs=1e-9)


def test_drivers_text(capsys) -> None:
    assert main(["drivers", *FILES, "--target", "csat"]) == 0
    out = capsys.readouterr().out
    assert "Key drivers of csat: R²" in out and "within noise" in out


def test_themes_json(capsys) -> None:
    assert main(["themes", str(DEMO / "surveys.csv"), "--themes", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["themes"]) == 4
    keys = {"label", "top_words", "share", "nps_effect", "ci_low", "ci_high", "examples"}
    assert all(keys <= set(theme) for theme in report["themes"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["themes", str(DEMO / "orders.csv")], "no comment column"),
        (["themes", str(DEMO / "surveys.csv"), "--themes", "40"], "from 2 to 20"),
        (["drivers", str(DEMO / "orders.csv"), "--target", "churn"], "customers table"),
        (["drivers", str(DEMO / "missing.csv"), "--target", "nps"], "error:"),
    ],
    ids=["no-comments", "too-many-themes", "no-customers", "missing-file"],
)
def test_bad_input_is_one_line(capsys, args: list[str], message: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
