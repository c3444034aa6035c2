"""The KPI registry: every KPI of the scorecard, by id, in the order of the scorecard.

Components in the order of :data:`bsc.kpis.record.COMPONENTS`, and within a component in the
order of its module's records. Where is a KPI defined? In the module of its component:
:mod:`bsc.kpis.satisfaction`, :mod:`~bsc.kpis.retention`, :mod:`~bsc.kpis.acquisition`,
:mod:`~bsc.kpis.loyalty` or :mod:`~bsc.kpis.service`, its record next to its function.
"""

from __future__ import annotations

from bsc.kpis import acquisition, loyalty, retention, satisfaction, service
from bsc.kpis.record import KpiDef


def _registry(*definitions: KpiDef) -> dict[str, KpiDef]:
    return {definition.id: definition for definition in definitions}


KPIS: dict[str, KpiDef] = _registry(
    *satisfaction.DEFINITIONS,
    *retention.DEFINITIONS,
    *acquisition.DEFINITIONS,
    *loyalty.DEFINITIONS,
    *service.DEFINITIONS,
)
