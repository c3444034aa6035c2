"""The workspace database: every SQL table on one ``MetaData``, and :func:`create_tables`.

The store's tables (workspaces, their datasets and saved segmentations), the names given to
comment themes, those of targets and objectives (objectives, initiatives, targets, the audit log),
the notes on KPIs, the strategy map's own arrows and those of who may do what in
a workspace (its members' roles and their history, kept by :mod:`bsc.access`) live in one database, so they
are declared here together and created together whenever a :class:`bsc.store.Store` opens.
The rows of every other table carry a ``workspace_id`` and are deleted with their workspace
(``ON DELETE CASCADE``).

These are SQL tables of the app's own records; the customer data tables a workshop uploads are
Parquet files, and their kinds and roles are in :mod:`bsc.schema`.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

metadata = MetaData()

# Workspaces and what bsc.store keeps in them.

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("read_only", Boolean, nullable=False, default=False, server_default=false()),
    # ISO 4217 code of its money values (found in the data or set by hand); NULL: unknown.
    Column("currency", String(3)),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("source", String(300), nullable=False),
    Column("sheet", String(300)),
    Column("kind", String(40), nullable=False),
    Column("mapping", Text, nullable=False),
    Column("problems", Text, nullable=False, default="[]"),
    Column("rows", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    # File names under tables/ of the current canonical form and of the one before it (kept
    # until the next save for readers that found it just before). NULL: <id>.parquet.
    Column("canonical_file", String(100)),
    Column("previous_file", String(100)),
    # True for a table streamed from a large file in batches (bsc.large_files): its raw file is
    # read, and re-mapped, one row group at a time.
    Column("streamed", Boolean, nullable=False, default=False, server_default=false()),
)

segmentations = Table(
    "segmentations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("attribute", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("params", Text, nullable=False, default="{}"),
    Column("version", Integer, nullable=False, default=1),
)

# Objectives, initiatives, targets and their audit log, kept by bsc.targets.

objectives_table = Table(
    "objectives",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "workspace_id",
        String(32),
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("owner", String(200), nullable=False, default=""),
    Column("due_date", Date),
    Column("kpis", Text, nullable=False, default="[]"),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("workspace_id", "name", name="uq_objective_name"),
)

initiatives_table = Table(
    "initiatives",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column(
        "objective_id",
        String(32),
        ForeignKey("objectives.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(200), nullable=False),
    Column("owner", String(200), nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
)

targets_table = Table(
    "targets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("kpi", String(60), nullable=False),
    # Empty strings, not NULL, for "all customers": NULLs never collide in a unique constraint.
    Column("segment_by", String(200), nullable=False, default=""),
    Column("segment", String(200), nullable=False, default=""),
    Column("due_period", String(10), nullable=False),
    Column("goal", Float, nullable=False),
    Column("baseline", Float),
    Column("baseline_period", String(10)),
    Column("trajectory", Text, nullable=False, default="[]"),
    Column("band_mode", String(10), nullable=False),
    Column("green", Float, nullable=False),
    Column("amber", Float, nullable=False),
    Column("weight", Float, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("workspace_id", "kpi", "segment_by", "segment", name="uq_target_kpi_segment"),
)

audit_table = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime, nullable=False, index=True),
    Column("who", String(200), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("entity_id", String(32), nullable=False),
    Column("label", String(400), nullable=False),
    Column("field", String(60), nullable=False),
    Column("old", Text, nullable=False, default=""),
    Column("new", Text, nullable=False, default=""),
)

# Notes on a KPI for a period and segment (what happened, what we do about it), kept by bsc.notes;
# their changes go to the audit log above.

notes_table = Table(
    "kpi_notes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "workspace_id",
        String(32),
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kpi", String(60), nullable=False),
    # A period label ("2026-05", "2026-Q2", "2026"); empty strings for "all customers", as targets.
    Column("period", String(10), nullable=False),
    Column("segment_by", String(200), nullable=False, default=""),
    Column("segment", String(200), nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
)

# Arrows users draw on the strategy map between two KPIs, kept by bsc.links.arrows (versioned and
# audited like targets).

strategy_arrows_table = Table(
    "strategy_arrows",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("cause", String(60), nullable=False),
    Column("effect", String(60), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("workspace_id", "cause", "effect", name="uq_strategy_arrow"),
)

# Who may do what in a workspace when sign-in is on, kept by bsc.access.

workspace_roles = Table(
    "workspace_roles",
    metadata,
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    # Lower-case e-mail address of the signed-in account.
    Column("email", String(320), primary_key=True),
    Column("role", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(320), nullable=False),
)

role_changes = Table(
    "role_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime, nullable=False, index=True),
    Column("who", String(320), nullable=False),
    Column("member", String(320), nullable=False),
    # "" for none: the member was added (old) or removed (new).
    Column("old_role", String(10), nullable=False, default=""),
    Column("new_role", String(10), nullable=False, default=""),
)

# The names a workshop gives the themes of its comments, kept by bsc.themes.labels.

theme_labels_table = Table(
    "theme_labels",
    metadata,
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    # The theme's three top words, sorted (bsc.themes.theme_key).
    Column("theme_key", String(400), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(320), nullable=False),
)

# Tables about access to a workspace rather than its content: an owner may change them while the
# workspace is read-only (bsc.store refuses every other write into a read-only workspace).
ACCESS_TABLES = frozenset({"workspace_roles", "role_changes"})

# Columns added to tables after their first release, added to older databases when a store opens.
_ADDED_COLUMNS: dict[tuple[str, str], str] = {
    ("workspaces", "read_only"): "BOOLEAN NOT NULL DEFAULT FALSE",
    ("workspaces", "currency"): "VARCHAR(3)",
    ("datasets", "canonical_file"): "VARCHAR(100)",
    ("datasets", "previous_file"): "VARCHAR(100)",
    ("datasets", "streamed"): "BOOLEAN NOT NULL DEFAULT FALSE",
}


def create_tables(engine: Engine) -> None:
    """Create every table missing from the database, then add the columns older releases lacked."""
    metadata.create_all(engine)
    _add_missing_columns(engine)


def _add_missing_columns(engine: Engine) -> None:
    """Bring a database made by an earlier release up to date (see ``_ADDED_COLUMNS``)."""
    for (table, column), ddl in _ADDED_COLUMNS.items():
        if column in {c["name"] for c in inspect(engine).get_columns(table)}:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))
        except DBAPIError:
            # Another process may have added it at the same moment.
            if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
                raise
