"""The vocabulary of the product: table kinds, semantic roles and the canonical tables.

Every uploaded table is classified as one kind and its columns are given roles. Once mapped,
a table is stored in its *canonical* form: each role column renamed to the role id and typed
as the role says; segment attributes keep their (cleaned) original names. The KPI engine, the
demo generator and the models all speak this vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RoleType = Literal["id", "date", "number", "flag", "category", "text"]


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    type: RoleType
    description: str


@dataclass(frozen=True)
class TableKind:
    id: str
    label: str
    roles: tuple[Role, ...]
    # A table of this kind is usable when one of these role sets is mapped.
    required_any: tuple[tuple[str, ...], ...]

    def role(self, role_id: str) -> Role:
        for role in self.roles:
            if role.id == role_id:
                return role
        raise KeyError(role_id)

    @property
    def role_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.roles)


# Segment attributes (categorical columns) and numeric attributes are not roles: they are
# listed in a mapping's ``segments`` and ``attributes`` fields.
SEGMENT = "segment"
ATTRIBUTE = "attribute"
IGNORE = "ignore"

CUSTOMERS = TableKind(
    id="customers",
    label="Customers",
    roles=(
        Role("customer_id", "Customer ID", "id", "Identifies the customer"),
        Role("signup_date", "Signup date", "date", "When the customer was acquired"),
        Role("churn", "Churn flag", "flag", "True when the customer has left"),
        Role("churn_date", "Churn date", "date", "When the customer left"),
        Role("acquisition_channel", "Acquisition channel", "category", "Channel that won the customer"),
        Role("acquisition_cost", "Acquisition cost", "number", "Cost of winning the customer"),
        Role("loyalty_member", "Loyalty member", "flag", "Member of the loyalty programme"),
        # One survey answer per customer on the customer record: the KPIs read these columns as
        # an undated survey (see CUSTOMER_SURVEY_ROLES).
        Role("nps", "NPS score (0–10)", "number", "The customer's likelihood to recommend, 0–10"),
        Role("csat", "CSAT (1–5)", "number", "The customer's satisfaction, 1–5"),
    ),
    required_any=(("customer_id",),),
)
# Survey roles a customers table may carry: a customers table with one of them also serves as a
# feedback table without dates, one response per customer (see Store.workspace_tables).
CUSTOMER_SURVEY_ROLES = ("nps", "csat")

TRANSACTIONS = TableKind(
    id="transactions",
    label="Transactions",
    roles=(
        Role("customer_id", "Customer ID", "id", "Who ordered"),
        Role("date", "Order date", "date", "When the order was placed"),
        Role("amount", "Amount", "number", "Order line value; negative for returns"),
        Role("quantity", "Quantity", "number", "Units; amount = quantity × unit price when no amount"),
        Role("unit_price", "Unit price", "number", "Price per unit"),
        Role("order_id", "Order ID", "id", "Groups lines into orders"),
    ),
    required_any=(("customer_id", "date", "amount"), ("customer_id", "date", "quantity", "unit_price")),
)

FEEDBACK = TableKind(
    id="feedback",
    label="Feedback / surveys",
    roles=(
        Role("customer_id", "Customer ID", "id", "Who answered"),
        Role("date", "Response date", "date", "When the survey was answered"),
        Role("nps", "NPS score (0–10)", "number", "Likelihood to recommend, 0–10"),
        Role("csat", "CSAT (1–5)", "number", "Satisfaction, 1–5"),
        Role("ces", "CES (1–7)", "number", "Customer effort, 1–7"),
        Role("rating", "Rating", "number", "A star or point rating"),
        Role("comment", "Comment", "text", "Free-text answer"),
    ),
    required_any=(("nps",), ("csat",), ("ces",), ("rating",)),
)

SUPPORT = TableKind(
    id="support",
    label="Support tickets",
    roles=(
        Role("customer_id", "Customer ID", "id", "Who opened the ticket"),
        Role("ticket_id", "Ticket ID", "id", "Identifies the ticket"),
        Role("opened_at", "Opened at", "date", "When the ticket was opened"),
        Role("first_response_at", "First response at", "date", "When support first answered"),
        Role("response_minutes", "Response minutes", "number", "Minutes to first response"),
        Role("resolved_at", "Resolved at", "date", "When the ticket was resolved"),
    ),
    required_any=(("opened_at",),),
)

MARKETING = TableKind(
    id="marketing",
    label="Marketing",
    roles=(
        Role("date", "Date or period", "date", "Day or month the figures belong to"),
        Role("channel", "Channel", "category", "Marketing channel"),
        Role("spend", "Spend", "number", "Marketing spend"),
        Role("leads", "Leads", "number", "Leads generated"),
        Role("conversions", "Conversions", "number", "Leads that became customers"),
        Role("market_size", "Market size", "number", "Total market (revenue or customers)"),
    ),
    required_any=(("date", "spend"), ("date", "leads"), ("date", "market_size")),
)

KINDS: dict[str, TableKind] = {k.id: k for k in (CUSTOMERS, TRANSACTIONS, FEEDBACK, SUPPORT, MARKETING)}
UNKNOWN = "unknown"
# Saved segmentations, beside the table kinds in a workspace's tables: not a table kind but a
# customer attribute; each file holds customer_id and one segment column.
ASSIGNMENTS = "assignments"


def kind(kind_id: str) -> TableKind:
    try:
        return KINDS[kind_id]
    except KeyError:
        raise KeyError(f"unknown table kind {kind_id!r}") from None
