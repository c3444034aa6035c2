"""The rules that recognise roles and table kinds, kept as data, and a column's score for a role.

For each table kind, ``_ROLE_RULES`` gives every role its name patterns (strong and weak, matched
on :func:`~bsc.detect.profiles.name_key`), whether its values alone may assign it, and an extra
value test on top of the role type's own (``_type_fit``: how well a
:class:`~bsc.detect.profiles.ColumnProfile` fits an id, date, number, flag, category or text
role). ``_KIND_HINTS`` holds each kind's evidence beyond its roles. :func:`_role_confidence`
combines a name match and a value fit by the formula in :mod:`bsc.detect`. The names starting
with ``_`` are shared inside :mod:`bsc.detect` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bsc import schema
from bsc.detect.profiles import ColumnProfile

# --- value tests per role type ----------------------------------------------------------------


def _id_fit(p: ColumnProfile) -> float:
    if p.value_type == "id":
        return 1.0
    if p.value_type == "number" and p.integer_share == 1 and p.number_min >= 0:
        spread = p.distinct >= 50 or p.unique_ratio >= 0.05
        return 0.8 if spread and p.number_median > 1 else 0.3
    if p.value_type in ("category", "text") and p.space_share <= 0.1 and p.mean_length <= 40:
        return 0.7 if p.code_share >= 0.9 and p.distinct > 2 else 0.3
    return 0.0


def _date_fit(p: ColumnProfile, named: bool) -> float:
    if p.value_type == "date" or (named and p.date_share >= 0.5):
        return p.date_share
    if named and p.value_type == "number" and p.integer_share >= 0.95 and p.serial_share >= 0.95:
        return 0.9
    return 0.0


def _number_fit(p: ColumnProfile) -> float:
    if p.value_type == "number":
        return p.number_share
    if p.value_type == "flag" and p.flag_numeric:
        return 0.7
    return 0.0


def _flag_fit(p: ColumnProfile) -> float:
    return 1.0 if p.value_type == "flag" else 0.0


def _category_fit(p: ColumnProfile) -> float:
    return {"category": 1.0, "flag": 0.6, "text": 0.3, "id": 0.1}.get(p.value_type, 0.0)


def _text_fit(p: ColumnProfile) -> float:
    if p.value_type == "text":
        return 1.0 if p.space_share >= 0.3 else 0.5
    return 0.4 if p.value_type == "category" else 0.0


# A survey score column may hold a few answers outside its scale (an NPS of 11 among 300) and keep
# its role: bsc.prepare then leaves those answers empty and reports them.
SCORE_SHARE = 0.95


def _in_range(low: float, high: float) -> Callable[[ColumnProfile], float]:
    """A score test: whole numbers, at least :data:`SCORE_SHARE` of them within [low, high]."""

    def check(p: ColumnProfile) -> float:
        if p.integer_share < 0.95 or not p.numbers:
            return 0.0
        numbers = np.asarray(p.numbers)
        inside = float(((numbers >= low) & (numbers <= high)).mean())
        return 1.0 if inside >= SCORE_SHARE else 0.0

    return check


def _small_counts(p: ColumnProfile) -> float:
    if p.integer_share < 0.95:
        return 0.3
    return 1.0 if p.number_median <= 50 else 0.6


def _money(p: ColumnProfile) -> float:
    return 1.0 if p.integer_share < 0.95 else 0.8


def _not_negative(p: ColumnProfile) -> float:
    return 1.0 if p.number_min >= 0 else 0.5


def _type_fit(role_type: str, p: ColumnProfile, named: bool) -> float:
    if role_type == "date":
        return _date_fit(p, named)
    return {
        "id": _id_fit,
        "number": _number_fit,
        "flag": _flag_fit,
        "category": _category_fit,
        "text": _text_fit,
    }[role_type](p)


# --- the rules: names and value tests per role ------------------------------------------------


@dataclass(frozen=True)
class _RoleRule:
    """How to recognise one role: name patterns (full match on :func:`name_key`), whether the
    values alone may assign it, and an extra value test on top of the role type's own."""

    strong: tuple[str, ...]
    weak: tuple[str, ...] = ()
    value_only: bool = False
    check: Callable[[ColumnProfile], float] | None = None


