"""Output formats: each a pure function ``render(report) -> str`` (or bytes for binary
formats), listed in one dict. Adding a format is one module and one line here."""

from __future__ import annotations

from collections.abc import Callable

from policycheck.formats import (
    csv_format,
    github,
    json_format,
    junit,
    markdown,
    sarif,
    text_format,
    xlsx_format,
)
from policycheck.report import Report

FORMATS: dict[str, Callable[[Report], str | bytes]] = {
    "text": text_format.render,
    "json": json_format.render,
    "csv": csv_format.render,
    "xlsx": xlsx_format.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
    "markdown": markdown.render,
}
#: Formats whose output leaves the company (code scanning, PR comments): pay redacted.
REDACT_BY_DEFAULT: frozenset[str] = frozenset({"sarif", "github", "markdown"})


def render(report: Report, fmt: str, redact: bool | None = None) -> str | bytes:
    """Render ``report`` in ``fmt``; ``redact`` None means the format's default."""
    if redact is None:
        redact = fmt in REDACT_BY_DEFAULT
    if redact:
        from policycheck.formats.redact import redact as redacted

        report = redacted(report)
    return FORMATS[fmt](report)
