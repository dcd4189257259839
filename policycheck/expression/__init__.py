"""The condition language of policycheck rules: parsed, checked, then evaluated column-wise.

A rule's condition is one expression over the fields of a scope (a plan, a component, ...)::

    role_kind in ['service', 'field_service']
        and share('speed') >= param.max_speed_share
        and not any_of(gates, kpi.pressure == 'customer')

- literals: numbers (`3`, `0.25`, `1e3`), percents (`50%` is 0.5), strings in single or double
  quotes (only the quote and the backslash can be escaped), `true`, `false`, `null`, and lists
  of number or string literals (`['a', 'b']`), which may only follow `in` / `not in`;
- names: `base_pay`, `kpi.category`: a dotted name is one qualified field name, not attribute
  access, and no part of a name may start with `_`; in a message placeholder, a name that is
  no field stands for the rule's evidence value of that name (`compile_expression(evidence=)`);
- operators, loosest first: `or`; `and`; `not`; `== != < <= > >= in not in` (never chained);
  `+ -`; `* /`; unary `-`; `**` (its exponent a number literal from -4 to 4); calls `f(x, y)`;
- types: number, bool, string, date, list (`;`-joined strings), null. `x == null` tests for a
  missing value; any other comparison with a missing value is false, `!=` included; arithmetic
  with a missing value, and division by zero, give a missing value;
- functions: `abs`, `min`, `max`, `coalesce`, `if`, `round`, `len`, `lower`, plus those the
  engine registers on the scope (aggregates over collections such as `any_of(gates, ...)`,
  whose second argument is an expression over the collection's rows).

The language only computes: no attribute access, subscripts, imports or arbitrary calls, and
its size is bounded (`Limits`). Everything wrong with an expression is an `ExpressionError`
raised by `compile_expression`, before anything is evaluated.
"""

from policycheck.expression.errors import ExpressionError
from policycheck.expression.evaluate import Compiled, Context, compile_expression
from policycheck.expression.syntax import Limits
from policycheck.expression.typesystem import Field, Function, Param, Scope, Type

__all__ = [
    "Compiled",
    "Context",
    "ExpressionError",
    "Field",
    "Function",
    "Limits",
    "Param",
    "Scope",
    "Type",
    "compile_expression",
]
