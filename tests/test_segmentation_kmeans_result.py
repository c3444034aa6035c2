"""What the Segmentation page keeps of a k-means fit: the estimator's figures, kept as data that a
new results cache on the same folder reads back whole.

The customers are three well separated synthetic groups (seeded), so the automatic choice of
k is known: 3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.errors import InputError
from bsc.results_cache import ResultsCache
from bsc.segmentation import CustomerSegmentation
from bsc.segmentation.kmeans_result import PROJECTED, KmeansSegments, params_text, segment_customers


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.vstack([rng.normal(centre, 1.0, size=(400, 2)) for centre in centres])
    frame = pd.DataFrame(points, columns=["spend", "visits"], index=[f"C{i:04d}" for i in range(1200)])
    frame.iloc[5, 0] = np.nan  # one missing value, filled with the median
    return frame


class TestSegmentCustomers:
    def test_the_figures_are_the_estimators(self, customers):
        segments = segment_customers(customers, "auto", transforms={"spend": "none", "visits": "none"})
        model = CustomerSegmentation(transforms={"spend": "none", "visits": "none"}).fit(customers)
        assert segments.k == model.k_ == 3
        assert segments.silhouette == model.silhouette_
        assert segments.stability_ari == model.stability_ari_
        assert segments.names == model.names_
        np.testing.assert_array_equal(segments.labels["segment"].to_numpy(), model.labels_)
        assert segments.sizes == {int(s): int(n) for s, n in model.profiles_.sizes.items()}
        assert segments.missing == {"spend": 1, "visits": 0}
        assert len(segments.projection) == min(PROJECTED, len(customers))

    def test_renames_are_checked(self, customers):
        segments = segment_customers(customers, 3, transforms={"spend": "none", "visits": "none"})
        assert segments.segment_names({0: "  Big   spenders "})[0] == "Big spenders"
        with pytest.raises(InputError, match="Two segments are called"):
            segments.segment_names({0: "Same", 1: "same"})

    def test_customer_segments_name_each_customer_as_a_loop_would(self, customers):
        segments = segment_customers(customers, 3, transforms={"spend": "none", "visits": "none"})
        names = segments.segment_names({1: "Middle"})
        # The page's former loop over the customers is the reference.
        expected = pd.Series(
            [names[s] for s in segments.labels["segment"]], index=customers.index, name="segment"
        )
        named = segments.customer_segments(names, customers.index)
        pd.testing.assert_series_equal(named, expected)
        assert (named == "Middle").sum() == segments.sizes[1]

    def test_refused_like_the_estimator(self, customers):
        with pytest.raises(InputError):
            segment_customers(customers.iloc[:3], 5)

    def test_kept_and_read_back_by_a_new_cache(self, customers, tmp_path: Path):
        segments = segment_customers(customers, "auto", transforms={"spend": "none", "visits": "none"})
        ResultsCache(tmp_path).put("kmeans_segments-x", segments)
        back = ResultsCache(tmp_path).get("kmeans_segments-x")
        assert isinstance(back, KmeansSegments)
        assert (back.k, back.silhouette, back.names, back.sizes, back.explained) == (
            segments.k,
            segments.silhouette,
            segments.names,
            segments.sizes,
            segments.explained,
        )
        pd.testing.assert_frame_equal(back.labels, segments.labels, check_dtype=False)
        pd.testing.assert_frame_equal(back.projection, segments.projection, check_dtype=False)
        pd.testing.assert_frame_equal(back.k_scores, segments.k_scores, check_dtype=False)


def test_params_text():
    assert (
        params_text(["a", "b"], "auto", "robust")
        == "2 features, automatic number of segments, robust scaling"
    )
    assert params_text(["a"], 3, "standard") == "1 feature, 3 segments, standard scaling"
    assert params_text(["a"], 3, "standard", (("a", "none"),)) == (
        "1 feature, 3 segments, standard scaling, transforms changed: a none"
    )
