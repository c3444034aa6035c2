"""What every tab of the Objectives page works from: the workspace's KPIs, its target book, who edits."""

from __future__ import annotations

from dataclasses import dataclass

from bsc.kpis import KPIS, KpiParams, KpiResult
from bsc.targets import TargetBook
from ui.context import PageContext
from ui.filters import Filters
from ui.target_book import workspace_kpis


@dataclass(frozen=True)
class ObjectivesContext:
    """The page's set-up, handed to each tab.

    ``result`` holds the KPIs per the sidebar's period and split; ``author`` is the name every
    change is logged with ("" until the user gives one).
    """

    page: PageContext
    filters: Filters
    author: str
    tables: dict
    fingerprint: str
    params: KpiParams
    result: KpiResult
    book: TargetBook

    @property
    def read_only(self) -> bool:
        return self.page.read_only

    @property
    def currency(self) -> str | None:
        """The workspace's currency (None while unknown): every money value is written in it."""
        return self.page.workspace.currency

    def kpis(self, unit: str, by: str | None) -> KpiResult:
        """The workspace's KPIs per ``unit``, split by ``by``, from the cache shared by every session."""
        return workspace_kpis(self.fingerprint, self.tables, unit, by, self.params)

    def available_kpis(self) -> list[str]:
        """The registry's KPIs that this workspace's data can compute, in registry order."""
        computed = set(self.result.values["kpi"])
        return [kpi for kpi in KPIS if kpi in computed]
