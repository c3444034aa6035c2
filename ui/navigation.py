"""The pages of the app, in menu order. ``app.py`` builds the navigation from this list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/scorecard.py", "Scorecard", ":material/dashboard:", default=True),
    PageSpec("pages/why.py", "Why", ":material/psychology_alt:"),
    PageSpec("pages/objectives.py", "Objectives & targets", ":material/flag:"),
    PageSpec("pages/segmentation.py", "Segmentation", ":material/bubble_chart:"),
    PageSpec("pages/churn.py", "Churn lab", ":material/person_remove:"),
    PageSpec("pages/lifetime.py", "Lifetime value", ":material/timeline:"),
    PageSpec("pages/strategy_map.py", "Strategy map", ":material/account_tree:"),
    PageSpec("pages/data.py", "Data", ":material/upload_file:"),
    PageSpec("pages/workspaces.py", "Workspaces", ":material/folder_open:"),
    PageSpec("pages/about.py", "About", ":material/info:"),
)
