"""Customer lifetime value and survival: the probabilistic models marketing scientists use.

1. **The summary** (:mod:`bsc.clv.summary`): :func:`rfm_summary` turns a transaction log into
   frequency, recency, age and mean repeat spend per customer, in weeks by default;
   :mod:`bsc.clv.stored_log` computes the same with DuckDB over a workspace's stored files.
2. **The purchase model** (:mod:`bsc.clv.bg_nbd`): :class:`BetaGeoModel`, the BG/NBD of Fader,
   Hardie & Lee (2005): expected purchases over a horizon and the probability a customer is alive.
3. **The spend model** (:mod:`bsc.clv.gamma_gamma`): :class:`GammaGammaModel`, the expected
   value per purchase.
4. **Lifetime value** (:mod:`bsc.clv.value`): :func:`customer_lifetime_value` and
   :func:`customer_forecast`, with a stated margin and monthly discount rate.
5. **The back-test** (:mod:`bsc.clv.backtest`): :func:`back_test` fits on a calibration
   period and scores the holdout's predicted repeat purchases against each customer's past rate.
6. **Subscriptions** (:mod:`bsc.clv.sbg`): :class:`ShiftedBetaGeoModel`, the shifted
   beta-geometric of Fader & Hardie (2007), its retention projection and :func:`held_out_check`.
7. **Survival** (:mod:`bsc.clv.survival`): Kaplan–Meier curves with 95 % intervals, median
   lifetime and the log-rank test, from signup and churn dates or a tenure column.
"""

from __future__ import annotations

from bsc.clv.backtest import BackTest, back_test
from bsc.clv.bg_nbd import BetaGeoModel, BetaGeoParams
from bsc.clv.gamma_gamma import GammaGammaModel, GammaGammaParams
from bsc.clv.sbg import (
    HeldOutCheck,
    ShiftedBetaGeoModel,
    ShiftedBetaGeoParams,
    SubscriptionRetention,
    held_out_check,
    life_table,
    life_table_from_survival,
    life_table_from_survivors,
    subscription_retention,
)
from bsc.clv.summary import WEEK, rfm_summary, transactions_from_tables
from bsc.clv.survival import (
    SurvivalCurve,
    SurvivalData,
    kaplan_meier,
    survival_curves,
    survival_data,
    survival_from_tables,
)
from bsc.clv.value import DAYS_PER_MONTH, customer_forecast, customer_lifetime_value

__all__ = [
    "DAYS_PER_MONTH",
    "WEEK",
    "BackTest",
    "BetaGeoModel",
    "BetaGeoParams",
    "GammaGammaModel",
    "GammaGammaParams",
    "HeldOutCheck",
    "ShiftedBetaGeoModel",
    "ShiftedBetaGeoParams",
    "SubscriptionRetention",
    "SurvivalCurve",
    "SurvivalData",
    "back_test",
    "customer_forecast",
    "customer_lifetime_value",
    "held_out_check",
    "kaplan_meier",
    "life_table",
    "life_table_from_survival",
    "life_table_from_survivors",
    "rfm_summary",
    "subscription_retention",
    "survival_curves",
    "survival_data",
    "survival_from_tables",
    "transactions_from_tables",
]
