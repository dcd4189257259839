"""Fuzz target: the rule expression language (parse, check, evaluate).

Any input must end in a compiled expression or an ExpressionError; a compiled one is then
evaluated over the sample company's plans and must give one value per row, never raise.
Run: python fuzz/fuzz_expression.py fuzz/corpus/expression -max_total_time=600
"""

from __future__ import annotations

import sys

import _common
import atheris
import numpy  # noqa: F401  third-party modules are imported before the
import pandas  # noqa: F401  instrumented block, so only policycheck is instrumented
import pandera  # noqa: F401
import yaml  # noqa: F401

with atheris.instrument_imports(include=["policycheck"]):
    from policycheck.expression import ExpressionError, compile_expression
    from policycheck.ruleset import Parameter  # noqa: F401
    from policycheck.scopes import Frames, RowContext, build_scopes
    from policycheck.validation import load_model

PARAMS: dict = {}
SCOPES = build_scopes(PARAMS)
MODEL = load_model([str(_common.ROOT / "sample_data" / "yaml")])
FRAMES = Frames(MODEL.frames)
SCOPE_NAMES = sorted(SCOPES)


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    scope = SCOPE_NAMES[fdp.ConsumeIntInRange(0, len(SCOPE_NAMES) - 1)]
    source = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    try:
        compiled = compile_expression(source, scope, SCOPES)
    except ExpressionError as exc:
        exc.caret(source)  # rendering the error must not fail either
        return
    ctx = RowContext(FRAMES, scope, {})
    values = compiled.evaluate(ctx)
    if len(values) != ctx.size:
        raise AssertionError(f"{len(values)} values for {ctx.size} rows: {source!r}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