_CUSTOMER_ID = _RoleRule(
    strong=(
        r"(customer|cust|client|member|account|user|buyer|shopper|subscriber|consumer|patron|kunde|kunden)"
        r"s?_?(id|no|nr|num|number|code|key|ref|nummer)?",
        r"(customer|client)_?e?mail",
    ),
    weak=(r"id", r"e_?mail", r"email_address"),
    value_only=True,
)
_NPS = _RoleRule(
    strong=(
        r"nps(_score|_rating)?",
        r".*recommend.*",
        r"net_promoter(_score)?",
    ),
    check=_in_range(0, 10),
)
_CSAT = _RoleRule(
    strong=(r"csat(_score)?", r"(customer_)?satisfaction(_score|_rating)?"),
    check=_in_range(1, 5),
)
_ROLE_RULES: dict[str, dict[str, _RoleRule]] = {
    "customers": {
        "customer_id": _CUSTOMER_ID,
        "signup_date": _RoleRule(
            strong=(
                r"(signup|sign_up|join|joined|joining|registration|registered|created|acquired|acquisition"
                r"|first_purchase|start|onboarded|onboarding|subscription_start|customer_since|member_since)"
                r"(_date|_at|_on|_time|_day)?",
                r"(date|dt)_(signup|joined|registered|created|acquired)",
                r"(customer_)?since",
            ),
            weak=(r"date",),
        ),
        "churn": _RoleRule(
            strong=(
                r"(is_)?(churn|churned|exited|attrition|attrition_flag|cancelled|canceled|left)(_flag|_label)?",
                r"(has_)?churned",
            ),
            weak=(r"(customer_)?status", r"active", r"is_active"),
        ),
        "churn_date": _RoleRule(
            strong=(
                r"(churn|churned|cancellation|cancelled|canceled|cancel|end|termination|exit|left|leave"
                r"|close|closed)_?(date|at|on|day)",
            ),
        ),
        "acquisition_channel": _RoleRule(
            strong=(
                r"(acquisition_)?(channel|source)",
                r"(lead|referral|utm|acquisition|marketing)_(source|channel)",
                r"referral|referred_by|how_heard",
            ),
        ),
        "acquisition_cost": _RoleRule(
            strong=(r"(customer_)?acquisition_cost", r"cac", r"cpa", r"cost_of_acquisition"),
        ),
        "loyalty_member": _RoleRule(
            strong=(
                r"(is_)?(loyalty|loyalty_member|loyalty_program|loyalty_programme|member|membership|vip)"
                r"(_flag|_status)?",
            ),
        ),
        # One survey answer per customer, kept on the customer record (the IBM telco status file's
        # "Satisfaction Score"): the KPIs read it as an undated survey.
        "nps": _NPS,
        "csat": _CSAT,
    },
    "transactions": {
        "customer_id": _CUSTOMER_ID,
        "date": _RoleRule(
            strong=(
                r"(order|purchase|transaction|invoice|sale|sales|txn|payment|booking|bestell|kauf)_?"
                r"(date|day|time|timestamp|datetime|at|on|dt|datum)",
                r"date|datum|day|timestamp|datetime",
            ),
            weak=(r".*_(date|at|time)",),
            value_only=True,
        ),
        "amount": _RoleRule(
            strong=(
                r"(order_|sale_|sales_|line_|net_|gross_|total_|transaction_|invoice_|purchase_)?"
                r"(amount|revenue|sales|value|total|spend|spent|turnover|monetary|paid|subtotal)",
                r"dollar_value|order_total|total_price|line_total|betrag|umsatz",
            ),
            weak=(r"price", r"payment"),
            value_only=True,
            check=_money,
        ),
        "quantity": _RoleRule(
            strong=(
                r"quantity|qty|units|unit_count|number_of_\w+|num_items|items|item_count|pieces|menge|anzahl",
            ),
            weak=(r"count",),
            value_only=True,
            check=_small_counts,
        ),
        "unit_price": _RoleRule(
            strong=(r"unit_?price|price_per_unit|item_price|price_each|price|einzelpreis",),
            check=_not_negative,
        ),
        "order_id": _RoleRule(
            strong=(
                r"(order|invoice|transaction|txn|receipt|basket|sale|bestell)_?(id|no|nr|number|num|key|nummer)",
            ),
        ),
    },
    "feedback": {
        "customer_id": _CUSTOMER_ID,
        "date": _RoleRule(
            strong=(
                r"(response|survey|submitted|submission|answer|answered|feedback|review)_?(date|at|time|on)",
                r"date|timestamp|submitted",
            ),
            weak=(r".*_(date|at|time)",),
            value_only=True,
        ),
        "nps": _NPS,
        "csat": _CSAT,
        "ces": _RoleRule(
            strong=(r"ces(_score)?", r"(customer_)?effort(_score)?"),
            check=_in_range(1, 7),
        ),
        "rating": _RoleRule(
            strong=(r"(star_|review_|overall_)?rating", r"stars", r"review_score"),
            weak=(r"score",),
        ),
        "comment": _RoleRule(
            strong=(
                r"comments?|feedback(_text)?|verbatim|review(_text)?|remarks?|free_text|open_answer"
                r"|answer_text|response_text",
            ),
            weak=(r"text|notes?|answer",),
        ),
    },
    "support": {
        "customer_id": _CUSTOMER_ID,
        "ticket_id": _RoleRule(
            strong=(r"(ticket|case|incident|request|issue)_?(id|no|nr|number|num|key|ref)?",),
        ),
        "opened_at": _RoleRule(
            strong=(
                r"(opened|created|submitted|reported|open|creation|logged|raised)_?(at|date|time|on|timestamp)?",
                r"(ticket|case)_(date|created|opened)",
            ),
        ),
        "first_response_at": _RoleRule(
            strong=(
                r"first_(response|reply)(_at|_date|_time|_on)?",
                r"(responded|replied)_?(at|date|time|on)?",
            ),
        ),
        "response_minutes": _RoleRule(
            strong=(
                r"(first_)?(response|reply)_?(time|minutes|mins|min|duration)(_minutes|_mins|_min)?",
                r"minutes_to_(first_)?(response|reply)",
            ),
            check=_not_negative,
        ),
        "resolved_at": _RoleRule(
            strong=(r"(resolved|closed|resolution|solved|completed)_?(at|date|time|on)?",),
        ),
    },
    "marketing": {
        "date": _RoleRule(
            strong=(r"date|month|period|week|day|year_month|reporting_(date|month|period)",),
            weak=(r".*_(date|month|period)",),
            value_only=True,
        ),
        "channel": _RoleRule(
            strong=(r"(marketing_|acquisition_|campaign_)?(channel|source|medium|platform)",),
            weak=(r"campaign",),
        ),
        "spend": _RoleRule(
            strong=(r"(ad_|marketing_|media_|campaign_)?(spend|cost|costs|budget)(_\w+)?",),
            check=_not_negative,
        ),
        "leads": _RoleRule(
            strong=(r"leads?|lead_count|prospects|inquiries|enquiries",),
            check=_not_negative,
        ),
        "conversions": _RoleRule(
            strong=(r"conversions?|converted|new_customers|acquisitions|customers_won|wins",),
            check=_not_negative,
        ),
        "market_size": _RoleRule(
            strong=(r"(total_)?market(_size|_revenue|_customers|_volume)?|tam",),
            check=_not_negative,
        ),
    },
}


