"""Themes in customers' free-text comments.

- :mod:`bsc.themes.stopwords`: the comments' language and its stop words (nothing downloaded);
- :mod:`bsc.themes.analysis`: :func:`find_themes`, TF-IDF and NMF over the comments, each theme's
  share, recent change, NPS effect and examples (:class:`ThemeAnalysis`, :class:`Theme`);
- :mod:`bsc.themes.labels`: the names a workshop gives its themes, kept per workspace.
"""

from bsc.themes.analysis import (
    DEFAULT_THEMES,
    MAX_THEMES,
    Theme,
    ThemeAnalysis,
    comments_frame,
    find_themes,
    theme_key,
)
from bsc.themes.stopwords import comment_language, stop_words

__all__ = [
    "DEFAULT_THEMES",
    "MAX_THEMES",
    "Theme",
    "ThemeAnalysis",
    "comment_language",
    "comments_frame",
    "find_themes",
    "stop_words",
    "theme_key",
]
