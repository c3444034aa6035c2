"""What the demo company's customers say and ask: survey answers and support tickets.

Survey answers (NPS, CSAT, CES, four attribute ratings, a short comment) follow each customer's
hidden satisfaction, with North's story lift; tickets come more often from unhappy customers and
are answered as fast as the customer's plan and hidden service level allow.

The attribute ratings (1–5: delivery, price, support, product quality) carry the drivers story:
each is the respondent's mood seen through its own noise, with a planted loading
(:data:`RATING_LOADINGS`), so that key-driver analysis of NPS ranks support first, then delivery,
then product quality, and finds price within noise; support also scores worst on average (a
"fix first" driver). A comment is about the respondent's weakest attribute when that one is rated
a point or more below its usual answer (late delivery, slow support, high prices, poor quality), praise from promoters, a neutral
remark otherwise, and from North's story on, often about its new local team: the themes a topic
model should find, with NPS lower among the writers of a complaint and higher among those of praise.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from bsc.demo.columns import id_column, id_width, label_column
from bsc.demo.customers import REGIONS, People
from bsc.demo.stories import NPS_STORY_LIFT, NPS_STORY_REGION, company_stories
from bsc.demo.timeline import DAYS_PER_MONTH, Calendar, sample_days

__all__ = ["surveys_table", "tickets_table"]

SURVEYS_PER_CUSTOMER = 2.0
NPS_MEAN, NPS_SPREAD, NPS_NOISE = 7.7, 1.8, 1.0
COMMENT_SHARE = 0.5

# The attribute ratings, in column order: (column, loading on the respondent's mood, loading on
# their slow service, mean before rounding). A rating is
# clip(rint(mean + 0.9 × (loading × mood − service × slow + sqrt(1 − loading² − service²) × noise)), 1, 5):
# support leans most on mood (and on slow service), price not at all.
RATING_LOADINGS = (
    ("delivery_rating", 0.6, 0.0, 4.0),
    ("price_rating", 0.0, 0.0, 3.3),
    ("support_rating", 0.75, 0.3, 2.9),
    ("quality_rating", 0.4, 0.0, 3.8),
)
RATING_SPREAD = 0.9
# A complaint is about the attribute furthest below its usual answer, when it is this far below.
COMPLAINT_DROP = 1.0
# Comments drawn whatever the ratings say: people write about what they like.
RANDOM_COMMENT_SHARE = 0.15

# Each theme's remarks share a word or two, as real comments about one thing do.
COMPLAINTS = {
    "delivery_rating": (
        "Late delivery",
        "Delivery was late",
        "Delivery late again",
        "My delivery came late, no tracking",
    ),
    "price_rating": (
        "Too expensive",
        "Expensive, prices went up",
        "Expensive compared to other shops",
    ),
    "support_rating": (
        "Support too slow",
        "Support never answered",
        "Slow support, waited days",
        "Could not reach support",
    ),
    "quality_rating": (
        "Poor quality",
        "Poor quality, it broke",
        "Quality is poor, broke quickly",
    ),
}
PRAISE = (
    "Great service",
    "Great service, thank you",
    "Great service as always",
    "Really great service, friendly staff",
)
NEUTRAL = (
    "Fine",
    "All fine",
    "Fine overall",
    "Fine, thanks",
)
STORY_COMMENTS = (
    "Local team very helpful",
    "The new local team is helpful",
    "Helpful local team",
)
STORY_COMMENT_SHARE = 0.8

TICKETS_PER_CUSTOMER_MONTH = 0.1
TICKET_WEEKDAY = (1.1, 1.1, 1.0, 1.0, 1.0, 0.5, 0.4)
# Hour of day a ticket is opened, midnight first.
TICKET_HOURS = (1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 11, 12, 13, 13, 12, 10, 8, 7, 6, 4, 3, 2)
PLAN_RESPONSE_HOURS = (5.0, 3.0, 1.5)
RESOLUTION_HOURS_MEDIAN = 18.0
ABANDONED_TICKET_SHARE = 0.02


def surveys_table(rng: np.random.Generator, people: People, calendar: Calendar, end: date) -> pd.DataFrame:
    count = len(people.signup_day)
    first, last = people.active_from, people.active_to(calendar)
    window = (last - first + 1).astype(float)
    per_customer = rng.poisson(SURVEYS_PER_CUSTOMER * count * window / window.sum())
    customer = np.repeat(np.arange(count), per_customer)
    responses = len(customer)
    day = first[customer] + np.floor(rng.random(responses) * window[customer]).astype(np.int64)

    story_day = (np.datetime64(company_stories(end).nps_improves_from, "D") - calendar.start).astype(np.int64)
    north = REGIONS.index(NPS_STORY_REGION)
    lift = np.where((people.region[customer] == north) & (day >= story_day), NPS_STORY_LIFT, 0.0)
    # Unhappy customers leave, so the customers still there grow happier over time. Answers are
    # centred on the customers active that day to keep that drift out of the scores: apart
    # from North's story, the company's NPS stays flat.
    mood = people.satisfaction[customer] - _drift(people.satisfaction, first, last, calendar.days)[day]
    slow = people.slow_service[customer] - _drift(people.slow_service, first, last, calendar.days)[day]
    nps = np.clip(
        np.rint(NPS_MEAN + NPS_SPREAD * mood + lift + NPS_NOISE * rng.standard_normal(responses)), 0, 10
    )
    csat = np.clip(np.rint(3.8 + 0.75 * mood + 0.4 * lift + 0.6 * rng.standard_normal(responses)), 1, 5)
    ces = np.clip(
        np.rint(5.0 + 0.5 * mood - 0.6 * slow + 0.3 * lift + 0.8 * rng.standard_normal(responses)),
        1,
        7,
    )
    ratings = _ratings(rng, mood, slow)
    comment = _comments(rng, nps, ratings, lift > 0)

    order = np.lexsort((customer, day))
    return pd.DataFrame(
        {
            "response_id": id_column("R", responses, id_width(responses)),
            "customer_id": people.customer_id.take(customer[order]).reset_index(drop=True),
            "response_date": calendar.dates(day[order]),
            "nps": nps[order].astype(np.int64),
            "csat": csat[order].astype(np.int64),
            "ces": ces[order].astype(np.int64),
            **{name: values[order].astype(np.int64) for name, values in ratings.items()},
            "comment": comment.take(order).reset_index(drop=True),
        }
    )


def _ratings(rng: np.random.Generator, mood: np.ndarray, slow: np.ndarray) -> dict[str, np.ndarray]:
    """The four attribute ratings (1–5), each mood and slow service seen through its own noise."""
    ratings = {}
    for name, loading, service, mean in RATING_LOADINGS:
        noise = np.sqrt(1.0 - loading**2 - service**2) * rng.standard_normal(len(mood))
        latent = loading * mood - service * slow + noise
        ratings[name] = np.clip(np.rint(mean + RATING_SPREAD * latent), 1, 5)
    return ratings


def _drift(trait: np.ndarray, first: np.ndarray, last: np.ndarray, days: int) -> np.ndarray:
    """Mean of ``trait`` over the customers active each day, minus its value on day 0."""
    total = np.cumsum(
        np.bincount(first, weights=trait, minlength=days + 1)
        - np.bincount(last + 1, weights=trait, minlength=days + 1)
    )[:days]
    active = np.cumsum(np.bincount(first, minlength=days + 1) - np.bincount(last + 1, minlength=days + 1))[
        :days
    ]
    mean = total / np.maximum(active, 1)
    return mean - mean[0]


def _comments(
    rng: np.random.Generator, nps: np.ndarray, ratings: dict[str, np.ndarray], lifted: np.ndarray
) -> pd.Series:
    """A short comment, or blank (about half): a complaint about the weakest attribute when it is
    :data:`COMPLAINT_DROP` or more below its usual answer, praise from a promoter (9–10), a neutral remark
    otherwise; in North's story, often a word about the new local team. A share
    :data:`RANDOM_COMMENT_SHARE` picks any theme regardless."""
    count = len(nps)
    themes = [*COMPLAINTS.values(), PRAISE, NEUTRAL, STORY_COMMENTS]
    pool = (*(text for theme in themes for text in theme), "")
    sizes = np.array([len(theme) for theme in themes])
    offsets = np.concatenate(([0], np.cumsum(sizes)))[:-1]
    names = list(COMPLAINTS)
    means = {name: mean for name, _, _, mean in RATING_LOADINGS}
    # How far below its usual answer each rating is: the weakest attribute is the one furthest below.
    below = np.column_stack([ratings[name] - np.round(means[name]) for name in names])
    weakest = np.argmin(below, axis=1)
    complaint = below[np.arange(count), weakest] <= -COMPLAINT_DROP
    praise, neutral, story = len(names), len(names) + 1, len(names) + 2
    theme = np.where(complaint, weakest, np.where(nps >= 9, praise, neutral))
    theme = np.where(lifted & (rng.random(count) < STORY_COMMENT_SHARE), story, theme)
    anything = rng.integers(0, story, count)
    theme = np.where(rng.random(count) < RANDOM_COMMENT_SHARE, anything, theme)
    code = offsets[theme] + np.floor(rng.random(count) * sizes[theme]).astype(np.int64)
    code = np.where(rng.random(count) < COMMENT_SHARE, code, len(pool) - 1)
    comments = label_column(code, pool)
    return comments.where(comments != "")


def tickets_table(rng: np.random.Generator, people: People, calendar: Calendar) -> pd.DataFrame:
    count = len(people.signup_day)
    first, last = people.active_from, people.active_to(calendar)
    cumulative = calendar.cumulative(np.asarray(TICKET_WEEKDAY)[calendar.weekday])
    # Unhappy customers contact support more often.
    exposure = (last - first + 1) / DAYS_PER_MONTH * np.exp(-0.3 * people.satisfaction)
    per_customer = rng.poisson(TICKETS_PER_CUSTOMER_MONTH * exposure)
    customer = np.repeat(np.arange(count), per_customer)
    tickets = len(customer)
    day = sample_days(rng, cumulative, first[customer], last[customer])
    hour_weights = np.asarray(TICKET_HOURS, dtype=float)
    hour = rng.choice(24, size=tickets, p=hour_weights / hour_weights.sum())
    opened_minute = day * 1440 + hour * 60 + rng.integers(0, 60, tickets)

    response_hours = np.asarray(PLAN_RESPONSE_HOURS)[people.plan[customer]] * np.exp(
        0.6 * people.slow_service[customer] + 0.5 * rng.standard_normal(tickets)
    )
    responded_minute = opened_minute + np.maximum(np.rint(response_hours * 60), 5).astype(np.int64)
    resolution_hours = RESOLUTION_HOURS_MEDIAN * rng.lognormal(0.0, 1.0, tickets)
    resolved_minute = responded_minute + np.maximum(np.rint(resolution_hours * 60), 5).astype(np.int64)

    history_end = calendar.days * 1440
    responded = responded_minute < history_end
    resolved = responded & (resolved_minute < history_end) & (rng.random(tickets) >= ABANDONED_TICKET_SHARE)

    order = np.lexsort((customer, opened_minute))
    start = calendar.start.astype("datetime64[m]")
    not_yet = np.datetime64("NaT", "m")
    return pd.DataFrame(
        {
            "ticket_id": id_column("T", tickets, id_width(tickets)),
            "customer_id": people.customer_id.take(customer[order]).reset_index(drop=True),
            "opened_at": (start + opened_minute[order]).astype("datetime64[us]"),
            "first_response_at": np.where(responded, start + responded_minute, not_yet)[order].astype(
                "datetime64[us]"
            ),
            "resolved_at": np.where(resolved, start + resolved_minute, not_yet)[order].astype(
                "datetime64[us]"
            ),
        }
    )
