"""Targets, objectives and initiatives: periods, trajectories, statuses, roll-up and the stored book.

Golden values are worked out by hand in the comments. The stored book runs against a real store
in a temporary folder; the KPI values it checks targets against come from a hand-made
``KpiResult`` (``fake_source``), except in :class:`TestRealKpis`, which computes them.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select

from bsc.database import audit_table, objectives_table, targets_table
from bsc.errors import InputError
from bsc.kpis import KpiParams, KpiResult
from bsc.mapping import TableMapping
from bsc.store import ConflictError, Store
from bsc.targets import (
    Initiative,
    Objective,
    Target,
    TargetBook,
    band_limits,
    evaluate,
    judge,
    read_targets_file,
    rollup,
    targets_from_frame,
    targets_to_csv,
    targets_to_frame,
    targets_to_xlsx,
    trajectories,
)

TODAY = date(2026, 11, 27)


def kpi_values(rows: list[tuple]) -> pd.DataFrame:
    """A ``compute_kpis(...).values`` frame from (kpi, period, segment, value, ci_low, ci_high)."""
    frame = pd.DataFrame(rows, columns=["kpi", "period", "segment", "value", "ci_low", "ci_high"])
    frame["numerator"] = frame["denominator"] = math.nan
    frame["n"] = pd.array([100] * len(frame), dtype="Int64")
    return frame.astype({"kpi": "string", "period": "string", "segment": "string"})


MONTHLY = kpi_values(
    [
        ("nps", "2026-08", None, 20.0, 15.0, 25.0),
        ("nps", "2026-09", None, 22.0, 17.0, 27.0),
        ("nps", "2026-10", None, 24.0, 19.0, 29.0),
        ("nps", "2026-08", "North", 30.0, 20.0, 40.0),
        ("nps", "2026-09", "North", 33.0, 23.0, 43.0),
        ("nps", "2026-10", "North", 36.0, 26.0, 46.0),
        ("churn_rate", "2026-08", None, 2.0, math.nan, math.nan),
        ("churn_rate", "2026-09", None, 1.9, math.nan, math.nan),
        ("churn_rate", "2026-10", None, 1.8, math.nan, math.nan),
        ("revenue", "2026-09", None, 900.0, math.nan, math.nan),
        ("revenue", "2026-10", None, 1000.0, math.nan, math.nan),
    ]
)


def fake_source(
    values: pd.DataFrame = MONTHLY, unavailable=(("rating", "needs Rating (Feedback / surveys)"),)
):
    """A kpi_source for the book: the same hand-made values for every period unit and split."""
    calls: list[tuple[str, str | None]] = []

    def source(unit: str, by: str | None) -> KpiResult:
        calls.append((unit, by))
        frame = values if by is not None else values[values["segment"].isna()]
        not_split = [("cpa", "marketing figures split only by channel")] if by else []
        return KpiResult(frame, list(unavailable), not_split, {}, unit, by, KpiParams())  # type: ignore[arg-type]

    source.calls = calls  # type: ignore[attr-defined]
    return source


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "data")


@pytest.fixture
def workspace(store):
    return store.create_workspace("Acme")


@pytest.fixture
def book(store, workspace) -> TargetBook:
    return TargetBook(store, workspace.id, kpi_source=fake_source(), today=lambda: TODAY)


# --------------------------------------------------------------------------------------------
# Periods and trajectories
# --------------------------------------------------------------------------------------------


class TestTrajectory:
    def test_linear_ramp_from_the_baseline(self):
        # 20 in 2026-10 to 32 in 2027-04: six months, +2 a month.
        target = Target("nps", 32.0, "2027-04", baseline=20.0, baseline_period="2026-10")
        assert target.value_at("2026-10") == pytest.approx(20.0)
        assert target.value_at("2027-01") == pytest.approx(26.0)  # 20 + 3 × 2
        assert target.value_at("2026-Q4") == pytest.approx(24.0)  # ends in December: 20 + 2 × 2
        assert target.value_at("2027-12") == pytest.approx(32.0)  # the goal holds after the due period
        assert math.isnan(target.value_at("2026-09"))  # no target before the baseline

    def test_quarterly_target_read_in_months(self):
        # 20 in 2026-Q4 (ends December) to 32 in 2027-Q2 (ends June): +2 a month from December.
        target = Target("nps", 32.0, "2027-Q2", baseline=20.0, baseline_period="2026-Q4")
        assert target.value_at("2026-10") == pytest.approx(20.0)  # within the baseline quarter
        assert target.value_at("2027-02") == pytest.approx(24.0)  # 20 + 2 × 2
        assert math.isnan(target.value_at("2026-09"))

    def test_per_period_values(self):
        # 20 (2026-10) → 30 (2026-12) → 30 (2027-02): 25 in November, 30 in January.
        target = Target(
            "nps", 30.0, "2027-02", trajectory=(("2026-12", 30.0),), baseline=20.0, baseline_period="2026-10"
        )
        assert target.value_at("2026-11") == pytest.approx(25.0)
        assert target.value_at("2027-01") == pytest.approx(30.0)

    def test_without_a_baseline_the_goal_holds_throughout(self):
        target = Target("nps", 30.0, "2027-02")
        assert target.value_at("2020-01") == target.value_at("2027-02") == 30.0


# --------------------------------------------------------------------------------------------
# Statuses and roll-up
# --------------------------------------------------------------------------------------------


class TestJudge:
    @pytest.mark.parametrize(
        ("value", "status"),
        [(30.0, "green"), (31.0, "green"), (28.0, "amber"), (27.0, "amber"), (26.9, "red")],
        ids=["on-target", "above", "amber", "amber-edge", "red"],
    )
    def test_higher_is_better_relative_bands(self, value, status):
        # Target 30, amber tolerance 10% of 30 = 3: amber down to 27, red below.
        assert judge(value, 30.0, direction="higher", band_mode="relative", green=0, amber=10) == status

    @pytest.mark.parametrize(
        ("value", "status"),
        [(1.5, "green"), (2.1, "green"), (2.25, "amber"), (2.3, "amber"), (2.31, "red")],
        ids=["below", "green-edge", "amber", "amber-edge", "red"],
    )
    def test_lower_is_better_absolute_bands(self, value, status):
        # Churn target 2.0 %, green up to 2.1, amber up to 2.3.
        assert judge(value, 2.0, direction="lower", band_mode="absolute", green=0.1, amber=0.3) == status

    def test_band_limits(self):
        assert band_limits(30.0, "higher", "relative", 5.0, 10.0) == pytest.approx((28.5, 27.0))
        assert band_limits(2.0, "lower", "absolute", 0.1, 0.3) == pytest.approx((2.1, 2.3))

    def test_target_inside_the_interval_is_within_noise(self):
        assert judge(24.0, 30.0, direction="higher", ci_low=18.0, ci_high=30.5) == "noise"
        assert judge(24.0, 30.0, direction="higher", ci_low=18.0, ci_high=29.0) == "red"

    def test_missing_target_or_value(self):
        assert judge(24.0, math.nan, direction="higher") == "no_target"
        assert judge(math.nan, 30.0, direction="higher") == "no_data"


class TestEvaluate:
    TARGETS = (
        # NPS all customers: ramp 16 (2026-09) → 19 (2026-12), +1 a month: 17 in 2026-10, where the
        # value 24 (interval 19–29) beats it.
        Target("nps", 19.0, "2026-12", baseline=16.0, baseline_period="2026-09", id="t1", version=3),
        # North: 40 flat (no baseline); latest 36 with interval 26–46 holds 40: within noise.
        Target("nps", 40.0, "2027-01", segment_by="region", segment="North", id="t2", version=1),
        # Churn: 1.5 flat, absolute bands 0.1 / 0.2: 1.8 misses by 0.3 → red.
        Target("churn_rate", 1.5, "2027-03", band_mode="absolute", green=0.1, amber=0.2, id="t3", version=1),
        # CSAT has no values at all: no data.
        Target("csat", 80.0, "2027-03", id="t4", version=1),
        # Set for another split: left out.
        Target("nps", 50.0, "2027-01", segment_by="plan", segment="Basic", id="t5", version=1),
    )

    def test_one_row_per_kpi_and_segment_with_status(self):
        statuses = evaluate(self.TARGETS, MONTHLY, by="region")
        table = {(r.kpi, None if pd.isna(r.segment) else r.segment): r for r in statuses.itertuples()}
        assert set(table) == {
            ("nps", None),
            ("nps", "North"),
            ("churn_rate", None),
            ("revenue", None),
            ("csat", None),
        }
        nps = table["nps", None]
        assert (nps.period, nps.value, nps.target, nps.status, nps.score) == (
            "2026-10",
            24.0,
            17.0,
            "green",
            100.0,
        )
        assert (nps.target_id, nps.version, nps.goal, nps.due_period) == ("t1", 3, 19.0, "2026-12")
        assert table["nps", "North"].status == "noise"
        assert table["nps", "North"].segment_by == "region"
        churn = table["churn_rate", None]
        assert (churn.status, churn.gap) == ("red", pytest.approx(0.3))
        assert churn.green_limit == pytest.approx(1.6) and churn.amber_limit == pytest.approx(1.7)
        assert table["revenue", None].status == "no_target"
        assert table["csat", None].status == "no_data"

    def test_without_a_split_segment_targets_are_left_out(self):
        statuses = evaluate(self.TARGETS, MONTHLY[MONTHLY["segment"].isna()])
        assert "North" not in set(statuses["segment"].dropna())
        assert statuses["target_id"].dropna().tolist() == ["t1", "t3", "t4"]

    def test_a_period_length_target_is_not_read_in_other_periods(self):
        revenue = Target("revenue", 3000.0, "2027-Q1", id="r", version=1)
        row = evaluate([revenue], MONTHLY).set_index("kpi").loc["revenue"]
        assert row["status"] == "no_target" and "per quarter" in row["note"]

    def test_trajectories_per_period_including_future_periods(self):
        paths = trajectories(self.TARGETS[:1], MONTHLY)
        # The ramp starts at the baseline (2026-09): 16, 17, then 18 and 19 in the future months.
        assert paths["period"].tolist() == ["2026-09", "2026-10", "2026-11", "2026-12"]
        assert paths["target"].tolist() == pytest.approx([16.0, 17.0, 18.0, 19.0])
        assert paths["future"].tolist() == [False, False, True, True]
        # 22 (interval 17–27) against 16: green; the future has no status.
        assert paths["status"].tolist()[:2] == ["green", "green"]
        assert paths["status"].iloc[2:].isna().all()
        # Relative amber band 10%: 18 − 1.8 = 16.2 in November.
        assert paths["amber_limit"].iloc[2] == pytest.approx(16.2)


class TestRollup:
    def test_weighted_scores_per_component_and_overall(self):
        statuses = pd.DataFrame(
            {
                "component": ["satisfaction", "satisfaction", "retention", "acquisition", "loyalty"],
                "status": ["green", "red", "amber", "noise", "no_target"],
                "score": [100.0, 0.0, 50.0, math.nan, math.nan],
                "weight": [2.0, 1.0, 1.0, 1.0, math.nan],
            }
        )
        table = rollup(statuses).set_index("component")
        # Satisfaction (2 × 100 + 1 × 0) ÷ 3 = 66.7 → amber (50 ≤ score < 80).
        assert table.loc["satisfaction", "score"] == pytest.approx(200 / 3)
        assert table.loc["satisfaction", "status"] == "amber"
        assert table.loc["retention", ["score", "status"]].tolist() == [50.0, "amber"]
        assert table.loc["acquisition", "status"] == "noise"
        assert table.loc["loyalty", "status"] == "no_target"
        assert table.loc["service", "targets"] == 0
        # Overall (2 × 100 + 1 × 0 + 1 × 50) ÷ 4 = 62.5.
        assert table.loc["overall", "score"] == pytest.approx(62.5)
        assert table.loc[
            "overall", ["targets", "on_track", "at_risk", "off_track", "within_noise"]
        ].tolist() == [
            4,
            1,
            1,
            1,
            1,
        ]

    def test_green_from_eighty(self):
        statuses = pd.DataFrame(
            {
                "component": ["service"] * 5,
                "status": ["green"] * 4 + ["red"],
                "score": [100.0] * 4 + [0.0],
                "weight": 1.0,
            }
        )
        assert rollup(statuses).set_index("component").loc["service", ["score", "status"]].tolist() == [
            80.0,
            "green",
        ]


# --------------------------------------------------------------------------------------------
# The stored book
# --------------------------------------------------------------------------------------------


class TestTargetBook:
    def test_a_new_target_takes_its_baseline_and_is_audited(self, book):
        target = book.set_target(Target("nps", 30.0, "2027-04"), author="Ana")
        assert (target.version, target.updated_by) == (1, "Ana")
        assert (target.baseline, target.baseline_period) == (24.0, "2026-10")  # latest all-customer NPS
        log = book.audit_log()
        assert log[["who", "what", "field", "old", "new"]].values.tolist() == [
            ["Ana", "Net Promoter Score · all customers", "created", "", "30 points by 2027-04"]
        ]

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


# --------------------------------------------------------------------------------------------
# Import and export
# --------------------------------------------------------------------------------------------

CSV = (
    "KPI,Segment,Period,Target,Green,Amber,Weight\n"
    "nps,,2026-12,26,,,\n"
    "nps,,2027-03,30,0%,10%,2\n"
    "Net Promoter Score,region=North,2027-03,40,1,3,\n"
    "churn_rate,,2027-Q1,1.5,0.1,0.2,1\n"
)


class TestImportExport:
    def test_rows_make_targets(self):
        targets = targets_from_frame(read_targets_file("targets.csv", CSV.encode()))
        assert [(t.kpi, t.segment_by, t.segment, t.due_period, t.goal) for t in targets] == [
            ("nps", None, None, "2027-03", 30.0),
            ("nps", "region", "North", "2027-03", 40.0),
            ("churn_rate", None, None, "2027-Q1", 1.5),
        ]
        nps, north, _ = targets
        assert nps.trajectory == (("2026-12", 26.0),) and nps.weight == 2.0 and nps.band_mode == "relative"
        assert (north.band_mode, north.green, north.amber, north.weight) == ("absolute", 1.0, 3.0, 1.0)

    def test_bad_rows_are_listed(self):
        bad = "kpi,segment,period,target\nnps,,2027-03,lots\nspeed,,2027-03,1\nnps,North,2027-03,3\nnps,,soon,3\n"
        with pytest.raises(InputError) as caught:
            targets_from_frame(read_targets_file("t.csv", bad.encode()))
        message = str(caught.value)
        for expected in (
            "row 2: The target must be a number",
            "row 3: “speed” is not a KPI",
            "row 4: Segment “North”",
            "row 5: “soon”",
        ):
            assert expected in message

    def test_numbers_as_people_type_them(self):
        # A lone comma is a decimal comma; beside a point it separates thousands; "%" is relative.
        text = "kpi;segment;period;target;green;amber;weight\nrevenue;;2027-03;1,234.5;1;2,5;\nnps;;2027-03;32,5;5%;10%;\n"
        revenue, nps = targets_from_frame(read_targets_file("t.csv", text.encode()))
        assert (revenue.goal, revenue.band_mode, revenue.amber) == (1234.5, "absolute", 2.5)
        assert (nps.goal, nps.band_mode, nps.green) == (32.5, "relative", 5.0)

    @pytest.mark.parametrize(
        ("cell", "message"),
        [("", "must be a number, not “(empty)”"), ("inf", "must be a finite number, not “inf”")],
        ids=["empty", "infinite"],
    )
    def test_unreadable_numbers_are_named(self, cell, message):
        text = f"kpi,segment,period,target\nnps,,2027-03,{cell}\n"
        with pytest.raises(InputError, match=re.escape(f"row 2: The target {message}")):
            targets_from_frame(read_targets_file("t.csv", text.encode()))

    def test_a_windows_file_is_read(self):
        # Read by bsc.ingest like any data file: Windows-1252 text, semicolons.
        text = "kpi;segment;period;target\nnps;région=Nord;2027-03;30\n"
        [target] = targets_from_frame(read_targets_file("t.csv", text.encode("cp1252")))
        assert (target.segment_by, target.segment) == ("région", "Nord")

    def test_a_line_that_would_be_left_out_is_refused(self):
        text = "kpi,segment,period,target\nnps,,2027-03,30\nnps,,2027-04,1,234,5\n"
        with pytest.raises(InputError, match=r"could not be read as a targets file.*more fields"):
            read_targets_file("t.csv", text.encode())

    def test_only_csv_and_excel_files(self):
        with pytest.raises(InputError, match=r"targets can be read from \.csv or \.xlsx files"):
            read_targets_file("t.tsv", b"kpi\tsegment\tperiod\ttarget\nnps\t\t2027-03\t30\n")

    def test_missing_columns(self):
        with pytest.raises(InputError, match="missing: target"):
            targets_from_frame(pd.DataFrame({"kpi": ["nps"], "segment": [""], "period": ["2027-01"]}))

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

    def test_exports_are_neutralised(self):
        target = Target("nps", 30.0, "2027-03", segment_by="=cmd", segment="x")
        text = targets_to_csv([target]).decode("utf-8-sig")
        assert "'=cmd=x" in text
        workbook = pd.read_excel(io.BytesIO(targets_to_xlsx([target])), dtype=object)
        assert workbook.loc[0, "segment"] == "'=cmd=x"


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
