"""The Scorecard page on the demo workspace."""

from __future__ import annotations

from pathlib import Path

from bsc.kpis import KPIS, compute_kpis
from bsc.store import Store
from tests.app.conftest import open_app, shown

PAGE = "pages/scorecard.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_tiles_show_the_latest_values_of_the_engine(data_dir: Path):
    at = open_app(PAGE)
    assert not at.exception
    metrics = _metrics(at)
    assert {"NPS", "CSAT", "Churn rate", "Active customers", "Revenue", "CPA", "First response"} <= set(
        metrics
    )

    # Independent of the page: the engine's all-customers value for the last month.
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    values = compute_kpis(store.workspace_tables(workspace.id), period="month").values
    nps = values[(values["kpi"] == "nps") & values["segment"].isna()].dropna(subset=["value"]).iloc[-1]
    # Tiles write the unit short, so that the value reads in full on a projector: "35 pts".
    assert metrics["NPS"] == KPIS["nps"].format_value(nps["value"], compact=True)
    assert metrics["NPS"].endswith(" pts")
    active = values[(values["kpi"] == "active_customers") & values["segment"].isna()].iloc[-1]
    assert metrics["Active customers"] == f"{active['value']:,.0f}"


def test_trend_and_cohort_charts_are_drawn_from_aggregates(data_dir: Path):
    at = open_app(PAGE)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # the trend of the chosen KPI and the cohort heatmap


def test_segment_filter_and_period_persist_across_pages(data_dir: Path):
    at = open_app(PAGE)
    at.sidebar.selectbox(key="split_picker").set_value("region").run()
    at.sidebar.selectbox(key="segment_picker").set_value("North").run()
    assert not at.exception
    assert "region: North" in shown(at.caption[0].value)
    at.switch_page("pages/data.py").run()
    at.switch_page(PAGE).run()
    assert at.sidebar.selectbox(key="split_picker").value == "region"
    assert at.sidebar.selectbox(key="segment_picker").value == "North"
    assert "region: North" in shown(at.caption[0].value)


def test_quarterly_view(data_dir: Path):
    at = open_app(PAGE)
    at.sidebar.button_group(key="period_picker").set_value("quarter").run()
    assert not at.exception
    assert "quarterly" in shown(at.caption[0].value)


def test_targets_give_statuses_roll_up_and_target_lines(data_dir: Path):
    from bsc.database import targets_table
    from bsc.targets import Target, TargetBook

    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    book = TargetBook(store, workspace.id)
    # Monthly churn of 0.01% from a baseline of 1% a year earlier: by the demo's last month
    # (2026-10) the ramp is at 0.01 + (1 - 0.01) * 2/14 ≈ 0.15%, far below its ~1% churn: off track.
    target = book.set_target(
        Target(kpi="churn_rate", goal=0.01, due_period="2026-12", amber=5.0), author="test"
    )
    with store.engine.begin() as conn:
        conn.execute(
            targets_table.update()
            .where(targets_table.c.id == target.id)
            .values(baseline=1.0, baseline_period="2025-10")
        )
    at = open_app(PAGE)
    assert not at.exception
    chips = " ".join(m.value for m in at.markdown if "border-left" in m.value)
    assert "Retention" in chips and "Off track" in chips and "Overall" in chips
    assert ":red[✗] Churn rate" in _metrics(at)
    # The trend of churn now carries the target's dashed line.
    at.selectbox(key="trend_kpi").set_value("churn_rate").run()
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert "strokeDash" in spec


def test_a_saved_segmentation_can_be_picked_as_a_segment(data_dir: Path):
    import pandas as pd

    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    customers = next(d for d in store.list_datasets(workspace.id) if d.kind == "customers")
    ids = store.load_canonical(customers.id)["customer_id"]
    tiers = pd.Series(["Gold" if i % 3 == 0 else "Silver" for i in range(len(ids))], index=pd.Index(ids))
    store.save_segmentation(workspace.id, name="Tiers", attribute="tier", segments=tiers)

    at = open_app(PAGE)
    at.sidebar.selectbox(key="split_picker").set_value("tier").run()
    picker = at.sidebar.selectbox(key="segment_picker")
    assert picker.options == ["All customers", "Gold", "Silver"]
    picker.set_value("Gold").run()
    assert not at.exception
    assert "Tier: Gold" in shown(at.caption[0].value)  # a saved segmentation reads as its name


def test_predicted_churn_stands_beside_the_churn_kpi_and_its_target(data_dir: Path):
    from bsc.targets import Target, TargetBook

    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    TargetBook(store, workspace.id).set_target(
        Target(kpi="churn_rate", goal=0.5, due_period="2027-06"), author="t"
    )
    at = open_app(PAGE)
    assert not at.exception
    [line] = [m.value for m in at.markdown if m.value.startswith("**Predicted churn for 2026-11 (month):")]
    # The demo's data end on 2026-10-31, so the next month is 2026-11; a target ramps from the
    # October baseline towards 0.5% and the prediction is read against its November value.
    assert "the target of" in line
    # The figure says its window and that it is the tile's monthly rate; the model's 365-day
    # training window is named apart from it.
    captions = [c.value for c in at.caption]
    assert any(
        c.startswith(
            "Predicted churn over the next month, same definition as the tile (a churn date in the "
            "month): customers expected to churn during 2026-11"
        )
        for c in captions
    )
    [how] = [shown(c) for c in captions if shown(c).startswith("How: the churn lab's model")]
    assert "learned from churn in the 365 days from" in how
    assert "(its training window, not the forecast's)" in how
    assert "1 − (1 − p)^(30/365) for the 30 days of 2026-11" in how
    at.sidebar.selectbox(key="split_picker").set_value("plan").run()
    assert not at.exception
    split = next(d.value for d in at.dataframe if "Predicted churn (%)" in d.value.columns)
    assert sorted(split["plan"]) == ["Basic", "Plus", "Premium"]


