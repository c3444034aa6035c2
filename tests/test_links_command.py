"""Tests of bsc.links.command: ``python -m bsc links``."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bsc", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_json_links_of_the_telco_pair():
    result = run_cli(
        "links",
        str(FIXTURES / "links_telco_customers.csv"),
        str(FIXTURES / "links_telco_status.csv"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    links = json.loads(result.stdout)["links"]
    assert "NaN" not in result.stdout
    by_arrow = {(link["cause"], link["effect"]): link for link in links}
    assert by_arrow[("csat", "churn_rate")]["verdict"] == "supported"
    assert by_arrow[("nps", "churn_rate")]["verdict"] == "no data"
    assert by_arrow[("nps", "churn_rate")]["estimate"] is None
    assert {"cause", "effect", "estimate", "ci_low", "ci_high", "n", "verdict", "method"} <= set(links[0])


def test_text_output_names_the_verdict():
    result = run_cli("links", str(FIXTURES / "links_telco_customers.csv"))
    assert result.returncode == 0, result.stderr
    assert "Customer satisfaction (CSAT) → Churn rate: NO DATA" in result.stdout


def test_unusable_files_exit_2_with_one_line():
    result = run_cli("links", str(FIXTURES / "garbage.csv"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
