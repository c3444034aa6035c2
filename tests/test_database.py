"""The workspace database: every SQL table is declared once and created by one call."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from bsc.database import create_tables, metadata

TABLES = {
    "workspaces",
    "datasets",
    "segmentations",
    "objectives",
    "initiatives",
    "targets",
    "audit_log",
    "kpi_notes",
    "strategy_arrows",
    "workspace_roles",
    "role_changes",
    "theme_labels",
}


def test_one_call_creates_every_table(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'bsc.sqlite3'}")
    create_tables(engine)
    assert set(inspect(engine).get_table_names()) == TABLES == set(metadata.tables)


def test_creating_again_changes_nothing(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'bsc.sqlite3'}")
    create_tables(engine)
    columns = _columns(engine)
    create_tables(engine)
    assert _columns(engine) == columns


def _columns(engine) -> dict[str, list[tuple[str, str]]]:
    return {
        table: [(c["name"], str(c["type"])) for c in inspect(engine).get_columns(table)] for table in TABLES
    }


def test_every_row_but_a_workspace_goes_with_its_workspace():
    for name, table in metadata.tables.items():
        if name == "workspaces":
            continue
        [key] = table.c.workspace_id.foreign_keys
        assert key.target_fullname == "workspaces.id" and key.ondelete == "CASCADE", name
