"""Churn lab: who is likely to leave, why, how good the model is, and whom to call."""

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from bsc.churn import (
    LABEL_SOURCES,
    MODEL_LABELS,
    ChurnAnalysis,
    ChurnData,
    at_risk_customers,
    calibration_points,
    churn_data_from_workspace,
    data_end,
    gains_points,
    label_sources,
    plan_contacts,
    roc_points,
    scored_customers,
    typical_customer_value,
)
from bsc.errors import InputError
from bsc.exports import safe_csv_bytes
from bsc.schema import ASSIGNMENTS
from ui.churn_results import analysis_key, churn_analysis
from ui.context import page_setup, show_input_error, show_read_only_notice
from ui.empty_workspace import stop_if_no_tables
from ui.model_charts import (
    ALONE,
    ERROR,
    RANKS,
    RANKS_HELP,
    TOP,
    calibration_chart,
    error_help,
    gains_chart,
    importance_chart,
    net_value_chart,
    roc_chart,
    top_help,
)
from ui.text import literal

HORIZONS = [30, 60, 90, 180, 270, 365]
MODELS = {"auto": "Best of both (auto)", "logreg": MODEL_LABELS["logreg"], "gbm": MODEL_LABELS["gbm"]}
TYPE_LABELS = {
    "number": "number",
    "flag": "yes/no",
    "category": "category",
    "date": "date (age)",
    "id": "identifier",
    "text": "free text",
    "empty": "empty",
    "constant": "constant",
    "label": "churn label",
}
MAX_LISTED = 1000

ctx = page_setup("Churn lab")
show_read_only_notice(
    ctx,
    "nothing on this page is saved in the workspace, so churn can be analysed and the list of customers "
    "to call downloaded as usual.",
)
fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)
tables = {
    kind: paths for kind, paths in ctx.store.workspace_tables(ctx.workspace.id).items() if kind != ASSIGNMENTS
}
# Non-widget keys: the settings survive reruns and page switches.
SETTINGS = f"churn_settings_{ctx.workspace.id}"
OVERRIDES = f"churn_columns_{ctx.workspace.id}"


@st.cache_resource(max_entries=8, show_spinner=False)
def _churn_data(
    fingerprint: str, source: str, horizon: int, cutoff: dt.date | None, _tables: dict
) -> ChurnData:
    # Shared read-only between sessions: a ChurnData is frozen and never changed.
    return churn_data_from_workspace(_tables, source=source, horizon_days=horizon, cutoff=cutoff)


@st.cache_data(max_entries=16, show_spinner=False)
def _data_end(fingerprint: str, _tables: dict) -> pd.Timestamp | None:
    try:
        return data_end(_tables)
    except InputError:
        return None


@st.cache_data(max_entries=16, show_spinner=False)
def _customer_value(fingerprint: str, _tables: dict) -> float | None:
    return typical_customer_value(_tables)


@st.cache_data(max_entries=16, show_spinner=False)
def _at_risk(analysis_id: str, top: int, _analysis: ChurnAnalysis) -> pd.DataFrame:
    return at_risk_customers(_analysis, top=top)


stop_if_no_tables(tables)

try:
    sources = label_sources(tables)
except InputError as error:
    show_input_error(error)
    st.stop()
if not sources:
    st.info(
        "Churn needs a customers table with a churn flag or churn dates, or a transaction log with customer ids "
        "and order dates. Add one on the Data page.",
        icon=":material/info:",
    )
    st.page_link("pages/data.py", label="Go to Data", icon=":material/upload_file:")
    st.stop()

st.caption(
    f"{literal(ctx.workspace.name)} · Learn who is likely to leave from the workspace's customers, see why, check how good "
    "the prediction is, and decide whom to call."
)

# --------------------------------------------------------------------------------------------
# The definition of churn and the model
# --------------------------------------------------------------------------------------------

settings = st.session_state.get(SETTINGS) or {}
if settings.get("source") not in sources:
    settings = {"source": sources[0], "horizon": 365, "cutoff": None, "model": "auto"}
