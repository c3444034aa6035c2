"""Key drivers: which features move NPS, CSAT or churn, by how much, and how sure that is.

- :mod:`bsc.drivers.dominance`: general dominance analysis (the Shapley decomposition of
  :math:`R^2`, or of McFadden's pseudo-:math:`R^2`) over every subset of features, with the
  bootstrap, and the level a feature without effect reaches;
- :mod:`bsc.drivers.analysis`: :func:`key_drivers` on a table of rows and candidate features,
  per segment with :func:`drivers_by_segment`; its results :class:`DriverAnalysis` and
  :class:`Driver`;
- :mod:`bsc.drivers.sources`: :func:`driver_data`, the rows and candidate drivers a workspace's
  tables give for NPS, CSAT or churn.
"""

from bsc.drivers.analysis import (
    MAX_CUSTOMERS,
    MAX_FEATURES,
    MAX_ROWS,
    RESAMPLES,
    TARGETS,
    Driver,
    DriverAnalysis,
    Feature,
    drivers_by_segment,
    key_drivers,
)
from bsc.drivers.sources import DriverData, driver_data

__all__ = [
    "MAX_CUSTOMERS",
    "MAX_FEATURES",
    "MAX_ROWS",
    "RESAMPLES",
    "TARGETS",
    "Driver",
    "DriverAnalysis",
    "DriverData",
    "Feature",
    "driver_data",
    "drivers_by_segment",
    "key_drivers",
]
