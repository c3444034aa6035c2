"""Tile and What-changed lines as pure functions (no page run)."""

from __future__ import annotations

from bsc.insights import Shift
from ui.tiles import shift_line


def _shift(attribute: str | None, segment: str | None) -> Shift:
    return Shift("churn_rate", attribute, segment, 30.0, 42.0, "2025-05 to 2026-01", "2026-02 to 2026-10",
                 3.1, 0.002, 0.25, False)  # fmt: skip


def test_a_shift_names_its_segment_as_the_users_file_does():
    line = shift_line(_shift("contract", "Month-to-month"), {"contract": "Contract"})
    assert "Contract Month\\-to\\-month" in line  # the segment value is escaped for Markdown
    assert "30% → 42%" in line and "(worse)" in line


def test_without_labels_the_attribute_is_written_in_words():
    assert "Acquisition channel Social" in shift_line(_shift("acquisition_channel", "Social"))
    assert "all customers" in shift_line(_shift(None, None))
