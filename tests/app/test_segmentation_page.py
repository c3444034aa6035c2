"""The Segmentation page on the demo workspace: segment, rename, save, manage saved segmentations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc.features import customer_features
from bsc.kpis import segment_attributes
from bsc.segmentation import CustomerSegmentation
from bsc.store import Store
from tests.app.conftest import open_app

PAGE = "pages/segmentation.py"

# Ibis reads a pandas option that pandas 3 deprecates; nothing to act on here.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _store(data_dir: Path) -> tuple[Store, str]:
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    return store, workspace.id


def _names_editor_key(at) -> str:
    [key] = [k for k in at.session_state if k.startswith("segment_names_")]
    return key


def test_automatic_segments_with_their_evidence(data_dir: Path):
    at = open_app(PAGE)
    assert not at.exception, at.exception
    assert not at.error
    # Independently of the page: the same estimator on the same features.
    store, workspace_id = _store(data_dir)
    features = customer_features(store.workspace_tables(workspace_id))
    model = CustomerSegmentation().fit(
        features.select(["recency_days", "frequency", "monetary", "tenure_days"])
    )
    metrics = _metrics(at)
    assert metrics["Segments"] == str(model.k_)
    assert metrics["Customers"] == f"{len(features.frame):,}"
    assert metrics["Separation"] == f"{model.silhouette_:.2f}"
    # The k choice, segment sizes, profile heatmap and PCA map.
    assert len(at.get("vega_lite_chart")) == 4
    assert any(f"Why {model.k_} segments" in md.value for md in at.markdown)
    assert [s.value for s in at.subheader] == [
        "Name the segments",
        "Profiles",
        "Customer KPIs per segment",
        "Save",
    ]
    # Churn per segment says its window: the demo's latest year, 2026 (its data end on 2026-10-31).
    kpis = next(
        d.value
        for d in at.dataframe
        if "Customers" in d.value.columns and "NPS (year 2026)" in d.value.columns
    )
    assert "Churn rate (year 2026)" in kpis.columns
    assert any(
        "Churn rate here is a yearly rate: customers who churned during 2026 ÷ customers active at its start"
        in c.value
        for c in at.caption
    )


def test_a_fixed_k_from_the_form(data_dir: Path):
    at = open_app(PAGE)
    at.select_slider[0].set_value(3)
    at.button(key="FormSubmitter:segmentation_form-Segment customers").click().run()
    assert not at.exception, at.exception
    assert _metrics(at)["Segments"] == "3"
    # With a fixed k there is no curve of k to draw.
    assert len(at.get("vega_lite_chart")) == 3


def test_rename_and_save_for_the_scorecard(data_dir: Path):
    at = open_app(PAGE)
    key = _names_editor_key(at)
    at.session_state[key] = {
        "edited_rows": {0: {"Name": "Core shoppers"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.text_input(key="kmeans_name").set_value("Value tiers")
    at.button(key="kmeans_save").click().run()
    assert not at.exception, at.exception
    assert any("Saved “Value tiers”" in s.value for s in at.success)

    store, workspace_id = _store(data_dir)
    [saved] = store.list_segmentations(workspace_id)
    assert (saved.name, saved.attribute, saved.params["method"]) == ("Value tiers", "value_tiers", "k-means")
    assignments = store.load_assignments(saved.id)
    assert "Core shoppers" in set(assignments["value_tiers"])
    assert len(assignments) == 3000
    # The Scorecard can now be split by it.
    assert "value_tiers" in segment_attributes(store.workspace_tables(workspace_id))


def test_rfm_scores_with_an_edited_map(data_dir: Path):
    at = open_app(PAGE)
    at.segmented_control(key="segmentation_method").set_value("rfm").run()
    assert not at.exception, at.exception
    # The RFM grid, sizes and profile heatmap.
    assert len(at.get("vega_lite_chart")) == 3
    # Rename the first row of the segment map ("Champions").
    at.session_state["rfm_map_0"] = {
        "edited_rows": {0: {"segment": "Best"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="rfm_save").click().run()
    assert not at.exception, at.exception
    store, workspace_id = _store(data_dir)
    [saved] = store.list_segmentations(workspace_id)
    names = set(store.load_assignments(saved.id)[saved.attribute])
    assert "Best" in names and "Champions" not in names
    assert names <= {
        "Best",
        "Loyal customers",
        "Potential loyalists",
        "New customers",
        "Promising",
        "Need attention",
        "About to sleep",
        "Can't lose them",
        "At risk",
        "Hibernating",
        "No orders",
    }


def test_bad_breaks_are_explained(data_dir: Path):
    at = open_app(PAGE)
    at.segmented_control(key="segmentation_method").set_value("rfm").run()
    # Recency breaks going down.
    at.session_state["rfm_breaks_0"] = {
        "edited_rows": {0: {"Break 1": 500.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert any("breaks must go up" in e.value for e in at.error)


def test_saved_segmentations_can_be_renamed_and_deleted(data_dir: Path):
    store, workspace_id = _store(data_dir)
    segments = pd.Series(["A", "B"], index=["C000001", "C000002"])
    saved = store.save_segmentation(workspace_id, name="Pilot", attribute="pilot", segments=segments)
    at = open_app(PAGE)
    at.text_input(key=f"saved_rename_{saved.id}_1").set_value("Pilot groups")
    at.button(key="saved_rename").click().run()
    assert not at.exception, at.exception
    [renamed] = store.list_segmentations(workspace_id)
    assert (renamed.name, renamed.attribute) == ("Pilot groups", "pilot_groups")

    at.button(key="saved_delete").click().run()
    assert any("Delete “Pilot groups”" in w.value for w in at.warning)
    at.button(key="saved_delete_yes").click().run()
    assert store.list_segmentations(workspace_id) == []


def test_no_features_chosen(data_dir: Path):
    at = open_app(PAGE)
    at.multiselect[0].set_value([])
    at.button(key="FormSubmitter:segmentation_form-Segment customers").click().run()
    assert not at.exception
    assert any("at least one feature" in i.value for i in at.info)


def test_features_are_named_as_in_the_file(data_dir: Path):
    from bsc.workspace import import_file
    from tests.conftest import FIXTURES

    store, workspace_id = _store(data_dir)
    import_file(store, workspace_id, FIXTURES / "telco_customers.csv")
    store.engine.dispose()
    at = open_app(PAGE)
    assert not at.exception, at.exception
    [features] = [m for m in at.multiselect if m.label == "Features"]
    assert {"TotalCharges", "MonthlyCharges"} <= set(features.options)
    assert "Totalcharges" not in features.options
