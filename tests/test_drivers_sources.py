"""The rows and candidate drivers the demo company's tables give, and the story they tell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc.detect import detect_mapping
from bsc.drivers import driver_data, key_drivers
from bsc.drivers.sources import rating_scale
from bsc.errors import InputError
from bsc.workspace import files_workspace

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
RATINGS = ["delivery_rating", "price_rating", "support_rating", "quality_rating"]


@pytest.fixture(scope="module")
def demo_tables():
    with files_workspace(sorted(DEMO.glob("*.csv"))) as (tables, refused):
        assert not refused
        yield tables


def test_detection_maps_ratings_and_comments() -> None:
    mapping = detect_mapping(pd.read_csv(DEMO / "surveys.csv"), "surveys")
    assert mapping.kind == "feedback"
    assert mapping.roles["comment"] == "comment"
    assert mapping.attributes == RATINGS


def test_nps_candidates(demo_tables) -> None:
    data = driver_data(demo_tables, "nps")
    kinds = {f.column: f.kind for f in data.features}
    assert {name: kinds[name] for name in RATINGS} == dict.fromkeys(RATINGS, "rating")
    assert kinds["region"] == "category" and kinds["hours_to_first_response"] == "number"
    assert "churn" not in kinds and "comment" not in kinds
    assert {f.scale for f in data.features if f.kind == "rating"} == {(1.0, 5.0)}


def test_demo_story(demo_tables) -> None:
    # The planted loadings (bsc.demo.experience.RATING_LOADINGS): support 0.75, delivery 0.6,
    # quality 0.4, price 0; support has the lowest mean: the driver to fix first.
    data = driver_data(demo_tables, "nps")
    analysis = key_drivers(data.frame, "nps", data.features, resamples=50)
    order = [d.feature for d in analysis.drivers if d.kind == "rating"]
    assert order == ["support_rating", "delivery_rating", "quality_rating", "price_rating"]
    ratings = {d.feature: d for d in analysis.drivers}
    assert ratings["price_rating"].within_noise
    assert min(RATINGS, key=lambda name: ratings[name].performance) == "support_rating"


def test_churn_rows_are_customers(demo_tables) -> None:
    data = driver_data(demo_tables, "churn")
    assert len(data.frame) == 3000
    columns = {f.column for f in data.features}
    assert {"mean_nps", "mean_support_rating", "answered_no_survey"} <= columns


def test_rating_scale() -> None:
    assert rating_scale(pd.Series([1, 3, 5])) == (1.0, 5.0)
    assert rating_scale(pd.Series([0, 9])) == (0.0, 10.0)
    assert rating_scale(pd.Series([0.5, 2.5])) == (0.5, 2.5)
    assert rating_scale(pd.Series([], dtype=float)) is None


def test_no_survey(demo_tables) -> None:
    with pytest.raises(InputError, match="no NPS"):
        driver_data({"customers": demo_tables["customers"]}, "nps")
    with pytest.raises(InputError, match="customers table"):
        driver_data({"feedback": demo_tables["feedback"]}, "churn")
