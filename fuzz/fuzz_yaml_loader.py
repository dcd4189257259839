"""Fuzz target: the YAML plan loader (decode, safe located load, reading plan documents).

Any bytes must end in data or reported problems (each with a location), never an
exception. Run: python fuzz/fuzz_yaml_loader.py fuzz/corpus/yaml_loader -max_total_time=600
"""

from __future__ import annotations

import sys

import _common  # noqa: F401
import atheris
import numpy  # noqa: F401  third-party modules are imported before the
import pandas  # noqa: F401  instrumented block, so only policycheck is instrumented
import pandera  # noqa: F401
import yaml  # noqa: F401

with atheris.instrument_imports(include=["policycheck"]):
    from policycheck.documents import attribute, read_document, recognise
    from policycheck.yamlsource import LocatedMap, decode, load_yaml



def test_one_input(data: bytes) -> None:
    problems: list = []
    text = decode(data, "plan.yaml", problems)
    if text is None:
        assert problems, "undecodable bytes without a problem"
        return
    loaded, found = load_yaml(text, "plan.yaml")
    problems += attribute(found, loaded, "plan.yaml")
    if isinstance(loaded, LocatedMap) and recognise(loaded):
        problems += read_document(loaded, "plan.yaml").problems
    for problem in problems:
        if problem.location.file != "plan.yaml":
            raise AssertionError(f"problem without its file: {problem}")
        str(problem)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
