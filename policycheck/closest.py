"""The closest of many candidates to a word, exactly as ``difflib.get_close_matches(word,
candidates, n=1)`` finds it, without comparing the word with every candidate.

difflib scores a pair by its ``ratio``: twice the characters of their matching blocks over
their total length, about 30 µs for two ids alike ("p000123-sales"); ``get_close_matches``
tries cheaper bounds on each candidate first, and still takes about a second for a word
against 100,000 plans. The characters the two share, counted without regard
to order, bound that score from above (difflib's ``quick_ratio``), and that bound is worked
out for every candidate at once, from a count of each of the word's characters in each
candidate (kept across words: the ids of one organisation use few characters). Candidates
are then scored in order of their bound, highest first, until the bound falls below the
best score found: none of the rest can beat it. Ties go where difflib sends them, to the
greater text.
"""

from __future__ import annotations

import collections
import difflib
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Counts kept across words, at most (4 bytes each, one per candidate and character: 64 MB);
#: past it the counts kept are dropped (candidates in many scripts), at least
#: ``MIN_KEPT_CHARACTERS`` characters' worth kept.
KEPT_COUNTS = 16_000_000
MIN_KEPT_CHARACTERS = 16


class Match(NamedTuple):
    """The closest candidate (None: none scores at least the cutoff) and the candidates
    difflib scored to find it."""

    text: str | None
    scored: int


class Closest:
    """``difflib.get_close_matches(word, candidates, n=1, cutoff)`` for many words against
    one list of candidates (distinct texts)."""

    def __init__(self, candidates: list[str]) -> None:
        self._candidates = candidates
        self._array = pa.array(candidates, type=pa.large_string())
        self._lengths = pc.utf8_length(self._array).to_numpy().astype(np.int64)
        self._counts: dict[str, np.ndarray] = {}
        self._kept = max(MIN_KEPT_CHARACTERS, KEPT_COUNTS // max(len(candidates), 1))

    def _count(self, char: str) -> np.ndarray:
        """How many times ``char`` is in each candidate."""
        counts = self._counts.get(char)
        if counts is None:
            if len(self._counts) >= self._kept:
                self._counts.clear()
            counts = pc.count_substring(self._array, char).to_numpy().astype(np.int32)
            self._counts[char] = counts
        return counts

    def bounds(self, word: str) -> np.ndarray:
        """difflib's ``quick_ratio`` of ``word`` with each candidate, as difflib works it
        out (twice the shared characters over the total length; 1.0 for two empty texts)."""
        shared = np.zeros(len(self._candidates), dtype=np.int64)
        for char, times in collections.Counter(word).items():
            shared += np.minimum(self._count(char), times)
        total = self._lengths + len(word)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, 2.0 * shared / total, 1.0)

    def match(self, word: str, cutoff: float, most: int | None = None) -> Match | None:
        """The candidate closest to ``word``, scoring at most ``most`` candidates with
        difflib (None if that is not enough to be sure of the closest)."""
        bound = self.bounds(word)
        within = np.flatnonzero(bound >= cutoff)
        order = within[np.argsort(-bound[within], kind="stable")]
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        best: tuple[float, str] | None = None
        scored = 0
        for index, ceiling in zip(order.tolist(), bound[order].tolist(), strict=True):
            if best is not None and (ceiling < best[0] or best[0] == 1.0):
                break  # 1.0: the word itself, which no other candidate can equal
            if most is not None and scored >= most:
                return None
            candidate = self._candidates[index]
            matcher.set_seq1(candidate)
            scored += 1
            score = matcher.ratio()
            if score >= cutoff and (best is None or (score, candidate) > best):
                best = (score, candidate)
        return Match(None if best is None else best[1], scored)
