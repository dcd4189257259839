"""What a long run tells its progress bar:

- ``progress(stage, total)`` when a stage starts: ``stage`` is its name (never empty),
  ``total`` its number of steps, or None when that is not known;
- ``progress("", None)`` after one step of the current stage;
- ``progress("", n)`` after ``n`` steps at once (a chunk of files read together, the files
  answered from the cache); ``n`` may be 0.

The steps told after a stage with a total add up to it. The stages ``pipeline.check`` tells,
and what a step of each is, are listed in its docstring. The CLI draws them
(``cli.options.progress``); the library's callers may pass their own, or none: then
nothing is counted (``load_model`` reads the files as it would without a bar).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

Progress: TypeAlias = Callable[[str, int | None], None]


def silent(stage: str, total: int | None) -> None:
    """Progress told to no one: what a run without a progress bar calls."""
