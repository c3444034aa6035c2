"""The stored book of a workspace: targets, objectives, initiatives and the audit log (bsc.targets.book).

The book runs against a real store in a temporary folder; the KPI values it checks targets
against come from a hand-made ``KpiResult`` (``tests.target_examples.fake_source``), except in
:class:`TestRealKpis`, which computes them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select

from bsc.database import audit_table, objectives_table, targets_table
from bsc.errors import InputError
from bsc.mapping import TableMapping
from bsc.store import ConflictError, Store
from bsc.targets import (
    Initiative,
    Objective,
    Target,
    TargetBook,
    read_targets_file,
    targets_from_frame,
    targets_to_csv,
    targets_to_frame,
    targets_to_xlsx,
)
from tests.target_examples import CSV, MONTHLY, TODAY, fake_source, kpi_values


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "data")


@pytest.fixture
def workspace(store):
    return store.create_workspace("Acme")


@pytest.fixture
def book(store, workspace) -> TargetBook:
    return TargetBook(store, workspace.id, kpi_source=fake_source(), today=lambda: TODAY)


class TestTargetBook:
    def test_a_new_target_takes_its_baseline_and_is_audited(self, book):
        target = book.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        assert (target.version, target.updated_by) == (1, "Ana")
        assert (target.baseline, target.baseline_period) == (24.0, "2026-10")  # latest all-customer NPS
        log = book.audit_log()
        assert log[["who", "what", "field", "old", "new"]].values.tolist() == [
            ["Ana", "Net Promoter Score · all customers", "created", "", "30 points by 2027-04"]
        ]

    def test_a_baseline_is_never_a_period_to_date(self, store, workspace):
        # November is covered only to the 10th in this data: the baseline is October's 24.
        to_date = kpi_values([("nps", "2026-11", None, 5.0, 0.0, 10.0)]).assign(complete=False)
        values = pd.concat([MONTHLY.assign(complete=True), to_date], ignore_index=True)
        book = TargetBook(store, workspace.id, kpi_source=fake_source(values), today=lambda: TODAY)
        target = book.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        assert (target.baseline, target.baseline_period) == (24.0, "2026-10")

    def test_edits_raise_the_version_and_log_old_and_new(self, book):
        target = book.set_target(
            Target("nps", 30.0, "2027-04", segment_by="region", segment="North"), author="Ana"
        )
        assert target.baseline == 36.0
        edited = book.update_target(
            target.id, {"goal": "32,5", "weight": 2}, author="Ben", expected_version=1
        )
        assert (edited.goal, edited.weight, edited.version, edited.updated_by) == (32.5, 2.0, 2, "Ben")
        log = book.audit_log()
        assert log[["who", "field", "old", "new"]].values.tolist()[:2] in (
            [["Ben", "goal", "30", "32.5"], ["Ben", "weight", "1", "2"]],
            [["Ben", "weight", "1", "2"], ["Ben", "goal", "30", "32.5"]],
        )

    def test_two_writers_on_one_target(self, store, workspace, tmp_path):
        # Two sessions, each with its own store on the same folder, read version 1.
        first = TargetBook(store, workspace.id, kpi_source=fake_source(), today=lambda: TODAY)
        other_store = Store(store.data_dir)
        second = TargetBook(other_store, workspace.id, kpi_source=fake_source(), today=lambda: TODAY)
        target = first.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        seen_by_second = second.get_target(target.id)
        first.update_target(target.id, {"goal": 35}, author="Ana", expected_version=1)
        with pytest.raises(ConflictError, match=r"changed by Ana .* now: 35 points by 2027-04 \(version 2\)"):
            second.update_target(
                target.id, {"goal": 40}, author="Ben", expected_version=seen_by_second.version
            )
        assert second.get_target(target.id).goal == 35.0
        assert "Ben" not in set(second.audit_log()["who"])
        # Creating the same KPI and segment again is refused too, showing what is there.
        with pytest.raises(ConflictError, match="already has a target, set by Ana: 35 points"):
            second.set_target(Target("nps", 50.0, "2027-06"), author="Ben")
        other_store.engine.dispose()

    def test_two_sessions_creating_one_target_at_once(self, store, workspace, monkeypatch):
        # Both sessions check that NPS has no target yet; the second saves right after the first
        # one's check, before its insert. The first is refused with what the second saved.
        first = TargetBook(store, workspace.id, kpi_source=fake_source(), today=lambda: TODAY)
        other_store = Store(store.data_dir)
        second = TargetBook(other_store, workspace.id, kpi_source=fake_source(), today=lambda: TODAY)
        check = first.find_target
        raced = []

        def check_then_the_other_session_saves(*args):
            found = check(*args)
            if not raced:
                raced.append(second.set_target(Target("nps", 35.0, "2027-04"), author="Ben"))
            return found

        monkeypatch.setattr(first, "find_target", check_then_the_other_session_saves)
        with pytest.raises(
            ConflictError,
            match=r"^Net Promoter Score · all customers already has a target, set by Ben: "
            r"35 points by 2027-04 \(version 1\)\. Yours was not saved",
        ):
            first.set_target(Target("nps", 30.0, "2027-06"), author="Ana")
        assert raced, "the other session's save did not run between the check and the insert"
        [stored] = first.targets()
        assert (stored.goal, stored.due_period, stored.updated_by, stored.version) == (
            35.0,
            "2027-04",
            "Ben",
            1,
        )
        assert set(first.audit_log()["who"]) == {"Ben"}
        other_store.engine.dispose()

    def test_set_target_replaces_with_the_version_it_was_made_on(self, book):
        target = book.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        replaced = book.set_target(
            Target("nps", 31.0, "2027-05", green=2.0), author="Ben", expected_version=1
        )
        assert (replaced.goal, replaced.due_period, replaced.green, replaced.version) == (
            31.0,
            "2027-05",
            2.0,
            2,
        )
        assert replaced.baseline == target.baseline
        with pytest.raises(ConflictError):
            book.set_target(Target("nps", 33.0, "2027-05"), author="Cy", expected_version=1)

    def test_delete_is_version_checked(self, book):
        target = book.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        book.update_target(target.id, {"goal": 31}, author="Ana", expected_version=1)
        with pytest.raises(ConflictError):
            book.delete_target(target.id, author="Ben", expected_version=1)
        book.delete_target(target.id, author="Ben", expected_version=2)
        assert book.targets() == []
        assert book.audit_log().iloc[0][["who", "field", "old"]].tolist() == [
            "Ben",
            "deleted",
            "31 points by 2027-04",
        ]
        with pytest.raises(ConflictError, match="deleted in another session"):
            book.update_target(target.id, {"goal": 1}, author="Ben", expected_version=2)

    @pytest.mark.parametrize(
        ("target", "message"),
        [
            (Target("rating", 4.0, "2027-01"), "cannot be computed from this workspace: it needs Rating"),
            (Target("nps", 130.0, "2027-01"), "between -100 and 100"),
            (Target("nps", 30.0, "2026-10"), "ended on 2026-10-31, before today"),
            (Target("nps", 30.0, "2026-Q3"), "ended on 2026-09-30"),
            (
                Target("nps", 30.0, "2027-01", segment_by="region", segment="Atlantis"),
                "no segment “Atlantis”",
            ),
            (
                Target("cpa", 50.0, "2027-01", segment_by="region", segment="North"),
                "cannot be split by region",
            ),
            (Target("nps", 30.0, "2027-01", green=5.0, amber=2.0), "must be at least the green one"),
            (Target("nps", 30.0, "2027-01", weight=-1.0), "cannot be negative"),
            (Target("velocity", 3.0, "2027-01"), "is not a KPI"),
        ],
        ids=[
            "unavailable",
            "out-of-range",
            "past-month",
            "past-quarter",
            "unknown-segment",
            "not-split",
            "bands",
            "weight",
            "unknown-kpi",
        ],
    )
    def test_bad_targets_change_nothing(self, book, target, message):
        with pytest.raises(InputError, match=message):
            book.set_target(target, author="Ana")
        assert book.targets() == [] and book.audit_log().empty

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"goal": "lots"}, "must be a number, not “lots”"),
            ({"goal": ""}, "must be a number"),
            ({"due_period": "2025-12"}, "before today"),
            ({"due_period": "next year"}, "is not a period"),
            ({"green": "5%", "amber": "3"}, "same way"),
            ({"trajectory": {"2027-09": 30}}, "not before the due period"),
            ({"baseline": 3}, "cannot be edited"),
        ],
        ids=[
            "text-in-number",
            "empty-number",
            "past-due",
            "bad-period",
            "mixed-bands",
            "late-step",
            "not-editable",
        ],
    )
    def test_bad_edits_change_nothing(self, book, changes, message):
        target = book.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        with pytest.raises(InputError, match=message):
            book.update_target(target.id, changes, author="Ben", expected_version=1)
        assert book.get_target(target.id) == target
        assert len(book.audit_log()) == 1

    def test_an_author_is_required(self, book):
        with pytest.raises(InputError, match="Give your name"):
            book.set_target(Target("nps", 30.0, "2027-04"), author="  ")

    def test_bands_and_trajectory_edits(self, book):
        target = book.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        edited = book.update_target(
            target.id,
            {"green": "1", "amber": "2.5", "trajectory": {"2026-12": 27}},
            author="Ana",
            expected_version=1,
        )
        assert (edited.band_mode, edited.green, edited.amber) == ("absolute", 1.0, 2.5)
        assert edited.trajectory == (("2026-12", 27.0),)
        # Numbers from a table keep the mode; "%" switches to relative.
        edited = book.update_target(target.id, {"green": 2.0}, author="Ana", expected_version=2)
        assert (edited.band_mode, edited.green) == ("absolute", 2.0)
        edited = book.update_target(
            target.id, {"green": "5%", "amber": "10%"}, author="Ana", expected_version=3
        )
        assert (edited.band_mode, edited.green, edited.amber) == ("relative", 5.0, 10.0)

    def test_a_restart_finds_everything(self, store, workspace, book):
        target = book.set_target(
            Target("nps", 30.0, "2027-04", trajectory=(("2027-01", 27.0),)), author="Ana"
        )
        objective = book.add_objective(
            Objective(
                "Delight customers", "NPS up", owner="Ana", due_date=date(2027, 6, 30), kpis=("nps", "CSAT")
            ),
            author="Ana",
        )
        initiative = book.add_initiative(
            Initiative(objective.id, "Call detractors", owner="Bo", status="in progress"), author="Bo"
        )
        store.engine.dispose()

        restarted = TargetBook(
            Store(store.data_dir), workspace.id, kpi_source=fake_source(), today=lambda: TODAY
        )
        assert restarted.targets() == [target]
        assert restarted.objectives() == [objective]
        assert objective.kpis == ("nps", "csat")
        assert restarted.initiatives(objective.id) == [initiative]
        assert restarted.audit_log()["field"].tolist() == ["created", "created", "created"]


class TestObjectivesAndInitiatives:
    def test_objective_edits_are_version_checked_and_audited(self, book):
        objective = book.add_objective(
            Objective("Keep customers", owner="Ana", kpis=("churn_rate",)), author="Ana"
        )
        edited = book.update_objective(
            objective.id, {"owner": "Bo", "due_date": "2027-03-31"}, author="Bo", expected_version=1
        )
        assert (edited.owner, edited.due_date, edited.version) == ("Bo", date(2027, 3, 31), 2)
        with pytest.raises(ConflictError, match="changed by Bo"):
            book.update_objective(objective.id, {"owner": "Cy"}, author="Cy", expected_version=1)
        log = book.audit_log()
        assert set(log.loc[log["field"] == "owner", ["old", "new"]].itertuples(index=False, name=None)) == {
            ("Ana", "Bo")
        }

    @pytest.mark.parametrize(
        ("objective", "message"),
        [
            (Objective(""), "cannot be empty"),
            (Objective("Grow", due_date=date(2026, 1, 1)), "is in the past"),
            (Objective("Grow", kpis=("rating",)), "cannot compute Average rating"),
            (Objective("Grow", kpis=("speed",)), "is not a KPI"),
        ],
        ids=["empty-name", "past-due", "unavailable-kpi", "unknown-kpi"],
    )
    def test_bad_objectives_change_nothing(self, book, objective, message):
        with pytest.raises(InputError, match=message):
            book.add_objective(objective, author="Ana")
        assert book.objectives() == [] and book.audit_log().empty

    def test_duplicate_objective_names_are_refused(self, book):
        book.add_objective(Objective("Grow in the North"), author="Ana")
        with pytest.raises(InputError, match="already exists"):
            book.add_objective(Objective("grow in the north"), author="Bo")

    def test_initiatives(self, book):
        objective = book.add_objective(Objective("Grow"), author="Ana")
        initiative = book.add_initiative(
            Initiative(
                objective.id, "Referral bonus", start_date=date(2026, 12, 1), end_date=date(2027, 2, 1)
            ),
            author="Ana",
        )
        assert initiative.status == "planned"
        done = book.update_initiative(initiative.id, {"status": "done"}, author="Bo", expected_version=1)
        assert done.status == "done" and done.version == 2
        with pytest.raises(InputError, match="status is one of"):
            book.update_initiative(initiative.id, {"status": "abandoned"}, author="Bo", expected_version=2)
        with pytest.raises(InputError, match="comes before the start date"):
            book.update_initiative(initiative.id, {"end_date": "2026-11-01"}, author="Bo", expected_version=2)
        book.delete_objective(objective.id, author="Cy", expected_version=1)
        assert book.initiatives() == []
        assert book.audit_log()["field"].tolist()[:2] == ["deleted", "deleted"]

    def test_deleting_the_workspace_deletes_its_targets_objectives_and_log(self, store, workspace, book):
        kept = store.create_workspace("Other")
        other = TargetBook(store, kept.id, kpi_source=fake_source(), today=lambda: TODAY)
        book.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        objective = book.add_objective(Objective("Grow"), author="Ana")
        book.add_initiative(Initiative(objective.id, "Ads"), author="Ana")
        other.set_target(Target("nps", 25.0, "2027-04"), author="Bo")
        store.delete_workspace(workspace.id)
        with store.engine.connect() as conn:
            counts = {
                table.name: conn.execute(
                    select(func.count()).select_from(table).where(table.c.workspace_id == workspace.id)
                ).scalar()
                for table in (targets_table, objectives_table, audit_table)
            }
        assert counts == {"targets": 0, "objectives": 0, "audit_log": 0}
        assert [t.goal for t in other.targets()] == [25.0]


class TestImportAndExport:
    def test_import_into_the_book_all_or_nothing(self, book):
        summary = book.import_targets(read_targets_file("targets.csv", CSV.encode()), author="Ana")
        assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)
        again = book.import_targets(
            read_targets_file("targets.csv", CSV.replace(",40,", ",42,").encode()), author="Bo"
        )
        assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
        before = book.targets()
        bad = CSV + "nps,,2020-01,10,,,\n".replace("nps,,2020-01", "csat,,2020-01")
        with pytest.raises(InputError, match=r"Nothing was imported.*before today"):
            book.import_targets(read_targets_file("targets.csv", bad.encode()), author="Cy")
        assert book.targets() == before

    def test_export_round_trips_through_csv_and_excel(self, book):
        book.import_targets(read_targets_file("targets.csv", CSV.encode()), author="Ana")
        targets = book.targets()
        frame = targets_to_frame(targets)
        assert frame.columns.tolist() == ["kpi", "segment", "period", "target", "green", "amber", "weight"]
        assert frame.values.tolist() == [
            ["nps", "", "2026-12", 26.0, "0%", "10%", 2.0],
            ["nps", "", "2027-03", 30.0, "0%", "10%", 2.0],
            ["nps", "region=North", "2027-03", 40.0, "1", "3", 1.0],
            ["churn_rate", "", "2027-Q1", 1.5, "0.1", "0.2", 1.0],
        ]
        for name, data in (("t.csv", targets_to_csv(targets)), ("t.xlsx", targets_to_xlsx(targets))):
            again = targets_from_frame(read_targets_file(name, data))
            keep = (
                "kpi",
                "goal",
                "due_period",
                "segment_by",
                "segment",
                "trajectory",
                "band_mode",
                "green",
                "amber",
                "weight",
            )
            assert [tuple(getattr(t, k) for k in keep) for t in again] == [
                tuple(getattr(t, k) for k in keep) for t in targets
            ]


class TestRealKpis:
    def test_default_source_computes_the_workspace_kpis(self, store, workspace):
        answers = pd.DataFrame(
            {
                "customer_id": pd.array(["a", "b", "c", "d"], dtype="string"),
                "date": pd.to_datetime(["2026-09-03", "2026-09-20", "2026-10-02", "2026-10-09"]).astype(
                    "datetime64[us]"
                ),
                "nps": [10.0, 3.0, 9.0, 8.0],
            }
        )
        store.save_dataset(
            workspace.id,
            name="answers.csv",
            source="answers.csv",
            sheet=None,
            raw=answers,
            canonical=answers,
            mapping=TableMapping(
                kind="feedback", roles={"customer_id": "customer_id", "date": "date", "nps": "nps"}
            ),
        )
        book = TargetBook(store, workspace.id, today=lambda: TODAY)
        # October: one promoter (9) and one passive (8) of two answers → NPS (1 − 0) ÷ 2 × 100 = 50.
        target = book.set_target(Target("nps", 60.0, "2027-03"), author="Ana")
        assert (target.baseline, target.baseline_period) == (50.0, "2026-10")
        with pytest.raises(InputError, match="Customer satisfaction \\(CSAT\\) cannot be computed"):
            book.set_target(Target("csat", 80.0, "2027-03"), author="Ana")