@dataclass(frozen=True)
class _KindHints:
    """Evidence for a kind beyond its roles: words in the table's name, and whether customer ids
    should be unique (one row per customer) or repeat (several facts per customer)."""

    table_words: tuple[str, ...]
    customer_ids: str | None = None  # "unique", "repeated" or None


_KIND_HINTS: dict[str, _KindHints] = {
    "customers": _KindHints(
        ("customer", "client", "member", "churn", "crm", "subscriber", "account"), "unique"
    ),
    "transactions": _KindHints(
        ("order", "transaction", "sale", "purchase", "invoice", "receipt", "cdnow", "retail"), "repeated"
    ),
    "feedback": _KindHints(("survey", "feedback", "nps", "csat", "review", "response")),
    "support": _KindHints(("ticket", "support", "case", "helpdesk", "service_desk", "incident")),
    "marketing": _KindHints(("marketing", "campaign", "spend", "ads", "advert", "market")),
}

# How much a matched role counts as evidence for its kind; a customer id appears in every kind.
_SHARED_ROLE_WEIGHT = {"customer_id": 0.5, "date": 0.75}
# A survey score is a feedback table's own role; on a customer record it is weak evidence of a
# customers table, so that a survey file with one answer per customer stays a survey.
_BORROWED_ROLE_WEIGHT = {("customers", "nps"): 0.25, ("customers", "csat"): 0.25}


