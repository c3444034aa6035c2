"""Customer Scorecard: the customer perspective of the Balanced Scorecard, computed from raw data."""

from bsc.memory import arrow_uses_system_allocator

__version__ = "0.1.0"

# Before anything imports pyarrow: its default allocator costs this project's work more kernel
# time than the work itself (see the function).
arrow_uses_system_allocator()
