"""Customer segments: k-means on per-customer features, and RFM quintile scoring.

Two ways to put customers into segments, both ending in one segment name per customer that
can be saved as a segment attribute of the workspace (see :meth:`bsc.store.Store.save_segmentation`):

- :class:`CustomerSegmentation`, a scikit-learn style estimator: missing values imputed with the
  feature's median (and counted), skewed money and counts through a signed ``log1p``, then
  standard or robust scaling, all in a :class:`~sklearn.compose.ColumnTransformer`; then
  k-means (:class:`~sklearn.cluster.KMeans`, or :class:`~sklearn.cluster.MiniBatchKMeans` for
  very large tables). The number of segments is given or chosen among 2–10 by the silhouette
  (on a sample) beside the inertia elbow; stability is the adjusted Rand index between the
  segments and refits with other seeds.
- RFM scoring (:func:`rfm_breaks`, :func:`rfm_scores`, :func:`name_rfm_segments`): recency,
  frequency and monetary value scored 1–5 between editable breaks (quintiles by default),
  mapped to named segments through an editable table (:func:`default_rfm_segments`).

Both describe segments the same way (:func:`segment_profiles`): size, the mean of each feature
and its z-score against all customers, and names suggested from that profile
(:func:`suggest_names`).

The package holds one idea per module:

- :mod:`bsc.segmentation.preparation`: the default features, their transforms and scaling;
- :mod:`bsc.segmentation.kmeans`: :class:`CustomerSegmentation`, the k-means estimator;
- :mod:`bsc.segmentation.number_of_segments`: the sample silhouette, the inertia elbow and the
  choice of k with its reason;
- :mod:`bsc.segmentation.profiles`: segment sizes, means, z-scores and suggested names;
- :mod:`bsc.segmentation.rfm`: RFM breaks, scores and the segment table;
- :mod:`bsc.segmentation.kpis_by_segment`: the scorecard's customer KPIs per unsaved segment.
"""

from bsc.segmentation.kmeans import CustomerSegmentation, Projection
from bsc.segmentation.kpis_by_segment import SEGMENT_KPIS, SegmentKpis, segment_kpis
from bsc.segmentation.number_of_segments import SampleSilhouette
from bsc.segmentation.preparation import (
    DEFAULT_FEATURES,
    SCALINGS,
    TRANSFORMS,
    default_transforms,
    signed_log1p,
)
from bsc.segmentation.profiles import Profiles, segment_profiles, suggest_names
from bsc.segmentation.rfm import (
    RFM_SEGMENT_COLUMNS,
    RfmBreaks,
    default_rfm_segments,
    name_rfm_segments,
    rfm_breaks,
    rfm_scores,
)

__all__ = [
    "DEFAULT_FEATURES",
    "RFM_SEGMENT_COLUMNS",
    "SCALINGS",
    "SEGMENT_KPIS",
    "TRANSFORMS",
    "CustomerSegmentation",
    "Profiles",
    "Projection",
    "RfmBreaks",
    "SampleSilhouette",
    "SegmentKpis",
    "default_rfm_segments",
    "default_transforms",
    "name_rfm_segments",
    "rfm_breaks",
    "rfm_scores",
    "segment_kpis",
    "segment_profiles",
    "signed_log1p",
    "suggest_names",
]
