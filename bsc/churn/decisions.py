"""Decisions: whom to contact, what it is worth, and why each customer is at risk.

:func:`plan_contacts` turns probabilities, an offer cost, the share of contacted churners who
are saved and the customer value (:func:`typical_customer_value`) into the expected net value
of contacting the riskiest customers; :func:`at_risk_customers` lists them
(:func:`scored_customers`) with the reasons that raise each one's risk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from bsc.churn.analysis import ChurnAnalysis
from bsc.churn.evaluation import thin_positions
from bsc.errors import InputError

__all__ = [
    "ContactPlan",
    "at_risk_customers",
    "plan_contacts",
    "reason_text",
    "scored_customers",
    "typical_customer_value",
]

# The most customers scored at once (see :func:`scored_customers`).
SCORED_AT_ONCE = 100_000


@dataclass(frozen=True)
class ContactPlan:
    """The expected value of contacting customers from the riskiest down.

    Attributes
    ----------
    curve : pandas.DataFrame
        ``contacted`` (customers), ``threshold`` (probability of the last one contacted),
        ``expected_net_value``; thinned to a few hundred rows.
    contacted : int
        How many to contact for the highest expected net value (0 when no contact pays).
    threshold : float
        Contact customers whose churn probability is at least this.
    expected_net_value : float
        At that number of contacts.
    expected_saved : float
        Customers expected to be kept by those contacts.
    break_even : float
        The probability above which one contact pays for itself:
        offer cost ÷ (save rate × customer value) (with a single customer value).
    """

    curve: pd.DataFrame
    contacted: int
    threshold: float
    expected_net_value: float
    expected_saved: float
    break_even: float


def plan_contacts(
    probability: np.ndarray | pd.Series,
    *,
    offer_cost: float,
    save_rate: float,
    customer_value: float | np.ndarray,
    points: int = 300,
) -> ContactPlan:
    """How many customers to contact, and the expected net value.

    Contacting customer :math:`i` (churn probability :math:`p_i`, value :math:`v_i`) costs the
    offer :math:`c` and keeps them with probability :math:`p_i s`, where :math:`s` is the share
    of contacted churners who are saved. Customers are contacted in decreasing order of
    :math:`p_i v_i`; contacting the first :math:`k` is expected to be worth

    .. math:: N(k) = \\sum_{i \\le k} (p_i\\, s\\, v_i - c)

    which is largest where :math:`p_k s v_k` falls below :math:`c`. With one value for all,
    the threshold is the break-even probability :math:`c / (s v)`.

    Raises
    ------
    InputError
        For a negative offer cost, a save rate outside (0, 1], or a value that is not positive.
    """
    p = np.asarray(probability, dtype="float64")
    value = np.broadcast_to(np.asarray(customer_value, dtype="float64"), p.shape)
    problems = []
    if not np.isfinite(offer_cost) or offer_cost < 0:
        problems.append(f"the offer cost must be 0 or more, not {offer_cost}")
    if not 0 < save_rate <= 1:
        problems.append(
            f"the share of contacted churners who stay must be above 0 and at most 1, not {save_rate}"
        )
    if not (np.isfinite(value).all() and (value > 0).all()):
        problems.append("the customer value must be above 0")
    if problems:
        raise InputError("Cannot plan contacts: " + "; ".join(problems) + ".")
    order = np.argsort(-(p * value), kind="stable")
    gain = p[order] * save_rate * value[order] - offer_cost
    net = np.concatenate([[0.0], np.cumsum(gain)])
    saved = np.concatenate([[0.0], np.cumsum(p[order] * save_rate)])
    thresholds = np.concatenate([[1.0], p[order]])
    best = int(np.argmax(net))
    keep = np.union1d(thin_positions(len(net), points), [best])
    curve = pd.DataFrame({"contacted": keep, "threshold": thresholds[keep], "expected_net_value": net[keep]})
    mean_value = float(value.mean()) if len(value) else float(np.asarray(customer_value).mean())
    return ContactPlan(
        curve=curve,
        contacted=best,
        threshold=float(thresholds[best]),
        expected_net_value=float(net[best]),
        expected_saved=float(saved[best]),
        break_even=float(offer_cost / (save_rate * mean_value)),
    )


def scored_customers(analysis: ChurnAnalysis) -> tuple[pd.DataFrame, np.ndarray]:
    """The customers to act on and their churn probabilities.

    For a dated definition: the customers active at the end of the data, scored by the model
    fitted on all labelled customers (probability of churning within the horizon). For a churn
    column: the customers not (yet) churned, with their out-of-fold probabilities (each scored
    by a model that did not see them).
    """
    data = analysis.data
    if data.current is not None:
        plan = replace(
            analysis.plan, reference_date=data.current_reference_date or analysis.plan.reference_date
        )
        columns = plan.numbers + plan.categories
        # Scored a slice at a time (each row's probability is its own): the model inputs of the
        # 765,000 current customers of the 10M-order company at once were the lab's peak of memory.
        rows = len(data.current)
        probability = np.concatenate(
            [
                analysis.model.predict_proba(
                    plan.features(data.current.iloc[start : start + SCORED_AT_ONCE])[columns]
                )[:, 1]
                for start in range(0, max(rows, 1), SCORED_AT_ONCE)
            ]
        )
        return data.current.reset_index(drop=True), probability
    stayers = ~data.churned.to_numpy(dtype=bool)
    return data.customers[stayers].reset_index(drop=True), analysis.out_of_fold[stayers]


def at_risk_customers(analysis: ChurnAnalysis, *, top: int = 500, reasons: int = 3) -> pd.DataFrame:
    """The riskiest customers (see :func:`scored_customers`) with the reasons behind each one's risk.

    A reason is a column whose value raises this customer's probability: the probability drops
    by ``Δ`` when that value alone is replaced by the typical one (the median of numbers, the
    most common category among all labelled customers). The ``reasons`` largest drops above
    half a percentage point are listed in words (:func:`reason_text`): the value with its unit
    and a plain comparison with the typical customer, e.g. "No order for 212 days, 3× the
    typical customer's 70 days". A missing value is never a reason (the customer has no value
    to act on), nor is a value whose typical one is missing.

    Returns
    -------
    pandas.DataFrame
        ``customer`` (the id, or the row number when the table has no id column),
        ``churn_probability`` (0–1), ``reason_1`` ... ``reason_<reasons>`` (empty when fewer
        reasons stand out), sorted by probability, highest first, at most ``top`` rows.
    """
    customers, probability = scored_customers(analysis)
    plan = replace(
        analysis.plan,
        reference_date=analysis.data.current_reference_date
        if analysis.data.current is not None
        else analysis.plan.reference_date,
    )
    order = np.argsort(-probability, kind="stable")[:top]
    chosen = customers.iloc[order].reset_index(drop=True)
    features = plan.features(chosen)[plan.numbers + plan.categories]
    base = probability[order]
    id_column = analysis.data.id_column
    frame = pd.DataFrame(
        {
            "customer": chosen[id_column].astype("string")
            if id_column in chosen.columns
            else (order + 1).astype(str),
            "churn_probability": base,
        }
    )
    reason_columns = [f"reason_{i + 1}" for i in range(reasons)]
    if features.empty:
        return frame.assign(**dict.fromkeys(reason_columns, ""))
    training = analysis.plan.features(analysis.data.customers)
    typical = {c: training[c].median() for c in plan.numbers} | {
        c: training[c].mode().iloc[0] if training[c].notna().any() else None for c in plan.categories
    }
    columns = plan.numbers + plan.categories
    variants = pd.concat([features.assign(**{c: typical[c]}) for c in columns], ignore_index=True)
    moved = analysis.model.predict_proba(variants)[:, 1].reshape(len(columns), len(features)).T
    # The model's own probability of the unchanged rows, so that Δ compares like with like.
    own = analysis.model.predict_proba(features)[:, 1]
    drops = own[:, None] - moved
    # A blank is no value of the customer's: "Mean CES: none" gives a caller nothing to act on.
    known = features.notna().to_numpy() & np.array([not _missing(typical[c]) for c in columns])[None, :]
    drops = np.where(known, drops, -np.inf)
    units = analysis.data.units
    texts: list[list[str]] = []
    for row in range(len(features)):
        ranked = np.argsort(-drops[row], kind="stable")[:reasons]
        texts.append(
            [
                reason_text(
                    plan.label(columns[i]),
                    plan.decision(columns[i]).type,
                    features.iloc[row][columns[i]],
                    typical[columns[i]],
                    units.get(columns[i], ""),
                    column=columns[i],
                )
                for i in ranked
                if drops[row, i] > 0.005
            ]
        )
    for i, column in enumerate(reason_columns):
        frame[column] = [t[i] if i < len(t) else "" for t in texts]
    return frame


# Units of amounts ("3 orders"): a ratio to the typical customer says how far off a value is.
_AMOUNTS = {"days": "day", "orders": "order", "hours": "hour", "tickets": "ticket", "responses": "response"}
# Scores on a scale: a difference in points says how far off a value is.
_SCALES = ("0–10", "1–5", "1–7", "rating")


def reason_text(
    label: str, kind: str, value: object, typical: object, unit: str = "", *, column: str = ""
) -> str:
    """One at-risk reason in words: the value with its unit and a plain comparison.

    - recency (``recency_days``): "No order for 212 days, 3× the typical customer's 70 days";
    - amounts (days, orders, hours, tickets, responses, money, plain numbers): "Support
      tickets: 6 tickets, 3× the typical customer's 2 tickets", "40% of the typical
      customer's ...", or, nearer, "below the typical customer's ..."; money reads
      "1,200 (currency)";
    - scores on a scale (NPS 0–10, CSAT 1–5, CES 1–7, ratings): "Mean CSAT: 2 points (1–5),
      1.5 points below the typical customer's 3.5";
    - dates (as ages): "Signup date: 40 days ago (the typical customer: 800 days ago)";
    - yes/no and categories: "Loyalty member: no (most customers: yes)".

    Raises
    ------
    ValueError
        When ``value`` is missing: a missing value is never a reason.
    """
    if _missing(value):
        raise ValueError(f"{label}: a missing value is not a reason.")
    if kind == "flag":
        return f"{label}: {_yes_no(value)} (most customers: {_yes_no(typical)})"
    if kind == "category":
        return f"{label}: {value} (most customers: {typical})"
    number, usual = float(value), float(typical)  # type: ignore[arg-type]
    if kind == "date":
        return f"{label}: {_count(number, 'day')} ago (the typical customer: {_count(usual, 'day')} ago)"
    if column == "recency_days":
        return f"No order for {_count(number, 'day')}, {_ratio_words(number, usual, 'days')}"
    if unit in _SCALES:
        scale = "" if unit == "rating" else f" ({unit})"
        gap = number - usual
        side = "below" if gap < 0 else "above"
        return (
            f"{label}: {_number(number)} points{scale}, {_number(abs(gap))} points {side} the typical "
            f"customer's {_number(usual)}"
        )
    return f"{label}: {_with_unit(number, unit)}, {_ratio_words(number, usual, unit)}"


def _missing(value: object) -> bool:
    return (
        value is None or value is pd.NA or (isinstance(value, float | np.floating) and bool(np.isnan(value)))
    )


def _yes_no(value: object) -> str:
    return "unknown" if _missing(value) else "yes" if float(value) >= 0.5 else "no"  # type: ignore[arg-type]


def _number(number: float) -> str:
    return f"{number:,.0f}" if abs(number) >= 100 or number == round(number) else f"{number:,.1f}"


def _count(number: float, singular: str) -> str:
    return f"{_number(number)} {singular}{'' if number == 1 else 's'}"


def _with_unit(number: float, unit: str) -> str:
    if unit in _AMOUNTS:
        return _count(number, _AMOUNTS[unit])
    if unit == "money":
        return f"{_number(number)} (currency)"
    return _number(number)


def _ratio_words(number: float, usual: float, unit: str) -> str:
    """ "3× the typical customer's 70 days", "40% of ...", else "below (above) the typical customer's ..."."""
    usual_text = _with_unit(usual, unit)
    if usual > 0 and number >= 0:
        ratio = number / usual
        if ratio >= 1.5:
            times = f"{ratio:.0f}" if ratio >= 9.5 or abs(ratio - round(ratio)) < 0.05 else f"{ratio:.1f}"
            return f"{times}× the typical customer's {usual_text}"
        if ratio <= 0.67:
            return f"{ratio:.0%} of the typical customer's {usual_text}"
    side = "below" if number < usual else "above" if number > usual else "the same as"
    return f"{side} the typical customer's {usual_text}"


def typical_customer_value(tables: Mapping[str, Sequence], *, backend=None) -> float | None:
    """A customer's value for planning contacts: the median yearly CLV of all customers.

    The CLV is the KPI engine's (revenue per ordering customer × margin ÷ churn rate, per year;
    see :data:`bsc.kpis.KPIS`). None when the workspace cannot compute it.
    """
    from bsc.kpis import compute_kpis

    try:
        result = compute_kpis(tables, period="year", kpis=["clv"], backend=backend)
    except InputError:
        return None
    values = result.values
    if values.empty:
        return None
    overall = values.loc[values["segment"].isna() & (values["kpi"] == "clv"), "value"].astype("float64")
    overall = overall[np.isfinite(overall) & (overall > 0)]
    return float(overall.median()) if len(overall) else None