def _role_weight(kind_id: str, role_id: str) -> float:
    """How much a role filled in a table counts towards the table being of kind ``kind_id``."""
    return _BORROWED_ROLE_WEIGHT.get((kind_id, role_id), _SHARED_ROLE_WEIGHT.get(role_id, 1.0))


def _name_match(rule: _RoleRule, key: str) -> float:
    if any(re.fullmatch(pattern, key) for pattern in rule.strong):
        return 1.0
    if any(re.fullmatch(pattern, key) for pattern in rule.weak):
        return 0.5
    return 0.0


def _role_confidence(kind_id: str, role_id: str, p: ColumnProfile, strongly_named_elsewhere: bool) -> float:
    """Confidence that column ``p`` holds role ``role_id`` of kind ``kind_id`` (formula in the
    :mod:`bsc.detect` docstring). A column whose name strongly fits another role is not taken on values alone."""
    rule = _ROLE_RULES[kind_id][role_id]
    name = _name_match(rule, p.key)
    if name == 0 and (not rule.value_only or strongly_named_elsewhere):
        return 0.0
    role_type = schema.kind(kind_id).role(role_id).type
    fit = _type_fit(role_type, p, named=name > 0)
    if fit > 0 and rule.check is not None:
        fit *= rule.check(p)
    return round(fit * (0.5 + 0.5 * name), 3)


def _strong_names(p: ColumnProfile) -> set[tuple[str, str]]:
    return {
        (kind_id, role_id)
        for kind_id, rules in _ROLE_RULES.items()
        for role_id, rule in rules.items()
        if _name_match(rule, p.key) == 1.0
    }


# --- churn outcomes: columns that restate churn -----------------------------------------------


@dataclass(frozen=True)
class _OutcomeRule:
    """A column that says who churned (or why): split by it, churn is 0% or 100% by construction.

    ``names`` are full matches on :func:`~bsc.detect.profiles.name_key`; when ``values`` is not
    empty, the column must also hold one of these values (in any case) to count.
    """

    names: tuple[str, ...]
    values: tuple[str, ...] = ()


_CHURN_WORDS = r"churn|churned|churner|exited|exit|attrition|attrited|cancelled|canceled|cancellation"
_CHURN_OUTCOMES: tuple[_OutcomeRule, ...] = (
    # The flag itself, or a copy of it: Churn, Churn Label, Churn Value, Exited, Attrition_Flag.
    _OutcomeRule(names=(rf"(is_|has_)?({_CHURN_WORDS}|left)(_(flag|label|value|yes_no|indicator))?",)),
    # Why or how they left: Churn Reason, Churn Category, cancellation_type, reason_for_churn.
    _OutcomeRule(
        names=(
            rf"({_CHURN_WORDS}|leaving|leave)_(reason|reasons|category|categories|type|cause|causes|why|status)",
            rf"(reason|cause|category)_(for_|of_)?({_CHURN_WORDS}|leaving)",
        )
    ),
    # A status whose values say who left: Customer Status with Churned / Stayed / Joined,
    # Attrition_Flag's "Attrited Customer", an account "Closed".
    _OutcomeRule(
        names=(r"((customer|account|client|member|membership|subscriber|subscription|contract)_)?status",),
        values=(
            "churned",
            "churn",
            "left",
            "exited",
            "cancelled",
            "canceled",
            "closed",
            "terminated",
            "lapsed",
            "lost",
            "attrited",
            "attrited customer",
            "former",
            "former customer",
        ),
    ),
)


def _named_like_churn_outcome(key: str) -> bool:
    """True when a column name's key (:func:`~bsc.detect.profiles.name_key`) fits one of the
    names in :data:`_CHURN_OUTCOMES`: only such a column can restate churn."""
    return any(re.fullmatch(pattern, key) for rule in _CHURN_OUTCOMES for pattern in rule.names)


def _is_churn_outcome(p: ColumnProfile) -> bool:
    """True when column ``p`` restates the churn outcome by its name (and, for a status, its values)."""
    for rule in _CHURN_OUTCOMES:
        if not any(re.fullmatch(pattern, p.key) for pattern in rule.names):
            continue
        if not rule.values or set(rule.values) & set(p.levels):
            return True
    return False
