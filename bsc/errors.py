"""The one exception type for bad input, with a message a workshop facilitator can read."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: an unreadable file, a mapping that cannot work, a value out of range.

    The message is written for the person who supplied the input, not for a developer.
    The UI shows it with ``st.error``; the CLI prints it on stderr and exits with status 2.
    """
