"""What a long run tells its progress bar: ``progress(stage, total)`` when a stage starts
(``total``: its number of steps, or None), ``progress("", None)`` after each step. The CLI
draws it (``cli.options.progress``); the library's callers may pass their own, or none."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

Progress: TypeAlias = Callable[[str, int | None], None]


def silent(stage: str, total: int | None) -> None:
    """Progress told to no one: what a run without a progress bar calls."""
