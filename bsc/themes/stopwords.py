"""Stop words for the language the comments are written in, told from the comments themselves.

English uses scikit-learn's list (``ENGLISH_STOP_WORDS``); German, French, Spanish and Dutch use
the short lists below: their most frequent function words, enough to keep "und", "le" or "de"
out of a theme's top words. :func:`comment_language` counts, for each language, how many of the
words in the comments are on its list; the language with the most wins when it covers at least
:data:`MIN_SHARE` of the words and clearly leads the next one, else English is assumed.
Nothing is downloaded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = ["LANGUAGES", "MIN_SHARE", "comment_language", "stop_words"]

_GERMAN = [
    "aber",
    "alle",
    "als",
    "also",
    "am",
    "an",
    "auch",
    "auf",
    "aus",
    "bei",
    "bin",
    "bis",
    "da",
    "damit",
    "dann",
    "das",
    "dass",
    "dem",
    "den",
    "der",
    "des",
    "die",
    "dies",
    "doch",
    "du",
    "ein",
    "eine",
    "einem",
    "einen",
    "einer",
    "es",
    "für",
    "hat",
    "hatte",
    "hier",
    "ich",
    "ihr",
    "im",
    "in",
    "ist",
    "ja",
    "kein",
    "keine",
    "mal",
    "man",
    "mehr",
    "mein",
    "mich",
    "mir",
    "mit",
    "nach",
    "nicht",
    "noch",
    "nur",
    "oder",
    "schon",
    "sehr",
    "sich",
    "sie",
    "sind",
    "so",
    "über",
    "um",
    "und",
    "uns",
    "von",
    "vor",
    "war",
    "was",
    "wie",
    "wir",
    "wird",
    "zu",
    "zum",
    "zur",
]
_FRENCH = [
    "a",
    "à",
    "au",
    "aux",
    "avec",
    "ce",
    "ces",
    "cette",
    "dans",
    "de",
    "des",
    "du",
    "elle",
    "en",
    "est",
    "et",
    "être",
    "il",
    "ils",
    "je",
    "la",
    "le",
    "les",
    "leur",
    "lui",
    "mais",
    "me",
    "mes",
    "moi",
    "mon",
    "ne",
    "nous",
    "on",
    "ou",
    "par",
    "pas",
    "pour",
    "qu",
    "que",
    "qui",
    "sa",
    "se",
    "ses",
    "si",
    "son",
    "sont",
    "sur",
    "ta",
    "te",
    "tes",
    "toi",
    "ton",
    "tu",
    "un",
    "une",
    "vos",
    "votre",
    "vous",
    "y",
    "été",
    "très",
    "plus",
    "bien",
    "fait",
]
_SPANISH = [
    "a",
    "al",
    "algo",
    "como",
    "con",
    "de",
    "del",
    "el",
    "ella",
    "en",
    "es",
    "esta",
    "este",
    "fue",
    "ha",
    "hay",
    "la",
    "las",
    "le",
    "les",
    "lo",
    "los",
    "me",
    "mi",
    "muy",
    "más",
    "no",
    "nos",
    "o",
    "para",
    "pero",
    "por",
    "que",
    "se",
    "sin",
    "sobre",
    "su",
    "sus",
    "te",
    "tu",
    "un",
    "una",
    "uno",
    "y",
    "ya",
    "yo",
    "está",
    "son",
    "todo",
]
_DUTCH = [
    "aan",
    "al",
    "als",
    "bij",
    "dan",
    "dat",
    "de",
    "die",
    "dit",
    "door",
    "een",
    "en",
    "er",
    "had",
    "heb",
    "het",
    "hij",
    "hoe",
    "ik",
    "in",
    "is",
    "je",
    "kan",
    "maar",
    "me",
    "met",
    "mijn",
    "na",
    "naar",
    "niet",
    "nog",
    "nu",
    "of",
    "om",
    "ons",
    "ook",
    "op",
    "over",
    "te",
    "tot",
    "u",
    "uit",
    "van",
    "voor",
    "was",
    "wat",
    "we",
    "wel",
    "zijn",
    "zo",
    "zou",
    "erg",
    "veel",
    "geen",
]

LANGUAGES: dict[str, frozenset[str]] = {
    "english": frozenset(ENGLISH_STOP_WORDS),
    "german": frozenset(_GERMAN),
    "french": frozenset(_FRENCH),
    "spanish": frozenset(_SPANISH),
    "dutch": frozenset(_DUTCH),
}
# The least share of words on a language's list for the comments to count as written in it.
MIN_SHARE = 0.15
# Words counted to tell the language: enough for a clear answer, bounded for speed.
_SAMPLE_WORDS = 50_000
_WORD = re.compile(r"\w+")


def comment_language(comments: Iterable[str]) -> str:
    """The language of ``comments`` among :data:`LANGUAGES`: the one whose stop words are most
    frequent, if they make up at least :data:`MIN_SHARE` of the words and 1.5 times the next
    language's share; otherwise ``"english"``."""
    words: Counter[str] = Counter()
    total = 0
    for comment in comments:
        found = _WORD.findall(str(comment).lower())
        words.update(found)
        total += len(found)
        if total >= _SAMPLE_WORDS:
            break
    if total == 0:
        return "english"
    shares = {
        language: sum(count for word, count in words.items() if word in stops) / total
        for language, stops in LANGUAGES.items()
    }
    ranked = sorted(shares, key=lambda language: -shares[language])
    best, runner_up = ranked[0], ranked[1]
    if shares[best] >= MIN_SHARE and shares[best] >= 1.5 * shares[runner_up]:
        return best
    return "english"


def stop_words(language: str) -> list[str]:
    """The stop words of ``language`` (a key of :data:`LANGUAGES`), sorted."""
    return sorted(LANGUAGES[language])
