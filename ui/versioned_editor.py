"""A data editor whose edits are saved at once against the versions the user saw.

Each run first applies the edits made in the editor drawn by the previous run, using the ids and
versions of *that* drawing, so that a row someone else changed in between is refused by the
store (a version conflict) instead of being overwritten. The editor is then drawn afresh from
the store under a new key, so what the user sees is always what is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from ui.text import literal


@dataclass
class EditorOutcome:
    """What the last batch of edits did: saved messages and refused ones."""

    saved: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


# apply(row, changes) for an edited row, apply(row, None) for a deleted one, apply(None, values)
# for an added one; each returns a message for the user or raises InputError.
ApplyEdit = Callable[[dict[str, Any] | None, dict[str, Any] | None], str]


def editor_key(name: str) -> str | None:
    """The key of the editor drawn last for ``name`` (tests set edits under it)."""
    state = st.session_state.get(f"{name}_editor_state")
    return state["key"] if state else None


def apply_pending(name: str, apply: ApplyEdit) -> EditorOutcome:
    """Apply the edits made in ``name``'s editor as drawn by the previous run.

    Call it before the page reads anything from the store, so that the whole page shows the
    result. ``apply(row, changes)`` gets the row as it was drawn (with its ``id`` and
    ``version``) and the changed columns; ``changes`` is None for a deleted row and ``row`` None
    for an added one.
    """
    return _apply_pending(name, apply)


def versioned_editor(
    name: str,
    frame: pd.DataFrame,
    outcome: EditorOutcome | None = None,
    *,
    read_only: bool = False,
    **options: Any,
) -> None:
    """Show ``outcome``'s messages, then draw ``frame`` (with ``id`` and ``version`` columns).

    ``options`` go to ``st.data_editor`` (column_config, disabled, num_rows...). ``read_only``
    (a read-only workspace) disables every cell and the adding and deleting of rows; an edit
    forced through anyway is still applied by :func:`apply_pending`, and refused by the store.
    """
    if read_only:
        options = {**options, "disabled": True, "num_rows": "fixed"}
    show_outcome(outcome)
    generation = st.session_state.get(f"{name}_editor_generation", 0)
    versions = "|".join(
        f"{row_id}:{version}" for row_id, version in zip(frame["id"], frame["version"], strict=True)
    )
    digest = hashlib.sha1(versions.encode()).hexdigest()[:10]
    key = f"{name}_editor_{generation}_{digest}"
    st.session_state[f"{name}_editor_state"] = {"key": key, "rows": frame.to_dict("records")}
    st.data_editor(frame, key=key, hide_index=True, **options)


def show_outcome(outcome: EditorOutcome | None) -> None:
    """What the last edits did: a success line per saved edit, an error per refused one."""
    # Messages name what was edited (objectives, segments, people): shown as typed.
    for message in (outcome or EditorOutcome()).saved:
        st.success(literal(message), icon=":material/check_circle:")
    for message in (outcome or EditorOutcome()).refused:
        st.error(literal(message), icon=":material/error:")


def _apply_pending(name: str, apply: ApplyEdit) -> EditorOutcome:
    outcome = EditorOutcome()
    state = st.session_state.get(f"{name}_editor_state")
    if not state:
        return outcome
    edits = st.session_state.get(state["key"])
    if not edits or not any(edits.get(part) for part in ("edited_rows", "added_rows", "deleted_rows")):
        return outcome
    rows = state["rows"]
    batch: list[tuple[dict | None, dict | None]] = []
    for position, changes in sorted(edits.get("edited_rows", {}).items(), key=lambda item: int(item[0])):
        if int(position) < len(rows) and changes:
            batch.append((rows[int(position)], dict(changes)))
    for position in edits.get("deleted_rows", []):
        if int(position) < len(rows):
            batch.append((rows[int(position)], None))
    for values in edits.get("added_rows", []):
        if any(value not in (None, "") for value in values.values()):
            batch.append((None, dict(values)))
    for row, changes in batch:
        try:
            outcome.saved.append(apply(row, changes))
        except InputError as error:
            outcome.refused.append(str(error))
    # Start again from what is stored: a fresh editor without the applied (or refused) edits.
    del st.session_state[state["key"]]
    st.session_state[f"{name}_editor_generation"] = st.session_state.get(f"{name}_editor_generation", 0) + 1
    return outcome