end = _data_end(fingerprint, tables)
with st.form("churn_settings"):
    columns = st.columns([3, 2, 2, 2])
    source = columns[0].selectbox(
        "Churn is",
        sources,
        index=sources.index(settings["source"]),
        format_func=lambda s: LABEL_SOURCES[s],
        key="churn_source",
        help="Churn dates or orders after a cutoff give an honest test: the model sees only what was known "
        "before the cutoff. The flag as it is today cannot be dated.",
    )
    horizon = columns[1].select_slider(
        "Window after the cutoff",
        HORIZONS,
        value=settings["horizon"] if settings["horizon"] in HORIZONS else 365,
        format_func=lambda d: f"{d} days",
        key="churn_horizon",
        help="Churned = left within this many days of the cutoff. Longer windows hold more churners.",
    )
    cutoff = columns[2].date_input(
        "Cutoff (blank: latest)",
        value=settings["cutoff"],
        key="churn_cutoff",
        help="Features use only data before this day. Blank: the latest cutoff, so that the window ends on "
        + (
            f"the last day of the data ({end - pd.Timedelta(days=1):%d %b %Y})."
            if end is not None
            else "the last day of the data."
        )
        + " Not used for the churn flag.",
    )
    model_choice = columns[3].selectbox(
        "Model",
        list(MODELS),
        index=list(MODELS).index(settings["model"]),
        format_func=MODELS.__getitem__,
        key="churn_model",
    )
    st.form_submit_button("Analyse", type="primary", icon=":material/model_training:", key="churn_analyse")
settings = {"source": source, "horizon": horizon, "cutoff": cutoff, "model": model_choice}
st.session_state[SETTINGS] = settings
dated = source != "column"
overrides = st.session_state.get(OVERRIDES, {}).get(source, {"include": [], "exclude": []})

try:
    with st.spinner("Computing per-customer features…"):
        data = _churn_data(fingerprint, source, horizon if dated else 0, cutoff if dated else None, tables)
except InputError as error:
    show_input_error(error)
    st.stop()
st.info(f"**Definition in use.** {literal(data.definition.text)}", icon=":material/rule:")
window = data.definition
if window.dated and cutoff is None and window.cutoff is not None and window.horizon_days is not None:
    last_day = window.cutoff + pd.Timedelta(days=window.horizon_days - 1)
    st.caption(
        f"Default window: the {window.horizon_days} days from {window.cutoff:%d %b %Y} to {last_day:%d %b %Y}, "
        "the last day of the data, so the whole window is in the data (no churn after it is missed or half-counted). "
        "Pick a cutoff to test an earlier window."
    )

bar = st.progress(0.0, text="Analysing…")
try:
    analysis = churn_analysis(
        data,
        model=settings["model"],
        include=overrides["include"],
        exclude=overrides["exclude"],
        n_jobs=2,
        progress=lambda share, message: bar.progress(min(1.0, share), text=message),
    )
except InputError as error:
    bar.empty()
    show_input_error(error)
    st.stop()
bar.empty()
analysis_id = analysis_key(data, settings["model"], overrides["include"], overrides["exclude"])

# --------------------------------------------------------------------------------------------
# The answer
# --------------------------------------------------------------------------------------------

for warning in analysis.warnings:
    if warning.kind != "too_good":
        st.warning(literal(warning.message), icon=":material/warning:")
if not analysis.has_signal:
    st.error(literal(analysis.verdict), icon=":material/block:")
elif analysis.small_sample or analysis.too_good:
    st.warning(literal(analysis.verdict), icon=":material/warning:")
else:
    st.success(literal(analysis.verdict), icon=":material/check_circle:")

