"""Themes in simulated comments with planted themes: each is found, its NPS effect has the planted sign."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc.errors import InputError
from bsc.themes import comment_language, find_themes, stop_words, theme_key

# Planted themes: words that mark them, and the shift of the 0–10 score of those who write them.
PLANTED = {
    "delivery": (["delivery", "late", "parcel", "tracking", "courier"], -2.0),
    "price": (["price", "expensive", "cost", "cheaper", "discount"], 0.0),
    "staff": (["staff", "friendly", "helpful", "kind", "polite"], +1.5),
}
FILLERS = ["the", "was", "very", "my", "and", "again", "really", "a", "bit", "is"]


def comments(seed: int, rows: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = list(PLANTED)
    theme = rng.integers(0, len(names) + 1, rows)  # len(names): no comment
    texts, scores = [], []
    for t in theme:
        base = 7 + rng.normal()
        if t == len(names):
            texts.append(None)
            scores.append(base)
            continue
        words, shift = PLANTED[names[t]]
        chosen = list(rng.choice(words, 3, replace=False)) + list(rng.choice(FILLERS, 3))
        rng.shuffle(chosen)
        texts.append(" ".join(chosen).capitalize())
        scores.append(base + shift)
    dates = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")
    return pd.DataFrame({"comment": texts, "nps": np.clip(np.rint(scores), 0, 10), "date": dates})


def _found(analysis, words: list[str]):
    """The theme whose top three words are all planted words of one theme."""
    return [t for t in analysis.themes if set(t.top_words[:3]) <= set(words)]


class TestPlantedThemes:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_each_theme_found_with_its_sign(self, seed: int) -> None:
        analysis = find_themes(comments(seed), themes=3)
        assert analysis.language == "english"
        for words, shift in PLANTED.values():
            found = _found(analysis, words)
            assert len(found) == 1, [t.top_words for t in analysis.themes]
            theme = found[0]
            assert 0.25 < theme.share < 0.42
            if shift < 0:
                assert theme.ci_high < 0
            elif shift > 0:
                assert theme.ci_low > 0
            assert all(isinstance(example, str) for example in theme.examples)

    def test_nps_effect_is_writers_minus_everyone_else(self) -> None:
        frame = comments(4)
        analysis = find_themes(frame, themes=3)
        theme = _found(analysis, PLANTED["staff"][0])[0]
        # Independently: members are the comments holding a staff word.
        writes = frame["comment"].fillna("").str.contains("|".join(PLANTED["staff"][0]), case=False)
        expected = frame.loc[writes, "nps"].mean() - frame.loc[~writes, "nps"].mean()
        assert theme.nps_effect == pytest.approx(expected, abs=1e-9)

    def test_trend_and_change(self) -> None:
        frame = comments(5)
        # Plant a rise: the last three months carry each of their delivery comments twice more.
        late = frame["date"] >= "2025-10-01"
        about = frame["comment"].fillna("").str.contains("|".join(PLANTED["delivery"][0]), case=False)
        extra = frame[late & about]
        analysis = find_themes(pd.concat([frame, extra, extra], ignore_index=True), themes=3)
        delivery = _found(analysis, PLANTED["delivery"][0])[0]
        assert analysis.after_periods == "2025-10 to 2025-12"
        assert delivery.change_real and delivery.share_after > delivery.share_before
        assert set(analysis.trend["key"]) == {t.key for t in analysis.themes}

    def test_same_seed_same_themes(self) -> None:
        first, second = find_themes(comments(6), themes=3), find_themes(comments(6), themes=3)
        assert [t.key for t in first.themes] == [t.key for t in second.themes]


class TestLanguage:
    def test_german_told_apart(self) -> None:
        german = ["Die Lieferung war leider sehr spät und ich bin nicht zufrieden"] * 5
        assert comment_language(german) == "german"
        assert "und" in stop_words("german")
        assert comment_language(["Great service, thank you"]) == "english"
        assert comment_language([]) == "english"

    def test_theme_key_sorted(self) -> None:
        assert theme_key(("late", "delivery", "parcel", "x")) == "delivery|late|parcel"


class TestBadInput:
    @pytest.mark.parametrize(
        ("frame", "themes", "message"),
        [
            (pd.DataFrame({"nps": [1]}), None, "no comment column"),
            (pd.DataFrame({"comment": ["a b"] * 5}), None, "at least 30"),
            (comments(1), 1, "from 2 to 20"),
            (comments(1), True, "from 2 to 20"),
            (pd.DataFrame({"comment": ["the the"] * 40}), 3, "too few distinct words"),
        ],
        ids=["no-column", "few", "one-theme", "bool", "stop-words-only"],
    )
    def test_refused(self, frame: pd.DataFrame, themes, message: str) -> None:
        with pytest.raises(InputError, match=message):
            find_themes(frame, themes=themes)
