"""Showing text that comes from data (column names, file names, segment values) literally."""

from __future__ import annotations

import re

# Every character Markdown, Streamlit's colour and icon directives (":red[...]"), its maths ("$...$")
# or HTML entities ("&lt;") could read as markup; a backslash makes each one a plain character.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def literal(text: object) -> str:
    """Escape Markdown so that data-supplied text in st.write / st.error shows as typed, never as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
