"""Fixtures and helpers shared by the test modules.

``write_tables`` is a plain function rather than a fixture because module-scoped fixtures and test
bodies alike call it with their own folders; import it with ``from tests.conftest import
write_tables`` (the repository root is on ``pythonpath`` in pyproject.toml).
"""

from collections.abc import Iterator
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


def imported(csv: Path) -> Iterator[dict[str, list[Path]]]:
    """The canonical tables of ``csv``, read, detected and prepared as an import does."""
    from bsc.workspace import files_workspace

    with files_workspace([str(csv)]) as (tables, refused):
        assert not refused
        yield tables


@pytest.fixture(scope="module")
def cdnow_tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[Path]]]:
    """The committed CDNOW excerpt imported as an order log (ids become text, as in every workspace)."""
    yield from imported(write_cdnow_orders(tmp_path_factory.mktemp("cdnow") / "orders.csv"))


def write_cdnow_orders(path: Path) -> Path:
    """The committed CDNOW excerpt written as an orders CSV file (one order id per line) at ``path``."""
    from tests.test_clv_summary import cdnow_log

    log = cdnow_log()
    pd.DataFrame(
        {
            "order_id": range(len(log)),
            "customer_id": log["customer_id"],
            "order_date": log["date"],
            "amount": log["amount"],
        }
    ).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def demo_tables() -> Iterator[dict[str, list[Path]]]:
    """The shipped demo company's order lines (bsc.demo's default company, data/demo/orders.csv)."""
    yield from imported(FIXTURES.parents[1] / "data" / "demo" / "orders.csv")
