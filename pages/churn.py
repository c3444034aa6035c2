"""Churn lab: who is likely to leave, why, how good the model is, and whom to call."""

import pandas as pd
import streamlit as st

from bsc.churn import (
    LABEL_SOURCES,
    MODEL_LABELS,
    data_end,
    label_sources,
    plan_contacts,
    typical_customer_value,
)
from bsc.churn.lab_result import LISTED, ChurnLabResult
from bsc.errors import InputError
from bsc.exports import safe_csv_bytes
from bsc.schema import ASSIGNMENTS
from ui.churn_results import LAB, churn_lab
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
from ui.slow_extras import Unavailable, fitted, job, latest_params, pending_note, refresh_when_ready
from ui.text import literal

HORIZONS = [30, 60, 90, 180, 270, 365]
MODELS = {"auto": "Best of both (auto)", "logreg": MODEL_LABELS["logreg"], "gbm": MODEL_LABELS["gbm"]}
SOURCE_WORDS = {"churn_date": "churn dates", "inactivity": "no order", "column": "the churn flag"}
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


@st.cache_data(max_entries=16, show_spinner=False)
def _data_end(fingerprint: str, _tables: dict) -> pd.Timestamp | None:
    try:
        return data_end(_tables)
    except InputError:
        return None


@st.cache_data(max_entries=16, show_spinner=False)
def _customer_value(fingerprint: str, _tables: dict) -> float | None:
    return typical_customer_value(_tables)


def _params_text(params: tuple) -> str:
    """An analysis's settings in a few words, for the note shown beside an earlier result."""
    source, horizon, cutoff, model, include, exclude = params
    words = [SOURCE_WORDS.get(source, source)]
    if source != "column":
        words.append(f"{horizon}-day window")
        words.append(f"cutoff {cutoff:%d %b %Y}" if cutoff is not None else "latest cutoff")
    words.append(MODELS[model].lower())
    chosen = len(include) + len(exclude)
    if chosen:
        words.append(f"{chosen} column{'s' if chosen != 1 else ''} chosen by hand")
    return ", ".join(words)


def _latest_settings() -> dict | None:
    """The settings of the analysis last shown for this data (kept with it), with its columns
    chosen by hand put back, so that the page opens on that result instead of fitting anew."""
    latest = latest_params(LAB, fingerprint)
    if latest is None or latest[0] not in sources:
        return None
    source, horizon, cutoff, model, include, exclude = latest
    chosen = st.session_state.get(OVERRIDES, {})
    chosen[source] = {"include": list(include), "exclude": list(exclude)}
    st.session_state[OVERRIDES] = chosen
    return {"source": source, "horizon": horizon or 365, "cutoff": cutoff, "model": model}


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

# Opened afresh, the page starts from the analysis last shown for this data.
settings = st.session_state.get(SETTINGS) or _latest_settings() or {}
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
        help="A churn date or no order in the window after the cutoff give an honest test: the model sees "
        "only what was known before the cutoff. The churn flag as it is today cannot be dated.",
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

params = (
    source,
    horizon if dated else 0,
    cutoff if dated else None,
    settings["model"],
    tuple(overrides["include"]),
    tuple(overrides["exclude"]),
)
# Fitted on the server's background worker and kept with the data: every session asking the same
# analysis shares one fit, a restart loses nothing, and the page's own run never trains a model.
fit = fitted(LAB, fingerprint, params, job(churn_lab, tables, *params))
if isinstance(fit.result, Unavailable):
    show_input_error(InputError(fit.result.message))
    st.stop()
if fit.pending is not None:
    if fit.result is None:
        pending_note("The churn analysis", fit.pending)
        refresh_when_ready([fit.pending])
        st.stop()
    st.info(
        f"Showing the result for {literal(_params_text(fit.params))} while the new one "
        f"({literal(_params_text(params))}) is computed.",
        icon=":material/hourglass_top:",
    )
    refresh_when_ready([fit.pending])
lab: ChurnLabResult = fit.result
st.info(f"**Definition in use.** {literal(lab.definition)}", icon=":material/rule:")
if lab.dated and fit.params[2] is None and lab.cutoff is not None and lab.horizon_days is not None:
    last_day = lab.cutoff + pd.Timedelta(days=lab.horizon_days - 1)
    st.caption(
        f"Default window: the {lab.horizon_days} days from {lab.cutoff:%d %b %Y} to {last_day:%d %b %Y}, "
        "the last day of the data, so the whole window is in the data (no churn after it is missed or half-counted). "
        "Pick a cutoff to test an earlier window."
    )

# --------------------------------------------------------------------------------------------
# The answer
# --------------------------------------------------------------------------------------------

for warning in lab.warnings:
    st.warning(literal(warning), icon=":material/warning:")
if not lab.has_signal:
    st.error(literal(lab.verdict), icon=":material/block:")
elif lab.small_sample or lab.too_good:
    st.warning(literal(lab.verdict), icon=":material/warning:")