def test_split_by_shows_the_files_headers_and_no_churn_outcomes(data_dir: Path):
    from bsc.workspace import import_file
    from tests.conftest import FIXTURES

    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    import_file(store, workspace.id, FIXTURES / "telco_customers.csv")
    import_file(store, workspace.id, FIXTURES / "telco_status.csv")
    store.engine.dispose()
    at = open_app(PAGE)
    picker = at.sidebar.selectbox(key="split_picker")
    assert {"Contract", "PaymentMethod", "SeniorCitizen"} <= set(picker.options)
    assert not {"Churn Reason", "Customer Status", "Churn Category", "Churn Value"} & set(picker.options)
    picker.set_value("contract").run()
    at.sidebar.selectbox(key="segment_picker").set_value("Month-to-month").run()
    assert not at.exception
    assert "Contract: Month-to-month" in shown(at.caption[0].value)


def test_tiles_colour_a_change_only_when_its_two_sample_test_rejects(data_dir: Path):
    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    from bsc.change_tests import judge_change

    at = open_app(PAGE)
    assert not at.exception
    tiles = {m.label: m.proto for m in at.metric}
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    values = compute_kpis(store.workspace_tables(workspace.id), period="month").values
    for kpi in ("nps", "csat", "churn_rate", "new_customers", "revenue", "cpa"):
        definition = KPIS[kpi]
        rows = values[(values["kpi"] == kpi) & values["segment"].isna()].dropna(subset=["value"])
        # Independent of the page: the KPI's own test on the engine's last two periods.
        verdict = judge_change(definition.change_test, rows.iloc[-2], rows.iloc[-1])
        tile = tiles[definition.short_name]
        notes = tile.delta_description.split(" · ")
        assert ("noise" in notes) == (verdict.tested and not verdict.real), kpi
        assert ("no test" in notes) == (not verdict.tested), kpi
        if not verdict.real:
            assert tile.color == MetricProto.MetricColor.GRAY, kpi
        assert verdict.explanation in tile.help, kpi
    # Revenue is a money total: no honest test, so its change is never coloured.
    assert "no test" in tiles["Revenue"].delta_description.split(" · ")


def test_a_split_view_shows_each_segments_status_against_its_target(data_dir: Path):
    import json

    import pandas as pd

    from bsc.database import targets_table
    from bsc.kpis import format_number
    from bsc.targets import Target, TargetBook

    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    target = TargetBook(store, workspace.id).set_target(
        Target(
            kpi="churn_rate", goal=0.01, due_period="2027-12", segment_by="region", segment="West", amber=5.0
        ),
        author="test",
    )
    with store.engine.begin() as conn:
        conn.execute(
            targets_table.update()
            .where(targets_table.c.id == target.id)
            .values(baseline=1.0, baseline_period="2025-10")
        )
    values = compute_kpis(store.workspace_tables(workspace.id), period="month", by="region").values
    west = values[(values["kpi"] == "churn_rate") & (values["segment"] == "West")].dropna(subset=["value"])
    assert west["period"].iloc[-1] == "2026-10"
    # By hand: a straight ramp from 1% in 2025-10 to 0.01% in 2027-12 (26 months) stands, 12
    # months in, at 0.01 + (1 - 0.01) × 14/26 ≈ 0.543%; West's monthly churn is above it.
    ramp = 0.01 + (1.0 - 0.01) * 14 / 26
    gap = format_number(west["value"].iloc[-1] - ramp)

    at = open_app(PAGE)
    at.sidebar.selectbox(key="split_picker").set_value("region").run()
    assert not at.exception
    assert any(m.value == "**Targets by segment: region**" for m in at.markdown)
    # The statuses, not the comparison table (which has an "All customers" column).
    [table] = [
        t.value for t in at.dataframe if "West" in t.value.columns and "All customers" not in t.value.columns
    ]
    assert list(table.index) == ["Churn rate"]  # only KPIs with a segment target
    assert table.loc["Churn rate", "West"] == f"✗ Off track · behind by {gap} pts"
    assert table.loc["Churn rate", "North"] == "– No target"
    caption = next(c.value for c in at.caption if c.value.startswith("Each segment against its own target"))
    assert "(2026-10)" in caption
    # The trend's target line names its segment as the sidebar does (the file's own header).
    at.selectbox(key="trend_kpi").set_value("churn_rate").run()
    at.multiselect(key="trend_others").set_value(["West"]).run()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "strokeDash" in json.dumps(spec)
    labels = {
        row["caption"]
        for chart in at.get("vega_lite_chart")[:1]
        for named in chart.proto.datasets
        for row in pd.DataFrame(_arrow_rows(named.data.data)).to_dict("records")
        if "caption" in row
    }
    assert labels == {"target · region: West"}


def _arrow_rows(data: bytes) -> list[dict]:
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_pandas().to_dict("records")
