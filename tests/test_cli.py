"""``python -m bsc``: run as a user would, in a subprocess."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bsc", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


class TestInspect:
    def test_cdnow_log_is_a_transactions_table(self):
        result = run_cli("inspect", str(FIXTURES / "cdnow_sample.txt"), "--json")
        assert result.returncode == 0, result.stderr
        [table] = json.loads(result.stdout)["tables"]
        assert table["kind"] == "transactions"
        # 2,006 lines in the excerpt (wc -l), no header.
        assert table["rows"] == 2006
        assert {"customer_id", "date", "amount"} <= set(table["roles"])
        assert table["roles"]["date"] == "column_3"

    def test_telco_table_is_customers_with_its_churn_flag(self):
        result = run_cli("inspect", str(FIXTURES / "telco_customers.csv"), "--json")
        assert result.returncode == 0, result.stderr
        [table] = json.loads(result.stdout)["tables"]
        assert table["kind"] == "customers"
        assert table["roles"]["customer_id"] == "customerID"
        assert table["roles"]["churn"] == "Churn"
        assert "Contract" in table["segments"]
        assert "TotalCharges" in table["attributes"]
        for problem in table["problems"]:
            assert set(problem) == {"severity", "message", "rows", "examples"}
        # The blank TotalCharges are reported at upload, with the rows and customers they touch
        # (awk -F, 'NR>1 && $12==" " {print NR-1, $1}' telco_customers.csv -> 7 9134-CFOMR, ...).
        [blank] = [p for p in table["problems"] if "TotalCharges" in p["message"]]
        assert blank["rows"] == 3
        assert blank["examples"][0] == "row 7 (customer 9134-CFOMR)"

    def test_text_output_lists_roles(self):
        result = run_cli("inspect", str(FIXTURES / "telco_customers.csv"))
        assert result.returncode == 0
        assert "telco_customers.csv: customers, 40 rows" in result.stdout
        assert "churn" in result.stdout and "<- Churn" in result.stdout

    def test_unreadable_file_exits_2_with_one_line(self):
        result = run_cli("inspect", str(FIXTURES / "garbage.csv"))
        assert result.returncode == 2
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("error: ")
        assert "Traceback" not in result.stderr

    def test_missing_file_exits_2(self, tmp_path):
        result = run_cli("inspect", str(tmp_path / "nope.csv"))
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1


class TestDemo:
    def test_writes_a_small_company(self, tmp_path):
        result = run_cli("demo", "--customers", "200", "--months", "24", "--out", str(tmp_path))
        assert result.returncode == 0, result.stderr
        names = {Path(line).name for line in result.stdout.split()}
        assert {"customers.csv", "orders.csv", "surveys.csv", "tickets.csv", "marketing.csv"} <= names
        customers = (tmp_path / "customers.csv").read_text().splitlines()
        assert len(customers) == 201  # a header and 200 customers

    def test_bad_size_exits_2(self, tmp_path):
        result = run_cli("demo", "--customers", "5", "--out", str(tmp_path))
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


def _cdnow_log():
    import pandas as pd

    # Independent reading of the excerpt: id, sample id, YYYYMMDD, CDs, dollars, whitespace-separated.
    log = pd.read_csv(
        FIXTURES / "cdnow_sample.txt",
        sep=r"\s+",
        header=None,
        names=["id", "sample_id", "date", "cds", "dollars"],
        dtype={"id": str},
    )
    log["date"] = pd.to_datetime(log["date"].astype(str), format="%Y%m%d")
    log["month"] = log["date"].dt.strftime("%Y-%m")
    return log


class TestKpis:
    def test_cdnow_monthly_figures_match_an_independent_computation(self):
        import pandas as pd

        result = run_cli("kpis", str(FIXTURES / "cdnow_sample.txt"), "--json")
        assert result.returncode == 0, result.stderr
        computed = json.loads(result.stdout)
        by_kpi: dict[str, dict[str, float]] = {}
        for row in computed["kpis"]:
            if row["segment"] is None and row["value"] is not None:
                by_kpi.setdefault(row["kpi"], {})[row["period"]] = row["value"]

        log = _cdnow_log()
        # No order ids in CDNOW: an order is a distinct customer and day.
        orders = log.drop_duplicates(["id", "date"])
        per_month = orders.groupby(["month", "id"]).size()
        first_month = log.groupby("id")["month"].min()
        expected = {
            "active_customers": log.groupby("month")["id"].nunique(),
            "revenue": log.groupby("month")["dollars"].sum(),
            "orders": orders.groupby("month").size(),
            "new_customers": first_month.value_counts(),
            "repeat_purchase_rate": 100 * (per_month >= 2).groupby("month").mean(),
        }
        # New customers by first order need 90 days of log before the month (the log starts on
        # 1997-01-01): January to March 1997 are null, with the reason.
        known_from = (log["date"].min() + pd.Timedelta(days=90)).strftime("%Y-%m")
        assert known_from == "1997-04"
        for kpi, series in expected.items():
            for month, value in series.items():
                if kpi == "new_customers" and month < known_from:
                    assert month not in by_kpi[kpi]
                    continue
                assert by_kpi[kpi][month] == pytest.approx(value, rel=1e-9, abs=1e-6), (kpi, month)

    def test_cdnow_json_marks_partial_periods_and_unknown_values(self):
        import pandas as pd

        result = run_cli("kpis", str(FIXTURES / "cdnow_sample.txt"), "--period", "year", "--json")
        assert result.returncode == 0, result.stderr
        computed = json.loads(result.stdout)
        rows = {(row["kpi"], row["period"]): row for row in computed["kpis"] if row["segment"] is None}
        assert all(isinstance(row["complete"], bool) and "reason" in row for row in computed["kpis"])
        # The excerpt runs from 1997-01-01 to 1998-06-30 (independent reading): 1997 is whole, 1998
        # is covered to 30 June only.
        log = _cdnow_log()
        assert (log["date"].min(), log["date"].max()) == (
            pd.Timestamp("1997-01-01"),
            pd.Timestamp("1998-06-30"),
        )
        assert rows["revenue", "1997"]["complete"] and not rows["revenue", "1998"]["complete"]
        assert rows["revenue", "1998"]["value"] == pytest.approx(
            log.loc[log["date"].dt.year == 1998, "dollars"].sum()
        )
        # Churn in 1997 would need the orders of the 90 days before 1 January 1997: unknown.
        churn_1997 = rows["churn_rate", "1997"]
        assert churn_1997["value"] is None
        assert churn_1997["reason"].startswith("not enough history: churn by 90 days without an order")
        assert rows["churn_rate", "1998"]["value"] is not None
        clv = computed["assumptions"]["clv"]
        assert (clv["margin"], clv["discounting"]) == (0.3, "none")
        assert "active" in clv["churn_base"] and "margin 30%" in clv["note"]

    def test_text_output_marks_partial_periods(self):
        result = run_cli("kpis", str(FIXTURES / "cdnow_sample.txt"), "--period", "year")
        assert result.returncode == 0, result.stderr
        revenue_1998 = next(
            line for line in result.stdout.splitlines() if line.startswith("revenue") and "1998" in line
        )
        assert revenue_1998.endswith("to date")
        assert "(not enough history: churn by 90 days" in result.stdout
        assert "assumptions of clv: margin: 0.3" in result.stdout and "discounting: none" in result.stdout

    def test_money_says_its_currency(self, tmp_path):
        orders = tmp_path / "orders.csv"
        # 5 + 7 = 12 euros of revenue in January 2024, written with the sign in every cell.
        orders.write_text(
            "customer_id,order_date,amount\nC1,2024-01-05,€5\nC2,2024-01-06,€7\n", encoding="utf-8"
        )
        found = json.loads(run_cli("kpis", str(orders), "--json").stdout)
        assert found["currency"] == "EUR" and "ISO 4217" in found["meaning"]["currency"]
        text = run_cli("kpis", str(orders)).stdout
        revenue = next(line for line in text.splitlines() if line.startswith("revenue "))
        assert "€12" in revenue and "money: EUR." in text
        typed = json.loads(run_cli("kpis", str(orders), "--currency", "usd", "--json").stdout)
        assert typed["currency"] == "USD"

    def test_an_unknown_currency_is_null_and_said_so(self):
        result = run_cli("kpis", str(FIXTURES / "cdnow_sample.txt"), "--period", "year")
        revenue_1997 = next(
            line for line in result.stdout.splitlines() if line.startswith("revenue") and "1997" in line
        )
        assert " ¤" in revenue_1997 and "give it with --currency CODE" in result.stdout
        bad = run_cli("kpis", str(FIXTURES / "cdnow_sample.txt"), "--currency", "euros")
        assert bad.returncode == 2 and "is not a currency" in bad.stderr

    def test_split_by_an_unknown_attribute_is_a_clear_error(self):
        result = run_cli("kpis", str(FIXTURES / "telco_customers.csv"), "--by", "no_such_column")
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1

    def test_text_output_names_unavailable_kpis(self):
        result = run_cli("kpis", str(FIXTURES / "telco_customers.csv"))
        assert result.returncode == 0, result.stderr
        assert "churn_rate" in result.stdout
        assert "unavailable: nps:" in result.stdout


class TestSegment:
    def test_cdnow_json(self):
        result = run_cli("segment", str(FIXTURES / "cdnow_sample.txt"), "--k", "3", "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert set(report) >= {"k", "silhouette", "features", "sizes", "profiles", "stability_ari"}
        assert report["k"] == 3
        assert report["features"] == ["recency_days", "frequency", "monetary", "tenure_days"]
        # Every customer of the excerpt is in one segment (distinct ids counted independently).
        assert sum(report["sizes"]) == _cdnow_log()["id"].nunique()
        assert [p["size"] for p in report["profiles"]] == report["sizes"]
        assert len({p["name"] for p in report["profiles"]}) == 3
        assert {"segment", "name", "size", "recency_days", "monetary"} <= set(report["profiles"][0])

    def test_text_output_lists_segments(self):
        result = run_cli("segment", str(FIXTURES / "cdnow_sample.txt"), "--features", "frequency,monetary")
        assert result.returncode == 0, result.stderr
        assert "customers in" in result.stdout and "frequency" in result.stdout

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--k", "many"], "--k must be 'auto' or a whole number"),
            (["--k", "1"], "at least 2"),
            (["--features", "frequency,shoe_size"], "Unknown feature"),
        ],
        ids=["k-not-a-number", "k-one", "unknown-feature"],
    )
    def test_bad_input_exits_2_with_one_line(self, args, message):
        result = run_cli("segment", str(FIXTURES / "cdnow_sample.txt"), *args)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and message in result.stderr


class TestChurn:
    def test_json_on_the_telco_table(self):
        result = run_cli("churn", str(FIXTURES / "telco_customers.csv"), "--model", "logreg", "--json")
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert {"target", "n", "positives", "model", "roc_auc", "roc_auc_std", "pr_auc", "brier"} <= set(
            summary
        )
        assert {"excluded", "top_features"} <= set(summary)
        # 40 customers, 10 with Churn = Yes (counted in the fixture).
        assert (summary["target"], summary["n"], summary["positives"], summary["model"]) == (
            "Churn",
            40,
            10,
            "logreg",
        )
        assert {
            "column": "customerID",
            "reason": "identifier: a different code for nearly every customer",
        } in (summary["excluded"])
        assert summary["warnings"]

    def test_json_when_the_model_finds_a_signal(self, tmp_path):
        # 600 customers whose churn follows their contract: the model finds a signal, and every
        # figure in the JSON must still be a plain JSON value (no numpy booleans or integers).
        rng = np.random.default_rng(3)
        contract = rng.choice(["Month-to-month", "One year", "Two year"], size=600)
        risk = np.select([contract == "Month-to-month", contract == "One year"], [0.5, 0.15], 0.03)
        table = pd.DataFrame(
            {
                "customerID": [f"C{i:04d}" for i in range(600)],
                "Contract": contract,
                "tenure": rng.integers(1, 72, size=600),
                "Churn": np.where(rng.random(600) < risk, "Yes", "No"),
            }
        )
        path = tmp_path / "contracts.csv"
        table.to_csv(path, index=False)
        result = run_cli("churn", str(path), "--json")
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["signal"] is True
        assert summary["roc_auc"] > 0.7
        assert summary["top_features"][0] == "Contract"

    def test_text_output(self):
        result = run_cli("churn", str(FIXTURES / "telco_customers.csv"), "--target", "Churn")
        assert result.returncode == 0, result.stderr
        assert "40 customers, 10 churned (25.0%)" in result.stdout
        assert "excluded: customerID" in result.stdout
        assert "warning: Only 40 customers" in result.stderr

    def test_a_churn_score_under_another_name(self):
        # tests/fixtures/churn_ibm_status_sample.csv: the IBM telco status table's layout with its
        # Churn Score renamed "Propensity Score" (alone: AUC 0.94).
        path = str(FIXTURES / "churn_ibm_status_sample.csv")
        result = run_cli("churn", path, "--include", "Propensity Score", "--json")
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["roc_auc"] > 0.95
        too_good = [w for w in summary["warnings"] if w["kind"] == "too_good"]
        assert len(too_good) == 1 and too_good[0]["feature"] == "Propensity Score"
        assert too_good[0]["message"].startswith("Too good to be true")
        result = run_cli("churn", path)
        assert result.returncode == 0, result.stderr
        assert "excluded: Propensity Score: leak: it predicts churn almost alone (AUC 0.94" in result.stdout
        assert "Too good to be true" not in result.stderr

    def test_text_names_only_real_drivers(self):
        # tests/fixtures/churn_bank_sample.csv: churn drawn from Age, IsActiveMember and Germany.
        result = run_cli("churn", str(FIXTURES / "churn_bank_sample.csv"))
        assert result.returncode == 0, result.stderr
        assert "top features: Age, IsActiveMember (8 more column(s) within noise" in result.stdout
        assert "excluded: Surname: identifier: a name or code with 191 different values" in result.stdout

    @pytest.mark.parametrize(
        "args",
        [
            (str(FIXTURES / "telco_customers.csv"), "--target", "gender"),
            (str(FIXTURES / "blank_numbers.csv"),),
            (str(FIXTURES / "garbage.csv"),),
        ],
        ids=["not-a-churn-column", "no-churn-at-all", "unreadable"],
    )
    def test_bad_input_exits_2_with_one_line(self, args):
        result = run_cli("churn", *args)
        assert result.returncode == 2
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("error: ")


def test_an_unexpected_failure_is_one_line_not_a_traceback(monkeypatch, capsys):
    import bsc.detect
    from bsc.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(bsc.detect, "detect_mapping", broken)
    monkeypatch.delenv("BSC_DEBUG", raising=False)
    assert main(["inspect", str(FIXTURES / "telco_customers.csv")]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["error: unexpected RuntimeError: boom (set BSC_DEBUG=1 for details)"]


class TestColumnNames:
    """Columns are named as the user's file names them, in any case."""

    def test_split_by_the_files_header(self):
        by_header = run_cli("kpis", str(FIXTURES / "telco_customers.csv"), "--by", "Contract", "--json")
        by_name = run_cli("kpis", str(FIXTURES / "telco_customers.csv"), "--by", "contract", "--json")
        assert by_header.returncode == 0, by_header.stderr
        assert json.loads(by_header.stdout) == json.loads(by_name.stdout)
        churn = {
            row["segment"]: row["value"]
            for row in json.loads(by_header.stdout)["kpis"]
            if row["kpi"] == "churn_rate" and row["segment"]
        }
        # awk -F, 'NR>1{n[$8]++; if($13=="Yes") c[$8]++} END{for(k in n) print k, c[k], n[k]}' telco_customers.csv
        assert churn["Month-to-month"] == pytest.approx(100 * 6 / 9, abs=1e-6)

    def test_split_json_sets_the_segments_side_by_side(self):
        result = run_cli("kpis", str(FIXTURES / "telco_customers.csv"), "--by", "Contract", "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        cells = {(row["kpi"], row["segment"]): row for row in report["comparison"]}
        assert set(report["meaning"]) >= {"p_adjusted", "verdict", "rest_value"}
        # Independently: churned and all customers per contract, read with pandas alone.
        table = pd.read_csv(FIXTURES / "telco_customers.csv")
        churned = table["Churn"].eq("Yes").groupby(table["Contract"]).sum()
        customers = table.groupby("Contract").size()
        total_churned, total = int(churned.sum()), len(table)
        assert (total_churned, total) == (10, 40)
        p_values = {}
        for contract in customers.index:
            x_segment, n_segment = int(churned[contract]), int(customers[contract])
            x_rest, n_rest = total_churned - x_segment, total - n_segment
            # The pooled two-proportion z-test (Agresti, Categorical Data Analysis, 3.1.1), by hand.
            pooled = total_churned / total
            z = (x_segment / n_segment - x_rest / n_rest) / np.sqrt(
                pooled * (1 - pooled) * (1 / n_segment + 1 / n_rest)
            )
            p_values[contract] = math.erfc(abs(z) / math.sqrt(2))
            churn, retention = cells["churn_rate", contract], cells["retention_rate", contract]
            assert churn["period"] == "all" and churn["test"] == "proportion"
            assert churn["value"] == pytest.approx(100 * x_segment / n_segment, abs=1e-6)
            assert churn["all_value"] == pytest.approx(25.0) and churn["all_n"] == 40
            assert churn["rest_value"] == pytest.approx(100 * x_rest / n_rest, abs=1e-6)
            assert churn["n"] == n_segment
            # Retention is 100 % minus churn: the same test on the same customers.
            assert churn["p_value"] == pytest.approx(p_values[contract], rel=1e-9)
            assert retention["p_value"] == pytest.approx(p_values[contract], rel=1e-9)
        # Benjamini-Hochberg over the six tested cells (three contracts × churn and retention).
        ranked = sorted([*p_values.values(), *p_values.values()])
        adjusted = [min(1.0, min(p * 6 / (j + 1) for j, p in enumerate(ranked) if j >= i)) for i in range(6)]
        by_p = dict(zip(ranked, adjusted, strict=True))
        for contract, p in p_values.items():
            assert cells["churn_rate", contract]["p_adjusted"] == pytest.approx(by_p[p], rel=1e-9)
        # Month-to-month: 6 of 9 churned against 4 of the other 31 (adjusted p ≈ 0.003).
        assert cells["churn_rate", "Month-to-month"]["verdict"] == "worse"
        assert cells["retention_rate", "Month-to-month"]["verdict"] == "worse"
        assert cells["churn_rate", "One year"]["verdict"] == "within noise"

    def test_split_text_lists_the_comparison(self):
        result = run_cli("kpis", str(FIXTURES / "telco_customers.csv"), "--by", "Contract")
        assert "churn_rate all Month-to-month: 66.7% against 25%: worse" in result.stdout

    def test_no_comparison_without_a_split(self):
        result = run_cli("kpis", str(FIXTURES / "telco_customers.csv"), "--json")
        assert "comparison" not in json.loads(result.stdout)

    def test_a_column_that_restates_churn_is_refused_with_the_reason(self):
        result = run_cli("kpis", str(FIXTURES / "telco_status.csv"), "--by", "Churn Reason")
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "says who churned or why" in result.stderr

    def test_a_users_tickets_column_keeps_its_name(self, tmp_path: Path):
        path = tmp_path / "accounts.csv"
        rows = ["Account ID,tickets,MonthlyCharges"] + [f"A{i:02d},{i % 5},{20 + 3 * i}" for i in range(30)]
        path.write_text("\n".join(rows) + "\n")
        result = run_cli("segment", str(path), "--k", "2", "--features", "tickets,monthlycharges", "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["features"] == ["tickets", "monthlycharges"]
        assert report["labels"] == {"tickets": "tickets", "monthlycharges": "MonthlyCharges"}
        # Each segment's mean tickets lies within the column's range, 0 to 4.
        assert all(0 <= profile["tickets"] <= 4 for profile in report["profiles"])

    def test_inspect_lists_the_outcomes(self):
        result = run_cli("inspect", str(FIXTURES / "telco_status.csv"), "--json")
        [table] = json.loads(result.stdout)["tables"]
        assert table["outcomes"] == ["Customer Status", "Churn Value", "Churn Category", "Churn Reason"]
        assert table["roles"]["csat"] == "Satisfaction Score"


DEMO_FILES = sorted(str(path) for path in (ROOT / "data" / "demo").glob("*.csv"))
BEFORE_MONTHS = [f"2025-{m:02d}" for m in range(5, 13)] + ["2026-01"]
AFTER_MONTHS = [f"2026-{m:02d}" for m in range(2, 11)]


def _in_process(*args: str) -> tuple[int, str, str]:
    from bsc.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo_changes() -> dict:
    code, out, err = _in_process("changes", *DEMO_FILES, "--json")
    assert code == 0, err
    return json.loads(out)


def _demo_table(name: str):
    import pandas as pd

    return pd.read_csv(ROOT / "data" / "demo" / f"{name}.csv")


def _change(report: dict, kpi: str, segment_by: str, segment: str) -> dict:
    [change] = [
        c
        for c in report["changes"]
        if (c["kpi"], c["segment_by"], c["segment"]) == (kpi, segment_by, segment)
    ]
    return change


class TestChanges:
    def test_json_lists_the_shifts_with_their_windows_and_p_values(self, demo_changes: dict):
        assert demo_changes["comparisons"] > 50
        assert 0 < len(demo_changes["changes"]) <= 6
        for change in demo_changes["changes"]:
            assert {
                "kpi", "segment_by", "segment", "before", "after", "before_periods", "after_periods", "p_value",
            } <= set(change)  # fmt: skip
            assert change["before_periods"] == "2025-05 to 2026-01"
            assert change["after_periods"] == "2026-02 to 2026-10"
            assert 0 <= change["p_value"] < 0.05
        assert "false-discovery-rate" in demo_changes["method"]

    def test_north_nps_matches_an_independent_computation(self, demo_changes: dict):
        # data/README.md, story 2: North's NPS rises from January 2026. Independently, from the
        # raw files: NPS = 100 × (promoters − detractors) ÷ answers of North's customers per window.
        surveys, customers = _demo_table("surveys"), _demo_table("customers")
        north = surveys[
            surveys["customer_id"].isin(customers.loc[customers["region"] == "North", "customer_id"])
        ]
        north = north[north["nps"].between(0, 10)]
        month = north["response_date"].str[:7]

        def nps(months: list[str]) -> float:
            answers = north.loc[month.isin(months), "nps"]
            return 100 * ((answers >= 9).sum() - (answers <= 6).sum()) / len(answers)

        change = _change(demo_changes, "nps", "region", "North")
        assert change["before"] == pytest.approx(nps(BEFORE_MONTHS), abs=1e-5)  # 22.6
        assert change["after"] == pytest.approx(nps(AFTER_MONTHS), abs=1e-5)  # 40.2
        assert change["better"] is True

    def test_social_cpa_matches_an_independent_computation(self, demo_changes: dict):
        # data/README.md, story 1: Social's CPA worsens from November 2025. Independently: Social's
        # marketing spend ÷ customers acquired through Social (by signup month) per window.
        marketing, customers = _demo_table("marketing"), _demo_table("customers")
        spend = marketing[marketing["channel"] == "Social"].assign(month=lambda f: f["month"].str[:7])
        social = customers[customers["channel"] == "Social"].assign(month=lambda f: f["signup_date"].str[:7])

        def cpa(months: list[str]) -> float:
            return spend.loc[spend["month"].isin(months), "spend"].sum() / social["month"].isin(months).sum()

        change = _change(demo_changes, "cpa", "acquisition_channel", "Social")
        assert change["before"] == pytest.approx(cpa(BEFORE_MONTHS), abs=1e-5)  # 66.4
        assert change["after"] == pytest.approx(cpa(AFTER_MONTHS), abs=1e-5)  # 133.2
        assert change["better"] is False

    def test_text_output_in_plain_words(self, demo_changes: dict):
        result = run_cli("changes", *DEMO_FILES)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        assert len(lines) == len(demo_changes["changes"]) + 1
        north = _change(demo_changes, "nps", "region", "North")
        assert any(
            line.startswith(f"Net Promoter Score improved for region = North: {north['before']:.1f} points")
            for line in lines
        )
        assert any(
            "Cost per acquisition (CPA) worsened for acquisition_channel = Social" in line for line in lines
        )
        assert lines[-1].startswith(
            f"{demo_changes['comparisons']} segment × KPI comparisons; a change is listed"
        )

    def test_too_little_history_is_said_not_failed(self):
        # The telco table has no dates at all: no months to compare.
        code, out, _ = _in_process("changes", str(FIXTURES / "telco_customers.csv"))
        assert code == 0
        assert out.startswith("Nothing to compare: What changed needs 18 months of data")
        code, out, _ = _in_process("changes", str(FIXTURES / "telco_customers.csv"), "--json")
        assert json.loads(out)["comparisons"] == 0 and json.loads(out)["changes"] == []

    @pytest.mark.parametrize("name", ["garbage.csv", "missing.csv"])
    def test_bad_input_exits_2_with_one_line(self, name: str):
        code, out, err = _in_process("changes", str(FIXTURES / name), "--json")
        assert code == 2
        assert out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")


class TestImports:
    """The command line loads only what its command needs: no model, chart or app library."""

    HEAVY = ("sklearn", "streamlit", "altair", "pyspark")

    def _loaded_after(self, code: str) -> list[str]:
        check = f"{code}\nimport sys\nprint(','.join(m for m in {self.HEAVY!r} if m in sys.modules))"
        result = subprocess.run(
            [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        last_line = (result.stdout.strip().splitlines() or [""])[-1]
        return [name for name in last_line.split(",") if name]

    def test_importing_the_command_line_loads_no_heavy_library(self):
        assert self._loaded_after("import bsc.cli") == []

    def test_reading_the_arguments_loads_no_engine(self):
        # The KPI engine (Ibis, DuckDB) is imported beside the reading of the files, not before:
        # no command's set-up may import it while the arguments are read.
        check = (
            "import sys\nfrom bsc.cli import build_parser\nbuild_parser()\n"
            "print(','.join(m for m in ('ibis', 'duckdb', 'bsc.kpis', 'bsc.links') if m in sys.modules))"
        )
        result = subprocess.run(
            [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == ""

    def test_computing_kpis_loads_no_heavy_library(self):
        files = [str(ROOT / "data" / "demo" / name) for name in ("orders.csv", "surveys.csv")]
        code = (
            "import contextlib, io\nfrom bsc.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['kpis', *{files!r}]) == 0"
        )
        assert self._loaded_after(code) == []