else:
    st.success(literal(lab.verdict), icon=":material/check_circle:")

scores = lab.scores
share = lab.positives / lab.n
low, high = lab.auc_interval
tiles = st.columns(5)
spread = {"delta_color": "off", "delta_arrow": "off", "border": True}
tiles[0].metric(
    "Customers",
    f"{lab.n:,}",
    "active at the cutoff" if lab.dated else "with a churn value",
    help="The customers the models learn from and are tested on.",
    **spread,
)
tiles[1].metric("Churned", f"{lab.positives:,}", f"{share:.0%} of customers", **spread)
if lab.small_sample:
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
        "likely a leak" if lab.too_good else f"± {scores.roc_auc_std:.2f} over folds",
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
if lab.too_good:
    # Beside the ranking score (ROC AUC): a model this good usually learns from a record of the outcome.
    st.warning(literal(lab.too_good), icon=":material/gpp_maybe:")
st.caption(literal(lab.choice))

# --------------------------------------------------------------------------------------------
# The evidence: drivers and model quality
# --------------------------------------------------------------------------------------------

st.header("What drives churn", divider="gray")
drivers = lab.drivers
noise = list(lab.within_noise)
group_drivers = lab.group_drivers


def _drivers_chart(place, frame: pd.DataFrame, name: str, title: str, nothing: str) -> None:
    if frame.empty:
        place.info(nothing, icon=":material/info:")
    else:
        place.altair_chart(importance_chart(frame, name, title), width="stretch")


no_column = (
    "No column drives churn beyond the noise: shuffling any of them changes how well the model ranks "
    "churners (its ROC AUC) by less than its fold-to-fold spread."
)
if lab.groups > 1:
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
    + ("" if lab.has_signal else " The model found no usable signal, so even these bars may be noise.")
)
with st.expander("Logistic regression coefficients"):
    st.dataframe(
        lab.coefficients,
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
charts = st.columns(3)
charts[0].altair_chart(roc_chart(lab.roc, scores.roc_auc), width="stretch")
charts[1].altair_chart(calibration_chart(lab.calibration), width="stretch")
charts[2].altair_chart(gains_chart(lab.gains), width="stretch")
comparison = pd.DataFrame(
    [
        {
            "Model": MODEL_LABELS[name],
            "Used": "✓" if name == lab.chosen else "",
            f"{RANKS} (ROC AUC)": f"{s.roc_auc:.3f} ± {s.roc_auc_std:.3f}",
            f"{TOP} (PR AUC)": f"{s.pr_auc:.3f} ± {s.pr_auc_std:.3f}",
            f"{ERROR} (Brier score)": f"{s.brier:.3f} ± {s.brier_std:.3f}",
        }
        for name, s in lab.model_scores.items()
    ]
)
st.dataframe(comparison, hide_index=True, width="stretch")
st.caption(
    f"Every figure is cross-validated: {len(scores.fold_roc_auc)} stratified folds, each customer scored by a model "
    "fitted without them; ± is the standard deviation over folds."
    + (
        " Churners and stayers were weighed equally, then probabilities put back on the real scale."
        if lab.balanced
        else ""
    )
)

# --------------------------------------------------------------------------------------------
# The decision: whom to call
# --------------------------------------------------------------------------------------------

st.header("Customers to call", divider="gray")


@st.fragment
def contact_section() -> None:
    if not lab.has_signal:
        st.info(
            "No list: the model cannot tell churners from stayers better than chance, so calling the 'riskiest' "
            "customers would be calling customers at random.",
            icon=":material/info:",
        )
        return
    probability = lab.probability["churn_probability"].to_numpy()
    who = (
        f"the {len(probability):,} customers active at the end of the data, probability of leaving within "
        f"{lab.horizon_days} days"
        if lab.scores_current
        else f"the {len(probability):,} customers who have not churned, each scored by a model that did not see them"
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
    listed = min(LISTED, max(plan.contacted, 20))
    at_risk = lab.at_risk.head(listed)
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
# Built from plain lists: the same table whether the result was just computed or read back, so
# that the editor keeps its edits across reruns.
table = pd.DataFrame(
    {
        "column": lab.columns["column"].tolist(),
        "Column": lab.columns["label"].tolist(),
        "Type": [TYPE_LABELS.get(kind, kind) for kind in lab.columns["type"]],
        "Use": lab.columns["used"].astype(bool).tolist(),
        ALONE: lab.columns["single_auc"].astype("float64").tolist(),
        "How it is read, or why it is left out": lab.columns["reason"].tolist(),
    }
)
generation = st.session_state.get(f"{OVERRIDES}_generation", 0)
edited = st.data_editor(
    table,
    hide_index=True,
    width="stretch",
    # An earlier result's columns may not be this analysis's: they are chosen once it has arrived.
    disabled=True if fit.stale else ["Column", "Type", ALONE, "How it is read, or why it is left out"],
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
