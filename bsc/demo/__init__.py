"""A seeded demo company: five business tables with stories worth finding.

The demo company sells online to consumers on three plans (Basic, Plus, Premium) in five
regions. :func:`generate_company` draws its history for ``months`` months ending at ``end``
(30 months to 31 October 2026 by default) and returns five tables whose column names a
column detector maps without help:

``customers``
    customer_id ("C000123"), signup_date, region (North, South, East, West, Central), plan,
    channel (the acquisition channel: Search, Social, Referral, Partner, Email),
    loyalty_member (Yes/No), acquisition_cost, churned (Yes/No), churn_date (blank unless
    churned). About a third of the customers form the starting base, signed up in the three
    years before the history starts; the rest sign up during it, more each month and more
    around the new year.
``orders``
    order_id, customer_id, order_date, amount, quantity. About ten order lines per customer
    over the whole history, with a weekly rhythm (Saturday busiest, Sunday quietest) and a
    yearly one (December peak). About 3 % of the lines are returns: each sends back the
    customer's line just before it (the same amount and quantity, negative), so no customer's
    spend ever falls below zero.
``surveys``
    response_id, customer_id, response_date, nps (0–10), csat (1–5), ces (1–7, where 7 means
    "it was easy"), delivery_rating, price_rating, support_rating, quality_rating (1–5), comment
    (short, blank for about half the responses). About two responses per customer over the
    whole history.
``tickets``
    ticket_id, customer_id, opened_at, first_response_at, resolved_at (minute precision).
    About 0.1 tickets per active customer-month, mostly in office hours. Tickets still open at the end of the history, and a few abandoned ones, have no
    resolved_at; tickets not yet answered have no first_response_at either.
``marketing``
    month (first day of the month), channel, spend, leads, conversions, market_size.
    conversions equals the number of customers that channel won that month in ``customers``,
    and when it is not zero, spend equals the sum of those customers' acquisition_cost (up to
    rounding each cost to the cent). market_size is the revenue of the whole
    market that month, sized so that the company's net revenue grows from about 3.0 % to
    3.6 % of it; it is the same on every channel row of a month, so take one value per month,
    not the sum over channels.

Stories to find
---------------
1. **Satisfaction and service drive churn.** Each customer has a hidden satisfaction level,
   which sets their NPS, CSAT and CES answers, and a hidden service level, which sets how long
   support takes to answer their tickets (Premium customers are answered fastest). The
   churn hazard (1 % a month for an average customer) is multiplied by exp(1.5) for each
   standard deviation less satisfaction and by exp(1.0) for each standard deviation slower
   service, so a logistic regression on each customer's mean NPS and mean hours to first
   response separates churners from stayers clearly better than chance (cross-validated AUC
   around 0.75). Loyalty members churn less and order more; Basic customers churn more than
   Premium ones. About a quarter of the customers churn. Who churns in a month is drawn by
   systematic sampling, so each month loses close to its expected number of customers and the
   CLV (which divides by them) moves steadily instead of doubling on a lucky month.
2. **North's NPS improves.** From the first day of the tenth-last month (1 January 2026 by
   default), survey answers in region North rise by 0.6 points on the 0–10 scale, lifting
   North's NPS by about 20 points. The other regions stay flat: answers are centred on the
   customers active that day, so the departure of unhappy customers does not lift everyone.
3. **Social's cost per acquisition worsens.** Over the last twelve months, Social's spend
   climbs to 2.6 times its earlier level while the customers it wins stay flat, so its CPA
   (spend / conversions) in the last six months is about 2.4 times that of the first six
   months. The other channels' CPA only creeps up with 0.3 % inflation a month.

4. **Support drives NPS most, and scores worst.** Of the four attribute ratings, support leans
   most on the respondent's mood, then delivery, then product quality; price not at all. Key-driver
   analysis of NPS ranks them in that order with price within noise, and support, the weakest on
   average, is the one to fix first. Comments complain about the weakest attribute when it is rated
   1 or 2, praise comes from promoters, and from North's story on North's customers write about
   their new local team (see :mod:`bsc.demo.experience`).

A churned customer places no order, answers no survey and opens no ticket after the churn
date. The same ``seed`` always gives the same tables.

Scale: everything is drawn with vectorised numpy, without a loop over customers; 100,000
customers (about a million order lines) take about a second.

The package holds one idea per module:

- :mod:`bsc.demo.company`: :func:`generate_company`, its limits and the order of the draws;
- :mod:`bsc.demo.timeline`: the days and months of the history, and drawing days by intensity;
- :mod:`bsc.demo.columns`: drawn codes turned into table columns (labels, ids, Yes/No);
- :mod:`bsc.demo.stories`: where and how strongly the stories play (:func:`company_stories`);
- :mod:`bsc.demo.customers`: the customers, their hidden traits, the starting base and churn;
- :mod:`bsc.demo.acquisition`: channels, the acquisition plan and the ``marketing`` table;
- :mod:`bsc.demo.orders`: the ``orders`` table;
- :mod:`bsc.demo.experience`: what customers say and ask: ``surveys`` and ``tickets``;
- :mod:`bsc.demo.files`: :func:`write_company`, the CSV, Parquet and Excel files.
"""

from bsc.demo.company import DEMO_CURRENCY, TABLE_NAMES, generate_company
from bsc.demo.files import XLSX_MAX_ROWS, write_company
from bsc.demo.stories import CompanyStories, company_stories
from bsc.demo.timeline import DEMO_END

__all__ = [
    "DEMO_CURRENCY",
    "DEMO_END",
    "TABLE_NAMES",
    "XLSX_MAX_ROWS",
    "CompanyStories",
    "company_stories",
    "generate_company",
    "write_company",
]