scores = analysis.scores
share = analysis.positives / analysis.n
low, high = analysis.auc_interval
tiles = st.columns(5)
spread = {"delta_color": "off", "delta_arrow": "off", "border": True}
tiles[0].metric(
    "Customers",
    f"{analysis.n:,}",
    "active at the cutoff" if data.definition.dated else "with a churn value",
    help="The customers the models learn from and are tested on.",
    **spread,
)
tiles[1].metric("Churned", f"{analysis.positives:,}", f"{share:.0%} of customers", **spread)
if analysis.small_sample:
    tiles[2].metric(
        RANKS,
        f"{low:.2f}–{high:.2f}",
        "too few for one figure",
        help=f"{RANKS_HELP} A 95 % range: too few customers for one figure.",
        **spread,
    )
    tiles[3].metric(TOP, f"≈ {scores.pr_auc:.1f}", f"chance {share:.2f}", help=top_help(share), **spread)
    tiles[4].metric(ERROR, f"≈ {scores.brier:.2f}", "rough", help=error_help(share), **spread)
else:
    tiles[2].metric(
        RANKS,
        f"{scores.roc_auc:.2f}",
        "likely a leak" if analysis.too_good else f"± {scores.roc_auc_std:.2f} over folds",
        help=f"{RANKS_HELP} ± the standard deviation over the folds.",
        **spread,
    )
    tiles[3].metric(
        TOP,
        f"{scores.pr_auc:.2f}",
        f"± {scores.pr_auc_std:.2f} over folds",
        help=top_help(share),
        **spread,
    )
    tiles[4].metric(
        ERROR,
        f"{scores.brier:.3f}",
        f"± {scores.brier_std:.3f} over folds",
        help=error_help(share),
        **spread,
    )
if analysis.too_good:
    # Beside the ranking score (ROC AUC): a model this good usually learns from a record of the outcome.
    st.warning(literal(analysis.too_good.message), icon=":material/gpp_maybe:")
st.caption(literal(analysis.choice))

# --------------------------------------------------------------------------------------------
# The evidence: drivers and model quality
# --------------------------------------------------------------------------------------------

st.header("What drives churn", divider="gray")
drivers = analysis.drivers.assign(name=lambda f: f["column"].map(analysis.plan.label))
noise = [analysis.plan.label(column) for column in analysis.within_noise]
group_drivers = analysis.group_drivers


def _drivers_chart(place, frame: pd.DataFrame, name: str, title: str, nothing: str) -> None:
    if frame.empty:
        place.info(nothing, icon=":material/info:")
    else:
        place.altair_chart(importance_chart(frame, name, title), width="stretch")


no_column = (
    "No column drives churn beyond the noise: shuffling any of them changes how well the model ranks "
    "churners (its ROC AUC) by less than its fold-to-fold spread."
)
if len(analysis.model.group_importance_) > 1:
    left, right = st.columns(2)
    _drivers_chart(
        left, group_drivers, "group", "Where the signal comes from", "No source stands out from the noise."
    )
    _drivers_chart(right, drivers, "name", "Columns that drive churn", no_column)
else:
    _drivers_chart(st, drivers, "name", "Columns that drive churn", no_column)
st.caption(
    "How much worse the model ranks churners when a column's values are shuffled between customers it had not "
    "seen (permutation importance: the drop in ROC AUC); the whisker is its 95 % interval over the folds. Only "
    "columns whose interval lies above 0 are shown as drivers."
    + (
        f" {len(noise)} more column{'s' if len(noise) != 1 else ''} the model saw {'are' if len(noise) != 1 else 'is'} "
        f"within the noise (the interval includes 0): {', '.join(noise)}."
        if noise
        else ""
    )
    + ("" if analysis.has_signal else " The model found no usable signal, so even these bars may be noise.")
)
with st.expander("Logistic regression coefficients"):
    coefficients = analysis.model.coefficients_.copy()
    coefficients["Term"] = [
        f"{analysis.plan.label(column)}{term[len(column) :]}"
        for term, column in zip(coefficients["term"], coefficients["column"], strict=True)
    ]
    st.dataframe(
        coefficients[["Term", "coefficient", "odds_ratio"]],
        hide_index=True,
        width="stretch",
        column_config={
            "coefficient": st.column_config.NumberColumn("Coefficient (log-odds)", format="%+.3f"),
            "odds_ratio": st.column_config.NumberColumn("Odds ratio", format="%.2f"),
        },
    )
    st.caption(
        "Numbers are scaled (mean 0, standard deviation 1; money and counts on a log scale first), so a "
        "coefficient is the change in the log-odds of churning per standard deviation; an odds ratio above 1 "
        "raises the risk. Fitted on all customers."
    )

