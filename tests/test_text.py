"""ui.text.literal: data-supplied text shows as typed, never as markup or a link."""

from __future__ import annotations

import pytest

from ui.text import WORD_JOINER, literal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("www.example.test", f"www{WORD_JOINER}\\.example\\.test"),
        ("see http://x.test/a", f"see http\\:{WORD_JOINER}//x\\.test/a"),
        ("a@b.test", f"a@{WORD_JOINER}b\\.test"),
        ("**bold** :red[x]", "\\*\\*bold\\*\\* \\:red\\[x\\]"),
        ("plain words", "plain words"),
    ],
)
def test_literal_escapes_markup_and_breaks_addresses(text, expected):
    assert literal(text) == expected
