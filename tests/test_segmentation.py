"""Segmentation: known clusters recovered, profiles and RFM scores checked by hand, CDNOW end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, silhouette_score

from bsc.detect import detect_mapping
from bsc.engine import Backend
from bsc.errors import InputError
from bsc.features import customer_features, rfm_features
from bsc.ingest import read_path
from bsc.kpis import compute_kpis, segment_attributes
from bsc.mapping import TableMapping
from bsc.prepare import prepare_table
from bsc.segmentation import (
    CustomerSegmentation,
    RfmBreaks,
    SampleSilhouette,
    default_rfm_segments,
    default_transforms,
    name_rfm_segments,
    rfm_breaks,
    rfm_scores,
    segment_kpis,
    segment_profiles,
    signed_log1p,
    suggest_names,
)
from bsc.store import Store
from bsc.workspace import ensure_demo_workspace

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]

FIXTURES = Path(__file__).parent / "fixtures"


def four_blobs(seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """900 customers in four well-separated groups (relative spread 15 %) of unequal sizes."""
    rng = np.random.default_rng(seed)
    centres = np.array([[5, 1, 50], [40, 8, 400], [200, 2, 80], [15, 20, 2000]], dtype=float)
    truth = np.repeat(np.arange(4), [300, 250, 200, 150])
    spread = centres[truth] * 0.15
    features = pd.DataFrame(
        {
            "recency_days": rng.normal(centres[truth, 0], spread[:, 0]),
            "frequency": rng.normal(centres[truth, 1], spread[:, 1]).clip(0.1),
            "monetary": rng.normal(centres[truth, 2], spread[:, 2]),
        },
        index=pd.Index([f"c{i:04d}" for i in range(len(truth))], name="customer_id"),
    )
    return features, truth


@pytest.fixture(scope="module")
def blobs() -> tuple[pd.DataFrame, np.ndarray]:
    return four_blobs()


@pytest.fixture(scope="module")
def auto_fit(blobs) -> CustomerSegmentation:
    return CustomerSegmentation().fit(blobs[0])


class TestKnownClusters:
    def test_auto_k_finds_the_four_groups(self, auto_fit, blobs):
        assert auto_fit.k_ == 4
        assert adjusted_rand_score(blobs[1], auto_fit.labels_) >= 0.9
        assert "k = 4" in auto_fit.k_reason_
        assert list(auto_fit.k_scores_["k"]) == list(range(2, 11))

    def test_fixed_k_recovers_them_too(self, blobs):
        model = CustomerSegmentation(4).fit(blobs[0])
        assert adjusted_rand_score(blobs[1], model.labels_) >= 0.9
        assert len(model.k_scores_) == 1 and model.elbow_k_ is None
        assert "by hand" in model.k_reason_

    @pytest.mark.parametrize(
        "model",
        [
            CustomerSegmentation(4, minibatch_above=100, stability_runs=1),
            CustomerSegmentation(4, scaling="robust", stability_runs=1),
        ],
        ids=["minibatch-kmeans", "robust-scaling"],
    )
    def test_other_settings_recover_them(self, blobs, model):
        model.fit(blobs[0])
        assert adjusted_rand_score(blobs[1], model.labels_) >= 0.9
        expected = "MiniBatchKMeans" if model.minibatch_above < len(blobs[0]) else "KMeans"
        assert type(model.model_).__name__ == expected

    def test_well_separated_groups_are_stable(self, auto_fit):
        assert auto_fit.stability_ari_ >= 0.95
        assert auto_fit.stable_
        assert len(auto_fit.stability_scores_) == 4

    def test_segments_are_numbered_from_the_largest(self, auto_fit):
        # Group sizes 300, 250, 200, 150.
        assert auto_fit.profiles_.sizes.tolist() == [300, 250, 200, 150]

    def test_names_follow_the_profiles(self, auto_fit):
        # The 150 customers ordering 20 times for 2,000 are the most valuable and recent.
        assert auto_fit.names_[3] == "High-value loyal"
        # The 200 customers last seen 200 days ago, ordering twice, are hibernating.
        assert auto_fit.names_[2] == "Hibernating"
        assert len(set(auto_fit.names_.values())) == 4

    def test_same_parameters_same_segments(self, blobs, auto_fit):
        again = CustomerSegmentation().fit(blobs[0])
        np.testing.assert_array_equal(again.labels_, auto_fit.labels_)

    def test_predict_matches_the_labels(self, blobs, auto_fit):
        np.testing.assert_array_equal(auto_fit.predict(blobs[0]), auto_fit.labels_)

    def test_unstable_segments_are_flagged(self):
        # Uniform noise has no groups: refits with other seeds cut it differently. Measured with
        # this seed: mean adjusted Rand index about 0.61.
        noise = pd.DataFrame(np.random.default_rng(0).uniform(size=(1500, 4)), columns=list("abcd"))
        model = CustomerSegmentation(8, random_state=0).fit(noise)
        assert model.stability_ari_ < model.stable_ari
        assert not model.stable_


class TestSilhouette:
    @pytest.mark.parametrize(
        "labels",
        [
            np.repeat([0, 1], 150),
            np.random.default_rng(1).integers(0, 5, 300),
            np.r_[np.zeros(299, dtype=int), [1]],
        ],
        ids=["two-halves", "five-random", "one-singleton"],
    )
    def test_equals_scikit_learn(self, labels):
        points = np.random.default_rng(0).normal(size=(300, 3))
        # scikit-learn's silhouette_score is the reference; float32 distances agree to ~1e-6.
        expected = silhouette_score(points, labels)
        assert SampleSilhouette(points).score(labels) == pytest.approx(expected, abs=1e-5)

    def test_one_segment_has_no_silhouette(self):
        assert math.isnan(SampleSilhouette(np.arange(6.0).reshape(3, 2)).score(np.zeros(3, dtype=int)))


class TestEstimatorConventions:
    def test_parameters_are_stored_as_given(self):
        model = CustomerSegmentation(5, scaling="robust", transforms={"monetary": "none"})
        params = model.get_params()
        assert params["n_clusters"] == 5
        assert params["scaling"] == "robust"
        assert params["transforms"] == {"monetary": "none"}
        assert not hasattr(model, "labels_")

    def test_fit_returns_self_and_clone_forgets(self, blobs):
        model = CustomerSegmentation(3, stability_runs=0)
        assert model.fit(blobs[0]) is model
        fresh = clone(model)
        assert fresh.get_params() == model.get_params()
        assert not hasattr(fresh, "model_")

    def test_fit_predict(self, blobs):
        labels = CustomerSegmentation(4, stability_runs=0).fit_predict(blobs[0])
        assert adjusted_rand_score(blobs[1], labels) >= 0.9

    def test_progress_is_reported(self, blobs):
        seen: list[tuple[float, str]] = []
        CustomerSegmentation(k_max=4, stability_runs=2).fit(
            blobs[0], progress=lambda s, m: seen.append((s, m))
        )
        shares = [share for share, _ in seen]
        assert shares == sorted(shares) and shares[0] == 0.0 and shares[-1] == 1.0
        assert any("k = 3" in message for _, message in seen)


class TestPreparation:
    def test_default_transforms(self):
        frame = pd.DataFrame(
            {
                "monetary": [1.0, 2.0],
                "tenure_days": [1.0, 2.0],
                "age": [30.0, 31.0],
                "visits": [0.0, 0.0, 0.0, 0.0, 1.0, 50.0][:2],
            }
        )
        skewed = pd.DataFrame({"visits": [0.0, 0.0, 0.0, 0.0, 1.0, 50.0], "debt": [-5.0, 0, 0, 0, 1, 50]})
        assert default_transforms(frame)["monetary"] == "log1p"
        assert default_transforms(frame)["tenure_days"] == "none"
        assert default_transforms(frame)["age"] == "none"
        # An unknown attribute: log1p when never negative and skewed (skewness of 0,0,0,0,1,50 ≈ 2.4).
        assert default_transforms(skewed) == {"visits": "log1p", "debt": "none"}

    def test_signed_log1p(self):
        # log1p(e − 1) = 1; negative values mirrored.
        np.testing.assert_allclose(signed_log1p(np.array([math.e - 1, 0.0, 1 - math.e])), [1.0, 0.0, -1.0])

    def test_chosen_transforms_are_used(self, blobs):
        model = CustomerSegmentation(4, transforms={"monetary": "none"}, stability_runs=0).fit(blobs[0])
        assert model.transforms_ == {"recency_days": "log1p", "frequency": "log1p", "monetary": "none"}

    def test_missing_values_are_imputed_and_counted(self, blobs):
        features = blobs[0].copy()
        features.iloc[:10, 2] = np.nan
        model = CustomerSegmentation(4, stability_runs=0).fit(features)
        assert model.missing_.to_dict() == {"recency_days": 0, "frequency": 0, "monetary": 10}
        # No customer is dropped.
        assert len(model.labels_) == len(features)
        assert model.profiles_.sizes.sum() == len(features)

    @pytest.mark.parametrize(
        ("model", "features", "message"),
        [
            (CustomerSegmentation(2), pd.DataFrame(index=range(5)), "at least one feature"),
            (CustomerSegmentation(2), pd.DataFrame({"a": [1.0, 2.0]}), "at least 3 customers"),
            (CustomerSegmentation(9), pd.DataFrame({"a": np.arange(5.0)}), "between 2 and 4"),
            (CustomerSegmentation("many"), pd.DataFrame({"a": np.arange(5.0)}), "whole number"),
            (
                CustomerSegmentation(2),
                pd.DataFrame({"a": [np.nan] * 4, "b": np.arange(4.0)}),
                "No customer has",
            ),
            (CustomerSegmentation(2), pd.DataFrame({"a": list("wxyz")}), "must be numbers"),
            (
                CustomerSegmentation(2, scaling="minmax"),
                pd.DataFrame({"a": np.arange(5.0)}),
                "Unknown scaling",
            ),
            (
                CustomerSegmentation(2, transforms={"a": "sqrt"}),
                pd.DataFrame({"a": np.arange(5.0)}),
                "transform",
            ),
            (CustomerSegmentation(3), pd.DataFrame({"a": [1.0, 1.0, 2.0, 2.0]}), "Only 2 customers differ"),
        ],
        ids=[
            "no-features",
            "two-customers",
            "k-too-large",
            "k-not-a-number",
            "empty-feature",
            "text-feature",
            "unknown-scaling",
            "unknown-transform",
            "too-few-distinct",
        ],
    )
    def test_bad_input(self, model, features, message):
        with pytest.raises(InputError, match=message):
            model.fit(features)


class TestProfiles:
    def test_means_and_z_scores_by_hand(self):
        features = pd.DataFrame({"spend": [1.0, 2.0, 3.0, 10.0], "flat": [5.0, 5.0, 5.0, 5.0]})
        profiles = segment_profiles(features, np.array([0, 0, 1, 1]))
        # Means 1.5 and 6.5; overall mean 4; population sd √(((−3)² + (−2)² + (−1)² + 6²) / 4) = √12.5.
        assert profiles.means["spend"].tolist() == [1.5, 6.5]
        z = 2.5 / math.sqrt(12.5)
        np.testing.assert_allclose(profiles.z_scores["spend"], [-z, z])
        # A feature without spread sets no segment apart.
        assert profiles.z_scores["flat"].tolist() == [0.0, 0.0]
        assert profiles.sizes.tolist() == [2, 2]

    def test_missing_values_are_skipped(self):
        features = pd.DataFrame({"nps": [10.0, np.nan, 0.0, np.nan]})
        profiles = segment_profiles(features, ["a", "a", "b", "b"])
        assert profiles.means["nps"].tolist() == [10.0, 0.0]
        assert profiles.sizes.tolist() == [2, 2]


class TestSuggestedNames:
    def test_archetypes(self):
        z = pd.DataFrame(
            {
                "recency_days": [-0.6, 1.1, -0.5, 1.0, 0.0],
                "frequency": [1.2, -0.4, -0.3, 0.9, 0.1],
                "monetary": [1.1, -0.4, -0.2, 1.0, -0.1],
                "tenure_days": [0.8, 0.3, -1.2, 0.5, 0.0],
            }
        )
        names = suggest_names(z)
        # Segment 0: (1.2 + 1.1 + 0.6) / 3 ≈ 0.97 for High-value loyal. Segment 3: At risk,
        # (0.5·0.9 + 0.5·1.0 + 1.0) / 2 ≈ 0.98. Segment 1: Hibernating, (1.1 + 0.2 + 0.2) / 2 = 0.75.
        # Segment 2: New, (1.2 + 0.25) / 1.5 ≈ 0.97. Segment 4: nothing beyond 0.25.
        assert names == {0: "High-value loyal", 1: "Hibernating", 2: "New", 3: "At risk", 4: "Average"}

    def test_described_when_no_archetype_fits(self):
        z = pd.DataFrame({"nps_mean": [0.9, 0.3], "tickets": [-0.6, 0.1]}, index=["x", "y"])
        # "Unhappy" needs NPS below average and "Needs support" more tickets: neither fits.
        assert suggest_names(z) == {"x": "Promoters, few tickets", "y": "Promoters"}

    def test_repeated_names_are_numbered(self):
        z = pd.DataFrame({"age": [0.0, 0.1, -0.1]})
        assert suggest_names(z) == {0: "Average", 1: "Average 2", 2: "Average 3"}

    def test_user_renames(self, auto_fit):
        names = auto_fit.segment_names({0: "  Core   shoppers "})
        assert names[0] == "Core shoppers"
        with pytest.raises(InputError, match="Two segments"):
            auto_fit.segment_names({0: "Same", 1: "same"})
        with pytest.raises(InputError, match="needs a name"):
            auto_fit.segment_names({0: "  "})


class TestProjection:
    def test_sample_of_points(self, blobs, auto_fit):
        projection = auto_fit.project(blobs[0], max_points=100)
        assert len(projection.points) == 100
        assert list(projection.points.columns) == ["pc1", "pc2", "segment"]
        assert 0 < sum(projection.explained) <= 1.0 + 1e-9
        np.testing.assert_array_equal(
            projection.points["segment"],
            auto_fit.labels_[blobs[0].index.get_indexer(projection.points.index)],
        )


# --------------------------------------------------------------------------------------------
# RFM scoring
# --------------------------------------------------------------------------------------------


def ten_customers() -> pd.DataFrame:
    """Recency 10, 20, ..., 100 days; frequency 1..10 orders; monetary 100, 200, ..., 1000."""
    return pd.DataFrame(
        {
            "recency_days": np.arange(10.0, 101.0, 10.0),
            "frequency": np.arange(1.0, 11.0),
            "monetary": np.arange(100.0, 1001.0, 100.0),
        },
        index=pd.Index([f"c{i}" for i in range(1, 11)], name="customer_id"),
    )


class TestRfmScores:
    def test_quintile_breaks_by_hand(self):
        breaks = rfm_breaks(ten_customers())
        # Linear interpolation on 10 sorted values v1..v10: the q-quantile sits at position
        # 1 + 9q, e.g. q = 0.2 -> 2.8 -> v2 + 0.8·(v3 − v2) = 28 for recency 10, 20, ...
        assert breaks.recency == (28.0, 46.0, 64.0, 82.0)
        assert breaks.frequency == (2.8, 4.6, 6.4, 8.2)
        assert breaks.monetary == (280.0, 460.0, 640.0, 820.0)

    def test_scores_by_hand(self):
        rfm = ten_customers()
        scores = rfm_scores(rfm, rfm_breaks(rfm))
        # Two customers per bin: recency 10, 20 are most recent (R 5); frequency 9, 10 top (F 5).
        assert scores["r"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        assert scores["f"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        assert scores.loc["c1", "cell"] == "511"

    def test_a_value_on_a_break_falls_in_the_lower_bin(self):
        rfm = pd.DataFrame({"recency_days": [30.0, 31.0], "frequency": [2.0, 3.0], "monetary": [5.0, 5.0]})
        breaks = RfmBreaks(recency=(10, 30, 60, 120), frequency=(1, 2, 4, 8), monetary=(1, 2, 3, 4))
        scores = rfm_scores(rfm, breaks)
        # Recency 30 is in (10, 30]: second bin, R = 4; 31 in (30, 60]: R = 3.
        assert scores["r"].tolist() == [4, 3]
        # Frequency 2 is in (1, 2]: F = 2; 3 in (2, 4]: F = 3. Monetary 5 above every break: M = 5.
        assert scores["f"].tolist() == [2, 3]
        assert scores["m"].tolist() == [5, 5]

    def test_customers_without_orders_have_no_score(self):
        rfm = pd.DataFrame({"recency_days": [np.nan, 5.0], "frequency": [0.0, 1.0], "monetary": [0.0, 9.0]})
        breaks = RfmBreaks(recency=(1, 2, 3, 4), frequency=(1, 2, 3, 4), monetary=(1, 2, 3, 4))
        scores = rfm_scores(rfm, breaks)
        assert scores["r"].isna().tolist() == [True, False]
        assert scores["cell"].tolist() == ["", "115"]
        assert name_rfm_segments(scores, default_rfm_segments()).tolist() == ["No orders", "Hibernating"]

    def test_breaks_must_go_up(self):
        with pytest.raises(InputError, match="recency breaks must go up"):
            RfmBreaks(recency=(30, 10, 60, 120), frequency=(1, 2, 3, 4), monetary=(1, 2, 3, 4))


class TestRfmSegmentTable:
    def test_default_table_names_every_score_pair(self):
        pairs = pd.DataFrame(
            [(r, f, 3) for r in range(1, 6) for f in range(1, 6)], columns=["r", "f", "m"]
        ).astype("Int64")
        names = name_rfm_segments(pairs, default_rfm_segments())
        assert "Other" not in set(names)
        # From the usual map: R 5 & F 5 are champions, R 1 & F 1 hibernating, R 1 & F 5 can't be lost.
        assert names[(pairs["r"] == 5) & (pairs["f"] == 5)].item() == "Champions"
        assert names[(pairs["r"] == 1) & (pairs["f"] == 1)].item() == "Hibernating"
        assert names[(pairs["r"] == 1) & (pairs["f"] == 5)].item() == "Can't lose them"

    def test_an_edited_table(self):
        table = pd.DataFrame(
            [("Big and recent", 4, 5, 1, 5, 4, 5), ("Recent", 4, 5, 1, 5, 1, 5)],
            columns=["segment", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max"],
        )
        scores = pd.DataFrame({"r": [5, 5, 2], "f": [1, 1, 1], "m": [5, 2, 5]}).astype("Int64")
        # First matching row wins; nothing matches R 2.
        assert name_rfm_segments(scores, table).tolist() == ["Big and recent", "Recent", "Other"]

    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            ({"segment": ""}, "needs a segment name"),
            ({"r_min": 0}, "whole numbers from 1 to 5"),
            ({"f_min": 5, "f_max": 2}, "F minimum is above its maximum"),
        ],
        ids=["empty-name", "score-zero", "min-above-max"],
    )
    def test_bad_tables(self, edit, message):
        table = default_rfm_segments()
        for column, value in edit.items():
            table.loc[0, column] = value
        with pytest.raises(InputError, match=message):
            name_rfm_segments(pd.DataFrame({"r": [1], "f": [1], "m": [1]}).astype("Int64"), table)


# --------------------------------------------------------------------------------------------
# CDNOW: from the raw text log to named segments
# --------------------------------------------------------------------------------------------


def test_cdnow_end_to_end(tmp_path):
    table = read_path(FIXTURES / "cdnow_sample.txt")[0]
    canonical = prepare_table(table.frame, detect_mapping(table.frame, table.name)).canonical
    path = tmp_path / "transactions.parquet"
    canonical.to_parquet(path, index=False)
    tables = {"transactions": [path]}
    backend = Backend.duckdb()

    features = customer_features(tables, backend=backend)
    chosen = ["recency_days", "frequency", "monetary", "tenure_days"]
    model = CustomerSegmentation().fit(features.select(chosen))
    customers = canonical["customer_id"].nunique()
    assert len(model.labels_) == customers
    assert 2 <= model.k_ <= 10
    assert model.profiles_.sizes.sum() == customers
    assert len(set(model.names_.values())) == model.k_

    rfm = rfm_features(tables, backend=backend)
    segments = name_rfm_segments(rfm_scores(rfm, rfm_breaks(rfm)), default_rfm_segments())
    assert len(segments) == customers
    assert "Other" not in set(segments)


# --------------------------------------------------------------------------------------------
# Into the scorecard: a saved segmentation splits the KPIs
# --------------------------------------------------------------------------------------------


def _ids(*values: str) -> pd.Series:
    return pd.Series(values, dtype="string")


def small_shop() -> dict[str, pd.DataFrame]:
    """c1–c4 in the customers table; c9 orders and answers without being listed."""
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": _ids("c1", "c2", "c3", "c4"),
                "signup_date": pd.to_datetime(["2024-01-01"] * 4).astype("datetime64[us]"),
                "region": _ids("north", "north", "south", "south"),
            }
        ),
        "transactions": pd.DataFrame(
            {
                "customer_id": _ids("c1", "c1", "c2", "c3", "c4", "c9"),
                "date": pd.to_datetime(
                    ["2024-01-05", "2024-02-05", "2024-01-10", "2024-01-20", "2024-02-01", "2024-02-02"]
                ).astype("datetime64[us]"),
                "amount": [10.0, 20.0, 5.0, 40.0, 7.0, 100.0],
            }
        ),
        "feedback": pd.DataFrame(
            {
                "customer_id": _ids("c1", "c2", "c3", "c4", "c9"),
                "date": pd.to_datetime(["2024-02-10"] * 5).astype("datetime64[us]"),
                "nps": [10.0, 3.0, 9.0, 0.0, 10.0],
            }
        ),
    }


TIERS = pd.Series(["A", "A", "B", "B"], index=pd.Index(["c1", "c2", "c3", "c9"], name="customer_id"))


def _saved_workspace(tmp_path: Path, frames: dict[str, pd.DataFrame]):
    store = Store(tmp_path / "data")
    workspace = store.create_workspace("Shop")
    mapping_kinds = {"customers": "customers", "transactions": "transactions", "feedback": "feedback"}
    for name, frame in frames.items():
        store.save_dataset(
            workspace.id,
            name=name,
            source=f"{name}.csv",
            sheet=None,
            raw=frame,
            canonical=frame,
            mapping=TableMapping(
                kind=mapping_kinds[name], roles={c: c for c in frame.columns if c != "region"}
            ),
        )
    store.save_segmentation(workspace.id, name="Tiers", attribute="tiers", segments=TIERS)
    return store, workspace


def _by_segment(values: pd.DataFrame, kpi: str) -> dict[str, float]:
    rows = values[values["kpi"] == kpi]
    return {("all" if pd.isna(s) else s): v for s, v in zip(rows["segment"], rows["value"], strict=True)}


class TestIntoTheScorecard:
    def test_saved_segmentation_is_a_segment_attribute(self, tmp_path):

        store, workspace = _saved_workspace(tmp_path, small_shop())
        assert segment_attributes(store.workspace_tables(workspace.id)) == ["region", "tiers"]

    def test_kpis_split_by_it_with_a_customers_table(self, tmp_path):

        store, workspace = _saved_workspace(tmp_path, small_shop())
        values = compute_kpis(
            store.workspace_tables(workspace.id), period="all", by="tiers", backend=Backend.duckdb()
        ).values
        # Revenue: A = c1 (10 + 20) + c2 (5) = 35; B = c3 (40) only, since c9 is not in the
        # customers table; "(unknown)" = c4 (7, no segment) + c9 (100); all = 182.
        assert _by_segment(values, "revenue") == {"all": 182.0, "A": 35.0, "B": 40.0, "(unknown)": 107.0}
        # NPS: A = c1 promoter, c2 detractor -> (1 − 1) / 2 = 0; B = c3 promoter -> 100;
        # unknown = c4 detractor, c9 promoter -> 0; all = (3 − 2) / 5 = 20.
        assert _by_segment(values, "nps") == {"all": 20.0, "A": 0.0, "B": 100.0, "(unknown)": 0.0}

    def test_kpis_split_by_it_without_a_customers_table(self, tmp_path):

        frames = small_shop()
        del frames["customers"]
        store, workspace = _saved_workspace(tmp_path, frames)
        values = compute_kpis(
            store.workspace_tables(workspace.id), period="all", by="tiers", backend=Backend.duckdb()
        ).values
        # Without a customers table c9 keeps its segment: B = 40 + 100; c4 alone is unknown.
        assert _by_segment(values, "revenue") == {"all": 182.0, "A": 35.0, "B": 140.0, "(unknown)": 7.0}
        # Active customers: A = c1, c2; B = c3, c9; unknown = c4.
        assert _by_segment(values, "active_customers") == {"all": 5.0, "A": 2.0, "B": 2.0, "(unknown)": 1.0}

    def test_demo_revenue_by_segment_equals_pandas(self, tmp_path):

        store = Store(tmp_path / "data")
        workspace = ensure_demo_workspace(store)
        tables = store.workspace_tables(workspace.id)
        features = customer_features(tables)
        model = CustomerSegmentation(4, stability_runs=0).fit(features.select(["recency_days", "frequency"]))
        segments = pd.Series([model.names_[s] for s in model.labels_], index=features.frame.index)
        store.save_segmentation(workspace.id, name="Value", attribute="value", segments=segments)
        tables = store.workspace_tables(workspace.id)
        values = compute_kpis(tables, period="year", by="value", kpis=["revenue"]).values

        # Independently: order lines joined to the saved assignments, summed by year and segment.
        lines = pd.read_parquet(tables["transactions"][0])
        assigned = store.load_assignments(store.list_segmentations(workspace.id)[0].id)
        merged = lines.merge(assigned, on="customer_id", how="left")
        expected = merged.groupby([merged["date"].dt.year.astype(str), "value"])["amount"].sum()
        computed = values[values["segment"].notna()].set_index(["period", "segment"])["value"]
        pd.testing.assert_series_equal(
            computed.sort_index(), expected.sort_index(), check_names=False, check_index_type=False
        )


class TestSegmentKpis:
    def test_side_by_side(self, tmp_path):
        store, workspace = _saved_workspace(tmp_path, small_shop())
        result = segment_kpis(
            store.workspace_tables(workspace.id),
            TIERS,
            kpis=("nps", "revenue_per_customer"),
            backend=Backend.duckdb(),
        )
        # The saved "tiers" is left out; the unsaved TIERS give the same split. Every order is in
        # 2024. Revenue per active customer: A = 35 / 2, B = 40 / 1, unknown = 107 / 2, all = 182 / 5.
        assert result.periods == {"nps": "2024", "revenue_per_customer": "2024"}
        assert result.values.index.tolist() == ["All customers", "A", "B", "(unknown)"]
        assert result.values["revenue_per_customer"].tolist() == [36.4, 17.5, 40.0, 53.5]
        assert result.values["nps"].tolist() == [20.0, 0.0, 100.0, 0.0]

    def test_unavailable_kpis_are_explained(self, tmp_path):
        frames = small_shop()
        del frames["feedback"]
        store, workspace = _saved_workspace(tmp_path, frames)
        result = segment_kpis(
            store.workspace_tables(workspace.id), TIERS, kpis=("nps",), backend=Backend.duckdb()
        )
        assert "nps" in result.unavailable
        assert result.values.empty or "nps" not in result.values.columns
