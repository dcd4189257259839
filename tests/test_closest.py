"""The closest candidate to a word, found without scoring every candidate: the same as
difflib's, ties and all."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import closest
from policycheck.closest import Closest, Match

#: Few characters, so that words and candidates are alike, share characters in other orders
#: and tie on their scores; one of them outside ASCII, one outside the BMP.
TEXTS = st.text(alphabet="ab-1é𝔘", max_size=9)


@settings(max_examples=300, deadline=None)
@given(word=TEXTS, candidates=st.lists(TEXTS, max_size=30, unique=True),
       cutoff=st.sampled_from([0.0, 0.3, 0.6, 0.75, 1.0]))
def test_the_closest_is_difflibs(word: str, candidates: list[str], cutoff: float) -> None:
    ordered = sorted(candidates)
    closest = Closest(ordered)
    expected = difflib.get_close_matches(word, ordered, n=1, cutoff=cutoff)
    found = closest.match(word, cutoff)
    assert found is not None
    assert found.text == (expected[0] if expected else None)
    for candidate, bound in zip(ordered, closest.bounds(word).tolist(), strict=True):
        matcher = difflib.SequenceMatcher(None, candidate, word)
        assert bound == matcher.quick_ratio()


def test_only_candidates_that_could_be_closer_are_scored() -> None:
    ids = [f"p{i:06d}-{role}" for i in range(2000) for role in ("sales", "service")]
    closest = Closest(sorted(ids))
    # the ids with the digits 0, 0, 1, 2, 3, 4 in any order might score 24/26, and do not
    # share more: six scored of 4,000
    assert closest.match("p001234-salez", 0.6) == Match("p001234-sales", 6)
    assert closest.match("p001234-salez", 0.6, most=5) is None  # the closest is not certain
    assert closest.match("p001234-sales", 0.6, most=1) == Match("p001234-sales", 1)
    assert closest.match("P001234_SALES", 0.6) == Match(None, 0)  # no candidate near enough


def test_counts_dropped_past_the_bound_on_memory_give_the_same_match(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidates in many scripts: the counts kept across words are dropped when they pass
    the bound, and made again as words need them."""
    monkeypatch.setattr(closest, "KEPT_COUNTS", 1)
    monkeypatch.setattr(closest, "MIN_KEPT_CHARACTERS", 2)
    letters = "abcdefghijαβγδεζηθабвгдежз一二三四五六"
    candidates = sorted({letters[i:i + 6] for i in range(len(letters) - 5)})
    found = closest.Closest(candidates)
    for word in ["abcdex", "βγδεζx", "вгдеж", "三四五六", "fghijα", "zzzz"]:
        expected = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
        match = found.match(word, 0.6)
        assert match is not None and match.text == (expected[0] if expected else None)
    assert len(found._counts) <= 2  # the counts of the last word's last two characters


@pytest.mark.parametrize("word, hint, by_case", [
    ("CSAT", "; did you mean 'csat'?", True),
    ("First Contact Resolution", "; did you mean 'first_contact_resolution'?", True),
    ("Csatt", "; did you mean 'csat'?", False),
])
@pytest.mark.parametrize("budget", [0, 15_000])
def test_a_word_that_differs_only_in_case_or_spacing_is_matched_first(
        word: str, hint: str, by_case: bool, budget: int) -> None:
    """An export's 'CSAT' for the library's 'csat': difflib, which compares characters as
    they are, found nothing like it, and the hint said nothing. Past the budget, only such
    a match is made."""
    from policycheck.errors import Suggestions, did_you_mean

    kpis = ["csat", "fcr", "aht", "first_contact_resolution", "nps"]
    assert did_you_mean(word, kpis) == hint
    assert Suggestions(kpis, budget=budget)(word) == (hint if budget or by_case else "")
