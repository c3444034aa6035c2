"""The churn lab: who is likely to leave, why, what it is worth to call them, and how many will leave.

The lab works on one row per customer: a label (churned or not) and the columns that may
explain it. It runs in five steps, each a public function, each in its own module:

1. **The label** (:mod:`bsc.churn.labels`, :mod:`bsc.churn.sources`). Either a churn column
   of the table (:func:`find_label_columns`, :func:`churn_labels`), or, from dated data, churn
   in the ``horizon`` days after a cutoff date (:func:`cutoff_labels`): from churn dates, or,
   for a transaction log, no order in the ``horizon`` days after the cutoff. A workspace's
   order log is labelled by the engine over its stored files (:func:`order_log_labels`, in
   :mod:`bsc.churn.order_labels`), with the same result. Features are then computed strictly
   from data before the cutoff. :func:`churn_data_from_table`,
   :func:`churn_data_from_workspace` and :func:`churn_data_from_files` prepare the
   :class:`ChurnData`.
2. **The features** (:mod:`bsc.churn.feature_plan`). :func:`plan_features` types every column
   and excludes, each with its reason, identifiers, free text, empty and constant columns and
   leaks. Any column can be included or excluded by hand.
3. **Models and honest evaluation** (:mod:`bsc.churn.model`, :mod:`bsc.churn.evaluation`,
   :mod:`bsc.churn.analysis`). :class:`ChurnModel` cross-validates a logistic regression and a
   histogram gradient boosting model on the same stratified folds, picks the better by
   cross-validated AUC, and measures permutation importance on held-out customers.
   :func:`analyse_churn` runs steps 2 and 3 and adds the guards (too few customers or
   churners, no usable signal, a model too good to be true naming the column that carries it,
   drivers within the noise). It computes every time: the app keeps the analyses it shows,
   keyed by :meth:`ChurnData.fingerprint` and the parameters.
4. **Decisions** (:mod:`bsc.churn.decisions`). :func:`plan_contacts` turns probabilities, an
   offer cost, the share of contacted churners who are saved and the customer value into the
   expected net value of contacting the riskiest customers; :func:`at_risk_customers` lists
   them with the reasons that raise each one's risk.
5. **The scorecard** (:mod:`bsc.churn.forecast`). :func:`predicted_churn_by_segment` predicts
   the churn rate of the next period per segment, to stand beside the churn KPI and counted as
   that KPI counts churn (churn dates, or its inactivity rule, :func:`inactivity_churn_labels`);
   :func:`forecast_data` and :func:`predicted_churn` are its two halves (with
   :func:`forecast_include` for the analysis between), for a caller that keeps the analysis.

The names below are the lab's public interface, importable from ``bsc.churn``.
"""

from __future__ import annotations

from bsc.churn.analysis import SMALL_SAMPLE, TOO_GOOD_AUC, ChurnAnalysis, ChurnWarning, analyse_churn
from bsc.churn.decisions import (
    ContactPlan,
    at_risk_customers,
    plan_contacts,
    reason_text,
    scored_customers,
    typical_customer_value,
)
from bsc.churn.evaluation import (
    MIN_CLASS_FOR_CV,
    auc_standard_error,
    calibration_points,
    gains_points,
    roc_points,
)
from bsc.churn.feature_plan import LEAK_AUC, ColumnDecision, FeaturePlan, plan_features, single_column_auc
from bsc.churn.forecast import forecast_data, forecast_include, predicted_churn, predicted_churn_by_segment
from bsc.churn.labels import (
    ChurnData,
    LabelCandidate,
    LabelDefinition,
    churn_data_from_table,
    churn_labels,
    cutoff_labels,
    find_label_columns,
    inactivity_churn_labels,
)
from bsc.churn.model import (
    BALANCE_BELOW,
    MODEL_LABELS,
    ChurnModel,
    ModelScores,
    build_pipeline,
    prior_corrected,
)
from bsc.churn.order_labels import order_log_labels
from bsc.churn.sources import (
    DEFAULT_HORIZON_DAYS,
    LABEL_SOURCES,
    churn_data_from_files,
    churn_data_from_workspace,
    data_end,
    label_sources,
)

__all__ = [
    "BALANCE_BELOW",
    "DEFAULT_HORIZON_DAYS",
    "LABEL_SOURCES",
    "LEAK_AUC",
    "MIN_CLASS_FOR_CV",
    "MODEL_LABELS",
    "SMALL_SAMPLE",
    "TOO_GOOD_AUC",
    "ChurnAnalysis",
    "ChurnData",
    "ChurnModel",
    "ChurnWarning",
    "ColumnDecision",
    "ContactPlan",
    "FeaturePlan",
    "LabelCandidate",
    "LabelDefinition",
    "ModelScores",
    "analyse_churn",
    "at_risk_customers",
    "auc_standard_error",
    "build_pipeline",
    "calibration_points",
    "churn_data_from_files",
    "churn_data_from_table",
    "churn_data_from_workspace",
    "churn_labels",
    "cutoff_labels",
    "data_end",
    "find_label_columns",
    "forecast_data",
    "forecast_include",
    "gains_points",
    "inactivity_churn_labels",
    "label_sources",
    "order_log_labels",
    "plan_contacts",
    "plan_features",
    "predicted_churn",
    "predicted_churn_by_segment",
    "prior_corrected",
    "reason_text",
    "roc_points",
    "scored_customers",
    "single_column_auc",
    "typical_customer_value",
]
