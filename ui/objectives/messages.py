"""What the last save on the Objectives page did, kept by the callback that saved.

Saves run in widget callbacks, before the page is drawn; their messages wait in session state and
are shown at the top of the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import streamlit as st

from bsc.errors import InputError
from bsc.store import ConflictError
from ui.text import literal

MESSAGE = "objectives_message"
MessageKind = Literal["success", "conflict", "error"]


def tell(kind: MessageKind, text: str) -> None:
    """Keep one message for the next run, replacing any kept before."""
    st.session_state[MESSAGE] = [(kind, text)]


def save_and_tell(save: Callable[[], str]) -> None:
    """Run ``save`` (it returns the success message) and keep what happened for the next run.

    A save refused because someone else saved first is a conflict: the assistant then does not
    also announce that other person's change.
    """
    try:
        message = save()
    except ConflictError as error:
        tell("conflict", str(error))
    except InputError as error:
        tell("error", str(error))
    else:
        tell("success", message)


def show_messages() -> bool:
    """Show the kept messages once; True when one of them is a refused (conflicting) save."""
    messages = st.session_state.pop(MESSAGE, [])
    for kind, text in messages:
        # Messages carry names typed by users (objectives, segments, authors): shown as typed.
        {"success": st.success, "conflict": st.error, "error": st.error}[kind](literal(text))
    return any(kind == "conflict" for kind, _ in messages)
