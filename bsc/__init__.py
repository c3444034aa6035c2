"""Customer Scorecard: the customer perspective of the Balanced Scorecard, computed from raw data."""

__version__ = "0.1.0"
