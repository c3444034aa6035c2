"""Showing text that comes from data (column names, file names, segment values) literally."""

from __future__ import annotations

import re

# Every character Markdown, Streamlit's colour and icon directives (":red[...]"), its maths ("$...$")
# or HTML entities ("&lt;") could read as markup; a backslash makes each one a plain character.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# GitHub-flavoured Markdown turns "www.x", "http://x" and "a@b.c" into links after escapes are
# resolved, so escaping cannot stop it: an invisible word joiner (U+2060) inside each pattern does.
_AUTOLINK = re.compile(r"(?i)(www)(?=\\\.)|(?<=[a-z])(\\:)(?=//)|(@)")
WORD_JOINER = "\u2060"


def literal(text: object) -> str:
    """Escape Markdown so that data-supplied text in st.write / st.error shows as typed, never as markup.

    Web addresses and e-mail addresses in the text never become links: a word joiner (an
    invisible character) is put after "www", after the colon of "http://" and after "@".
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return _AUTOLINK.sub(lambda match: match.group(0) + WORD_JOINER, escaped)