st.header("How good the model is", divider="gray")
truth = analysis.data.churned.to_numpy(dtype=bool)
out_of_fold = analysis.out_of_fold
charts = st.columns(3)
charts[0].altair_chart(roc_chart(roc_points(truth, out_of_fold), scores.roc_auc), width="stretch")
charts[1].altair_chart(calibration_chart(calibration_points(truth, out_of_fold)), width="stretch")
charts[2].altair_chart(gains_chart(gains_points(truth, out_of_fold)), width="stretch")
comparison = pd.DataFrame(
    [
        {
            "Model": MODEL_LABELS[name],
            "Used": "✓" if name == analysis.model.chosen_ else "",
            f"{RANKS} (ROC AUC)": f"{s.roc_auc:.3f} ± {s.roc_auc_std:.3f}",
            f"{TOP} (PR AUC)": f"{s.pr_auc:.3f} ± {s.pr_auc_std:.3f}",
            f"{ERROR} (Brier score)": f"{s.brier:.3f} ± {s.brier_std:.3f}",
        }
        for name, s in analysis.model.scores_.items()
    ]
)
st.dataframe(comparison, hide_index=True, width="stretch")
st.caption(
    f"Every figure is cross-validated: {len(scores.fold_roc_auc)} stratified folds, each customer scored by a model "
    "fitted without them; ± is the standard deviation over folds."
    + (
        " Churners and stayers were weighed equally, then probabilities put back on the real scale."
        if analysis.model.class_weight_
        else ""
    )
)

# --------------------------------------------------------------------------------------------
# The decision: whom to call
# --------------------------------------------------------------------------------------------

st.header("Customers to call", divider="gray")


