"""The target assistant and the what-if model.

The assistant answers, for one KPI and segment, "is this target realistic?": the baseline
(the last period and the last three months), the historical range, a linear trend projected to
the due period with a prediction interval, the probability of reaching a proposed target, and a
warning with its reasons when the target lies outside what history makes plausible.

The what-if model ties the customer perspective to the financial one: levers on retention,
NPS, CPA and conversion move the customer base, revenue and CLV over the next twelve months,
every assumption stated beside the result.

The package holds one idea per module:

- :mod:`bsc.assistant.assessment`: :func:`assess_target` (baseline, range, trend projection
  with its prediction interval, chance and plausibility) and :func:`chance_text`;
- :mod:`bsc.assistant.whatif`: the levers, today's rates (:func:`whatif_base`) and the
  twelve-month projection (:func:`project_whatif`);
- :mod:`bsc.assistant.nps_churn`: the NPS–churn link behind the NPS lever (:func:`nps_churn_link`).
"""

from bsc.assistant.assessment import Assessment, assess_target, chance_text
from bsc.assistant.nps_churn import NpsChurnLink, nps_churn_link
from bsc.assistant.whatif import Levers, WhatIfBase, WhatIfResult, project_whatif, whatif_base

__all__ = [
    "Assessment",
    "Levers",
    "NpsChurnLink",
    "WhatIfBase",
    "WhatIfResult",
    "assess_target",
    "chance_text",
    "nps_churn_link",
    "project_whatif",
    "whatif_base",
]
