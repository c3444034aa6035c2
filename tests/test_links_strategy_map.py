"""Tests of bsc.links.strategy_map: the DOT graph of the map."""

import math

from bsc.links.result import LinkResult
from bsc.links.strategy_map import estimate_words, strategy_map_dot
from bsc.targets import STATUS_COLOURS


def _result(cause, effect, verdict, estimate=5.0, unit="points", user=False):
    return LinkResult(cause, effect, estimate, 1.0, 9.0, 100, verdict, "m", "s", user, unit)


def test_boxes_take_their_target_status_in_colour_and_words():
    dot = strategy_map_dot([_result("nps", "churn_rate", "supported")], {"nps": "red"})
    assert (
        f'nps [label=<<B>NPS</B><BR/><FONT POINT-SIZE="12">off track</FONT>>, fillcolor="{STATUS_COLOURS["red"]}"'
        in dot
    )
    assert "no target" in dot  # churn rate has none


def test_arrows_carry_verdict_words_and_estimates():
    dot = strategy_map_dot(
        [
            _result("nps", "churn_rate", "supported", 22.27),
            _result("cpa", "clv", "not supported by this data", -0.04, "rho"),
            _result("ces", "revenue", "too little data", math.nan, "r", user=True),
        ],
        currency="EUR",
    )
    assert 'nps -> churn_rate [label="supported\\n+22.3 pts"' in dot
    assert 'cpa -> clv [label="not supported\\nrho -0.04"' in dot
    assert 'ces -> revenue [label="too little data\\n(your arrow)"' in dot


def test_tiers_put_drivers_below_the_customer_and_financial_rows():
    dot = strategy_map_dot(
        [_result("first_response_time", "csat", "supported"), _result("csat", "revenue", "supported")]
    )
    ranks = [line for line in dot.splitlines() if "rank=same" in line]
    assert ranks == ["  {rank=same; first_response_time;}", "  {rank=same; csat;}", "  {rank=same; revenue;}"]


def test_money_estimates_name_the_currency():
    assert (
        estimate_words(_result("csat", "revenue_per_customer", "supported", 28.37, "money"), "EUR")
        == "+€28.37"
    )