@st.fragment
def contact_section() -> None:
    if not analysis.has_signal:
        st.info(
            "No list: the model cannot tell churners from stayers better than chance, so calling the 'riskiest' "
            "customers would be calling customers at random.",
            icon=":material/info:",
        )
        return
    customers, probability = scored_customers(analysis)
    who = (
        f"the {len(customers):,} customers active at the end of the data, probability of leaving within "
        f"{data.definition.horizon_days} days"
        if data.current is not None
        else f"the {len(customers):,} customers who have not churned, each scored by a model that did not see them"
    )
    st.caption(f"Scored: {who}.")
    clv = _customer_value(fingerprint, tables)
    inputs = st.columns(3)
    offer_cost = inputs[0].number_input(
        "Cost of one offer", min_value=0.0, value=20.0, step=5.0, key="churn_offer_cost"
    )
    save_rate = inputs[1].slider(
        "Contacted churners who stay (%)",
        1,
        100,
        30,
        key="churn_save_rate",
        help="Of the customers who would have left, the share the offer keeps.",
    )
    value = inputs[2].number_input(
        "Value of a customer kept",
        min_value=1.0,
        value=float(round(clv)) if clv else 500.0,
        step=50.0,
        key="churn_customer_value",
        help="The median yearly CLV from the scorecard"
        if clv
        else "No CLV in this workspace: enter your own.",
    )
    try:
        plan = plan_contacts(
            probability, offer_cost=offer_cost, save_rate=save_rate / 100, customer_value=value
        )
    except InputError as error:
        show_input_error(error)
        return
    facts = st.columns(4)
    facts[0].metric("Customers to contact", f"{plan.contacted:,}", border=True)
    facts[1].metric(
        "Threshold",
        f"{plan.threshold:.0%}" if plan.contacted else "—",
        border=True,
        help=f"Contact customers whose churn probability is at least this. Break-even: {plan.break_even:.1%}.",
    )
    facts[2].metric("Expected net value", f"{plan.expected_net_value:,.0f}", border=True)
    facts[3].metric(
        "Customers expected to stay",
        f"{round(plan.expected_saved):,}",
        border=True,
        help=f"The expected number of churners the offers keep (Σ probability × share who stay: "
        f"{plan.expected_saved:,.1f}), rounded to whole customers.",
    )
    st.altair_chart(net_value_chart(plan.curve, plan.contacted), width="stretch")
    listed = min(MAX_LISTED, max(plan.contacted, 20))
    at_risk = _at_risk(analysis_id, listed, analysis)
    shown = at_risk.rename(
        columns={
            "customer": "Customer",
            "churn_probability": "Churn probability",
            "reason_1": "Reason 1",
            "reason_2": "Reason 2",
            "reason_3": "Reason 3",
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Churn probability": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    st.caption(
        f"The {len(at_risk):,} riskiest customers. A reason is a value that raises this customer's risk: the "
        "probability drops when it alone is replaced by the typical value."
    )
    st.download_button(
        "Download the list (CSV)",
        safe_csv_bytes(at_risk),
        file_name="customers_to_call.csv",
        mime="text/csv",
        icon=":material/download:",
    )


contact_section()

# --------------------------------------------------------------------------------------------
# The detail: every column and what was done with it
# --------------------------------------------------------------------------------------------

st.header("Columns", divider="gray")
decisions = analysis.plan.decisions
table = pd.DataFrame(
    {
        "column": [d.column for d in decisions],
        "Column": [analysis.plan.label(d.column) for d in decisions],
        "Type": [TYPE_LABELS.get(d.type, d.type) for d in decisions],
        "Use": [d.used for d in decisions],
        ALONE: [np.nan if d.single_auc is None else d.single_auc for d in decisions],
        "How it is read, or why it is left out": [d.reason for d in decisions],
    }
)
generation = st.session_state.get(f"{OVERRIDES}_generation", 0)
edited = st.data_editor(
    table,
    hide_index=True,
    width="stretch",
    disabled=["Column", "Type", ALONE, "How it is read, or why it is left out"],
    column_order=["Column", "Type", "Use", ALONE, "How it is read, or why it is left out"],
    column_config={
        "Use": st.column_config.CheckboxColumn(help="Tick to include a column, untick to leave it out."),
        ALONE: st.column_config.NumberColumn(
            format="%.2f",
            help="How well the column alone separates churners from stayers (0.5 = not at all, 1 = perfectly). "
            "At 0.90 or more it is left out as a leak: it predicts churn almost alone.",
        ),
    },
    key=f"churn_columns_editor_{source}_{generation}",
)
st.caption(
    "Leaks (a churn date or reason, a status or score derived from the label, anything that predicts churn almost "
    "alone: ranking churners at 0.90 or more on its own (AUC), whatever its name) and identifiers (codes, and names such as a surname "
    "with too few customers per value to learn from) are left out automatically; tick or untick to decide "
    "yourself."
)
changed = edited["Use"].to_numpy() != table["Use"].to_numpy()
if changed.any():
    include, exclude = set(overrides["include"]), set(overrides["exclude"])
    for column, use in zip(edited.loc[changed, "column"], edited.loc[changed, "Use"], strict=True):
        automatic = False if column in include else True if column in exclude else not use
        include.discard(column)
        exclude.discard(column)
        if use != automatic:
            (include if use else exclude).add(column)
    kept = st.session_state.get(OVERRIDES, {})
    kept[source] = {"include": sorted(include), "exclude": sorted(exclude)}
    st.session_state[OVERRIDES] = kept
    st.session_state[f"{OVERRIDES}_generation"] = generation + 1
    st.rerun()
