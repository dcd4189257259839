"""The built-in KPI library and how an organisation's own catalog is laid over it.

The library ships inside the package (``policycheck/data/kpis.yaml``). An organisation
catalog adds KPIs and replaces library entries with the same id, whole (a partial
override would leave a KPI half of one definition and half of another).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from policycheck.documents import read_document
from policycheck.errors import InputError
from policycheck.yamlsource import LocatedMap, load_yaml

LIBRARY_NAME = "<built-in KPI library>"


@lru_cache(maxsize=1)
def library_text() -> str:
    return resources.files("policycheck").joinpath("data/kpis.yaml").read_text("utf-8")


def library_records() -> list[dict[str, Any]]:
    """Raw records of the built-in KPI library, as if read from a catalog file."""
    data, problems = load_yaml(library_text(), LIBRARY_NAME)
    if problems or not isinstance(data, LocatedMap):
        raise InputError("the built-in KPI library is damaged; reinstall policycheck",
                         problems)
    records = read_document(data, LIBRARY_NAME)
    if records.problems:
        raise InputError("the built-in KPI library is damaged; reinstall policycheck",
                         records.problems)
    return records.rows["kpis"]


def library_entries() -> list[dict[str, Any]]:
    """Plain dicts of the library, for listing without pandas (fast start-up)."""
    return [{k: v for k, v in r.items() if not k.startswith("src_")} for r in library_records()]
