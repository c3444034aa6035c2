"""The Objectives & targets page on the demo workspace: the assistant, the editable tables, what-if."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bsc.assistant import assess_target, chance_text
from bsc.kpis import compute_kpis
from bsc.store import Store
from bsc.targets import Target, TargetBook
from tests.app.conftest import open_app, shown

PAGE = "pages/objectives.py"

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


def _book(data_dir: Path) -> TargetBook:
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    return TargetBook(store, workspace.id)


def _open_as(name: str):
    at = open_app(PAGE)
    at.text_input(key="author_input").input(name).run()
    assert not at.exception
    return at


def _button(at, label: str):
    return next(button for button in at.button if button.label == label)


def _edit(at, name: str, edits: dict) -> None:
    key = at.session_state[f"{name}_editor_state"]["key"]
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edits}
    at.run()


def test_set_a_segment_target_with_the_assistant(data_dir: Path):
    at = _open_as("Ana")
    at.sidebar.selectbox(key="split_picker").set_value("region").run()
    at.sidebar.selectbox(key="segment_picker").set_value("North").run()
    assert "region North" in at.caption[1].value
    draft = "nps|region|North|0"
    at.selectbox(key=f"target_due_{draft}").set_value("2027-06")
    at.number_input(key=f"target_goal_{draft}").set_value(45.0)
    _button(at, "Save target").click().run()
    assert not at.exception
    assert any(
        "Saved: Net Promoter Score · region North, 45 points by 2027-06" in shown(s.value) for s in at.success
    )

    [target] = _book(data_dir).targets()
    assert (target.kpi, target.segment_by, target.segment, target.goal, target.due_period) == (
        "nps",
        "region",
        "North",
        45.0,
        "2027-06",
    )
    assert target.updated_by == "Ana"
    # The chance shown is the assistant's, computed here from the engine's values.
    store = Store(data_dir)
    values = compute_kpis(
        store.workspace_tables(store.list_workspaces()[0].id), period="month", by="region"
    ).values
    north = values[(values["kpi"] == "nps") & (values["segment"] == "North")]
    expected = assess_target(north, kpi="nps", due_period="2027-06", proposed=45.0)
    chance = next(m for m in at.metric if m.label.startswith("Chance of reaching"))
    assert chance.label == "Chance of reaching 45 points"
    assert chance.value == chance_text(expected.probability).replace("about ", "")
    assert len(at.get("vega_lite_chart")) == 3  # the assistant and the two what-if charts
    # The roll-up chips and the form now know the target.
    assert any("Current target:" in m.value and "45 points" in m.value for m in at.markdown)


def test_an_implausible_target_is_warned_about(data_dir: Path):
    at = _open_as("Ana")
    draft = "nps|None|None|0"
    at.number_input(key=f"target_goal_{draft}").set_value(95.0)
    _button(at, "Check the chance").click().run()
    assert not at.exception
    [warning] = [w.value for w in at.warning if "out of reach" in w.value]
    assert "No month so far has been above" in warning
    assert _book(data_dir).targets() == []


def test_edit_the_targets_table(data_dir: Path):
    book = _book(data_dir)
    book.set_target(Target("nps", 30.0, "2027-06"), author="Setup")
    book.set_target(Target("churn_rate", 0.9, "2027-03"), author="Setup")
    at = _open_as("Ana")
    _edit(at, "targets", {"edited_rows": {0: {"Target": 33.0, "Weight": 2.0}}})
    assert not at.exception
    nps = book.find_target("nps")
    assert (nps.goal, nps.weight, nps.version, nps.updated_by) == (33.0, 2.0, 2, "Ana")
    log = book.audit_log()
    assert set(log.loc[log["who"] == "Ana", "field"]) == {"goal", "weight"}
    assert any(
        "Saved: Net Promoter Score · all customers, 33 points by 2027-06" in shown(s.value)
        for s in at.success
    )

    # A bad value: a period nobody can read. Nothing changes, the message says why.
    _edit(at, "targets", {"edited_rows": {1: {"Due": "next spring"}}})
    assert any("“next spring” is not a period" in e.value for e in at.error)
    assert book.find_target("churn_rate").version == 1

    # Deleting a row deletes the target.
    _edit(at, "targets", {"deleted_rows": [1]})
    assert [t.kpi for t in book.targets()] == ["nps"]


def test_a_second_writer_is_told_not_overwritten(data_dir: Path):
    book = _book(data_dir)
    book.set_target(Target("nps", 30.0, "2027-06"), author="Setup")
    at = _open_as("Ana")  # Ana's table shows version 1
    book.update_target(book.find_target("nps").id, {"goal": 35}, author="Ben", expected_version=1)
    _edit(at, "targets", {"edited_rows": {0: {"Target": 40.0}}})
    assert not at.exception
    [error] = [e.value for e in at.error if "changed by Ben" in e.value]
    assert "now: 35 points by 2027-06 (version 2)" in shown(error)
    assert book.find_target("nps").goal == 35.0
    # The table now shows Ben's value, ready to be edited again.
    rows = at.session_state["targets_editor_state"]["rows"]
    assert (rows[0]["Target"], rows[0]["version"]) == (35.0, 2)


def test_saving_from_a_stale_form_is_refused(data_dir: Path):
    book = _book(data_dir)
    book.set_target(Target("nps", 30.0, "2027-06"), author="Setup")
    at = _open_as("Ana")
    draft = "nps|None|None|1"
    at.number_input(key=f"target_goal_{draft}").set_value(40.0)
    book.update_target(book.find_target("nps").id, {"goal": 35}, author="Ben", expected_version=1)
    _button(at, "Save target").click().run()
    assert any("changed by Ben" in e.value and "35 points" in e.value for e in at.error)
    assert book.find_target("nps").goal == 35.0


def test_per_period_targets(data_dir: Path):
    book = _book(data_dir)
    target = book.set_target(Target("nps", 33.0, "2027-01"), author="Setup")
    # Baseline 2026-10, so the periods before the due one are 2026-11 and 2026-12.
    at = _open_as("Ana")
    key = f"trajectory_{target.id}_1"
    at.session_state[key] = {"edited_rows": {1: {"Target": 32.0}}, "added_rows": [], "deleted_rows": []}
    _button(at, "Save per-period targets").click().run()
    assert not at.exception
    saved = book.get_target(target.id)
    # November keeps the straight line: baseline + (33 − baseline) ÷ 3.
    november = target.baseline + (33.0 - target.baseline) / 3
    assert saved.trajectory == (("2026-11", pytest.approx(november, abs=1e-4)), ("2026-12", 32.0))
    assert saved.version == 2
    _button(at, "Back to a straight line").click().run()
    assert book.get_target(target.id).trajectory == ()


def test_a_name_is_required_to_save(data_dir: Path):
    book = _book(data_dir)
    book.set_target(Target("nps", 30.0, "2027-06"), author="Setup")
    at = open_app(PAGE)
    assert any("Give your name below" in w.value for w in at.warning)
    # The field is on the page under the message, not in the sidebar.
    assert not [box for box in at.sidebar.text_input if box.key == "author_input"]
    assert at.text_input(key="author_input").value == ""
    _edit(at, "targets", {"edited_rows": {0: {"Target": 33.0}}})
    assert any("Give your name first" in e.value for e in at.error)
    assert book.find_target("nps").goal == 30.0


def test_the_login_names_the_author_where_one_exists(data_dir: Path):
    book = _book(data_dir)
    book.set_target(Target("nps", 30.0, "2027-06"), author="Setup")
    at = open_app()
    at.user = {"is_logged_in": True, "name": "Dana Login", "email": "dana@example.com"}
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("Changes are logged as" in c.value and "Dana Login" in c.value for c in at.caption)
    _edit(at, "targets", {"edited_rows": {0: {"Target": 32.0}}})
    assert book.find_target("nps").updated_by == "Dana Login"


def test_objectives_and_initiatives(data_dir: Path):
    at = _open_as("Ana")
    _edit(
        at,
        "objectives",
        {
            "added_rows": [
                {
                    "Objective": "Delight customers",
                    "Owner": "Ana",
                    "Due": "2027-06-30",
                    "KPIs": ["nps", "csat"],
                }
            ]
        },
    )
    assert not at.exception
    book = _book(data_dir)
    [objective] = book.objectives()
    assert (objective.name, objective.owner, str(objective.due_date), objective.kpis) == (
        "Delight customers",
        "Ana",
        "2027-06-30",
        ("nps", "csat"),
    )
    _edit(
        at,
        "initiatives",
        {
            "added_rows": [
                {
                    "Objective": "Delight customers",
                    "Initiative": "Call every detractor",
                    "Status": "in progress",
                }
            ]
        },
    )
    [initiative] = book.initiatives(objective.id)
    assert (initiative.name, initiative.status, initiative.updated_by) == (
        "Call every detractor",
        "in progress",
        "Ana",
    )
    # A due date in the past is refused.
    _edit(at, "objectives", {"edited_rows": {0: {"Due": "2020-01-01"}}})
    assert any("is in the past" in e.value for e in at.error)
    assert str(book.objectives()[0].due_date) == "2027-06-30"


def test_what_if_levers(data_dir: Path):
    at = _open_as("Ana")
    revenue = next(m for m in at.metric if m.label == "Revenue, next 12 months")
    assert revenue.delta in (None, "")
    at.slider(key="whatif_retention").set_value(0.5).run()
    assert not at.exception
    revenue = next(m for m in at.metric if m.label == "Revenue, next 12 months")
    assert revenue.delta.startswith("+")
    assumptions = " ".join(m.value for m in at.markdown)
    assert "retention +0.50 points" in assumptions and "no discounting" in assumptions


def test_import_targets_and_find_them_in_the_log(data_dir: Path):
    at = _open_as("Ana")
    csv = "kpi,segment,period,target,green,amber,weight\nnps,,2027-06,31,0%,10%,1\nchurn_rate,,2027-06,0.9,0.05,0.2,2\n"
    at.file_uploader(key="targets_upload").set_value(("targets.csv", csv.encode(), "text/csv")).run()
    _button(at, "Import 2 targets").click().run()
    assert not at.exception
    assert any("Imported: 2 new, 0 changed, 0 unchanged." in shown(s.value) for s in at.success)
    assert {t.kpi for t in _book(data_dir).targets()} == {"nps", "churn_rate"}
    log = next(frame.value for frame in at.dataframe if "who" in frame.value.columns)
    assert set(log["who"]) == {"Ana"} and set(log["field"]) == {"created"}


def test_the_what_if_waits_for_its_nps_link_in_the_background(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    from bsc.assistant import nps_churn_link
    from bsc.results_cache import ResultsCache

    monkeypatch.setenv("BSC_SLOW_EXTRAS", "background")
    # Nothing started ahead by the Scorecard: the Objectives page asks for the link itself.
    monkeypatch.setattr("ui.target_book.prefetch_kpis", lambda *args: None)
    monkeypatch.setattr("ui.target_book.prefetch_nps_link", lambda *args: None)
    at = open_app(PAGE)
    assert not at.exception
    # The page is drawn at once, the what-if's note standing in for its levers.
    assert any(c.value.startswith(":material/hourglass_top: The what-if: being computed") for c in at.caption)
    assert not [m for m in at.metric if m.label == "Revenue, next 12 months"]
    results = data_dir / "results"
    deadline = time.monotonic() + 120
    while not any(results.glob("nps_churn_link-*.result")) and time.monotonic() < deadline:
        time.sleep(0.2)
    [kept] = results.glob("nps_churn_link-*.result")
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    # Kept equal to the link computed directly from the workspace's tables.
    assert ResultsCache(results).get(kept.name.removesuffix(".result")) == nps_churn_link(
        store.workspace_tables(workspace.id)
    )
    at.run()
    assert not at.exception
    assert not [c for c in at.caption if "being computed" in c.value]
    assert [m for m in at.metric if m.label == "Revenue, next 12 months"]
