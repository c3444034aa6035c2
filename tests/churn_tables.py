"""Customer tables for the churn lab's tests: synthetic tables with a known signal, and the demo company.

Model tests use small synthetic tables whose signal is known because the test draws it: a
logistic model on one column (learned), and labels drawn independently of every column (not
learned).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bsc.store import Store
from bsc.workspace import ensure_demo_workspace


def signal_table(rows: int = 600, seed: int = 1) -> pd.DataFrame:
    """Churn drawn from a logistic model on ``satisfaction`` alone; ``noise`` carries nothing."""
    rng = np.random.default_rng(seed)
    satisfaction = rng.normal(0, 1, rows)
    churn = rng.random(rows) < 1 / (1 + np.exp(-(-1.0 - 2.0 * satisfaction)))
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(rows)],
            "satisfaction": satisfaction.round(3),
            "noise": rng.normal(0, 1, rows).round(3),
            "plan": rng.choice(["Basic", "Plus", "Premium"], rows),
            "Churn": np.where(churn, "Yes", "No"),
        }
    )


def noise_table(rows: int = 600, seed: int = 2) -> pd.DataFrame:
    """Labels drawn independently of every column: nothing can be learned."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"N{i:04d}" for i in range(rows)],
            "a": rng.normal(0, 1, rows),
            "b": rng.normal(0, 1, rows),
            "c": rng.choice(["x", "y", "z"], rows),
            "churned": rng.random(rows) < 0.3,
        }
    )


def demo_workspace_tables(folder: Path) -> dict[str, list[Path]]:
    """The demo company's canonical tables, stored in a new workspace under ``folder``."""
    store = Store(folder / "data")
    workspace = ensure_demo_workspace(store)
    tables = store.workspace_tables(workspace.id)
    store.engine.dispose()
    return tables
