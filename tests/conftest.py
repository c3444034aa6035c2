"""Fixtures and helpers shared by the test modules.

``write_tables`` is a plain function rather than a fixture because module-scoped fixtures and test
bodies alike call it with their own folders; import it with ``from tests.conftest import
write_tables`` (the repository root is on ``pythonpath`` in pyproject.toml).
"""

from pathlib import Path

import pandas as pd
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def write_tables(folder: Path, frames: dict[str, pd.DataFrame]) -> dict[str, list[Path]]:
    """Save each frame as ``folder/<kind>.parquet`` and return the tables as the engine takes them."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {}
    for kind, frame in frames.items():
        path = folder / f"{kind}.parquet"
        frame.to_parquet(path, index=False)
        tables[kind] = [path]
    return tables
