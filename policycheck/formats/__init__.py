"""Output formats: each a pure function ``render(report) -> str``, listed in one dict."""

from __future__ import annotations

from collections.abc import Callable

from policycheck.formats import json_format, text_format
from policycheck.report import Report

FORMATS: dict[str, Callable[[Report], str]] = {
    "text": text_format.render,
    "json": json_format.render,
}
