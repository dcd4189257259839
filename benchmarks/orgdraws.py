"""The seeded draws of a synthetic organisation (benchmarks/generate.py): each plan's role
kind, red flags and size, then its components (KPIs, weights summing to 100 %, basis,
period, cap, curve, points, rates, targets), as arrays, plus the small draw helpers the
table builders of benchmarks/orgtables.py share.

The order of the draws is part of the output: the same seed gives the same files only while
every draw is made in the same order, so reorder nothing here without regenerating.
"""

from __future__ import annotations

import numpy as np

from benchmarks.orgroles import (
    BALANCED_SHARE,
    CATEGORY,
    COMPONENT_SLUG,
    CURVE_POINTS,
    EFFECTIVE,
    IS_CUSTOMER,
    IS_RATE_KPI,
    IS_VOLUME,
    KINDS,
    KPI_IDS,
    KPI_INDEX,
    LOGP,
    MAX_COMPONENTS,
    NEUTRAL_RATES,
    RISKY,
    ROLES,
    SHARES,
    TARGET_TEXT,
    THRESHOLD_TEXT,
)


def flatten(lists: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One list per role kind as one flat array, with each kind's start and length (for
    ``pick``)."""
    flat = np.array([item for items in lists for item in items], dtype=object)
    lengths = np.array([len(items) for items in lists])
    return flat, np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths


def pick(rng: np.random.Generator, kind: np.ndarray,
         table: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """One item per row from the role kind's list (uniformly)."""
    flat, start, length = table
    return flat[start[kind] + (rng.random(len(kind)) * length[kind]).astype(np.int64)]


def choose(rng: np.random.Generator, n: int, values: tuple, p: tuple) -> np.ndarray:
    """``n`` values drawn with probabilities ``p``."""
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=np.asarray(p))]


def _by_kind(kind: np.ndarray, **probs: float) -> np.ndarray:
    """A per-row probability from per-kind values (``default`` for kinds not named)."""
    default = probs.pop("default", 0.0)
    table = np.array([probs.get(k, default) for k in KINDS])
    return table[kind]


def draw_plans(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Per plan: role kind, balanced or red, id, title, signature KPI, red flags, the
    vulnerable-customer mark, gate mode, number of components and effective dates."""
    kind = rng.choice(len(ROLES), size=n, p=SHARES)
    red = rng.random(n) >= BALANCED_SHARE
    width = max(6, len(str(n)))
    number = np.char.zfill(np.arange(1, n + 1).astype(str), width).astype(object)
    slug = np.array([k.replace("_", "-") for k in KINDS], dtype=object)[kind]
    p: dict[str, np.ndarray] = {"kind": kind, "red": red, "id": "p" + number + "-" + slug,
                                "number": number}
    p["title"] = pick(rng, kind, flatten([r.titles for r in ROLES]))
    p["signature"] = np.array([KPI_INDEX[k] for k in pick(
        rng, kind, flatten([r.signatures for r in ROLES]))])
    sales_like = dict(sales=0.45, collections=0.45, advice=0.4, field_service=0.4,
                      manager=0.4, retention=0.4, default=0.3)
    flags = {
        "uncapped": _by_kind(kind, **sales_like),
        "accel": _by_kind(kind, sales=0.35, collections=0.35, advice=0.3, default=0.08),
        "retro": _by_kind(kind, advice=0.25, sales=0.1, default=0.03),
        "cliff": _by_kind(kind, retention=0.4, sales=0.1, default=0.05),
        "var100": _by_kind(kind, sales=0.2, advice=0.15, collections=0.15),
        "short": _by_kind(kind, sales=0.35, collections=0.35, service=0.15,
                          field_service=0.2, default=0.1),
        "contest": _by_kind(kind, sales=0.35, collections=0.3, manager=0.3, service=0.15,
                            retention=0.15, field_service=0.1, default=0.05),
        "campaign": _by_kind(kind, sales=0.3, advice=0.15, retention=0.1, default=0.03),
        "consequence": _by_kind(kind, default=0.45),
        "clawback": _by_kind(kind, default=0.15),
        "rates": _by_kind(kind, retention=0.5, sales=0.4, advice=0.25),
        "discretion": _by_kind(kind, manager=0.4, default=0.15),
    }
    for name, prob in flags.items():
        p[name] = red & (rng.random(n) < prob)
    p["vulnerable"] = rng.random(n) < _by_kind(kind, collections=0.5, claims=0.2, service=0.1,
                                                retention=0.1, default=0.03)
    # Red plans: no gate, a partial (one minor component, reduce only) gate, or a gate on an
    # agent-triggered survey. Balanced plans always gate every component on a customer KPI.
    p["gate_mode"] = np.where(red, rng.choice(3, size=n, p=[0.55, 0.3, 0.15]), 3)
    k_red = rng.choice(np.arange(2, 9), size=n, p=[0.04, 0.08, 0.14, 0.2, 0.2, 0.18, 0.16])
    k_bal = rng.choice(np.arange(3, 7), size=n, p=[0.1, 0.3, 0.35, 0.25])
    p["k"] = np.where(red, k_red, k_bal)
    p["effective"] = rng.choice(len(EFFECTIVE), size=n, p=[0.7, 0.15, 0.08, 0.07])
    return p


def draw_components(rng: np.random.Generator, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Padded (plan, slot) matrices, then the flat component rows."""
    n, kind, red, k = len(p["kind"]), p["kind"], p["red"], p["k"]
    rows = np.arange(n)
    # Weighted draw without replacement (Gumbel top-k); a red plan's signature KPI comes first.
    keys = LOGP[kind, red.astype(int)] + rng.gumbel(size=(n, len(KPI_IDS)))
    keys[rows[red], p["signature"][red]] = np.inf
    kpi = np.argsort(-keys, axis=1, kind="stable")[:, :MAX_COMPONENTS]
    # Balanced plans draw customer KPIs only, and 40 % of those not serving vulnerable
    # customers add one moderate KPI (team sales, adherence, a profit share ...) in their
    # last slot, at a small weight. (Advisers get no sales KPI: they diagnose what to sell.)
    moderate = np.flatnonzero(~red & ~p["vulnerable"] & (rng.random(n) < 0.4))
    kpi[moderate, k[moderate] - 1] = [KPI_INDEX[name] for name in pick(
        rng, kind[moderate], flatten([r.moderate for r in ROLES]))]
    mask = np.arange(MAX_COMPONENTS) < k[:, None]
    # Raw weights; a red plan's signature takes 35-75 % of the pay, a balanced plan's
    # moderate KPI at most about a quarter.
    raw = rng.gamma(3.0, 1.0, size=(n, MAX_COMPONENTS)) * mask
    soft = ~red[:, None] & RISKY[kind[:, None], kpi] & mask
    rest = (raw * ~soft).sum(axis=1, keepdims=True)
    raw = np.where(soft, np.minimum(raw * 0.3, 0.3 * rest), raw)
    share = rng.uniform(0.35, 0.75, size=n)
    others = raw[:, 1:].sum(axis=1)
    raw[:, 0] = np.where(red, share / (1 - share) * others, raw[:, 0])
    units = np.where(rng.random(n) < 0.7, 20, 100)  # 5 % steps mostly, 1 % steps otherwise
    weight = _whole_units(raw, mask, units) * (100 // units)[:, None]
    assert (weight.sum(axis=1) == 100).all()
    flat = mask.ravel()
    c: dict[str, np.ndarray] = {
        "plan": np.repeat(rows, k), "slot": np.tile(np.arange(MAX_COMPONENTS), n)[flat],
        "kpi": kpi.ravel()[flat], "weight": weight.ravel()[flat],
        "matrix_kpi": kpi, "k": k,
    }
    c["plan_id"] = p["id"][c["plan"]]
    c["id"] = COMPONENT_SLUG[c["kpi"]]
    _component_fields(rng, p, c)
    return c


def _whole_units(raw: np.ndarray, mask: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of each row to ``units`` whole units, at least one each."""
    k = mask.sum(axis=1)
    scaled = raw / raw.sum(axis=1, keepdims=True) * (units - k)[:, None]
    base = np.floor(scaled).astype(np.int64) + mask
    deficit = units - base.sum(axis=1)
    fraction = np.where(mask, scaled - np.floor(scaled), -1.0)
    order = np.argsort(-fraction, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(raw.shape[1])[None, :].repeat(len(raw), 0), axis=1)
    return base + (rank < deficit[:, None]) * mask


def _component_fields(rng: np.random.Generator, p: dict[str, np.ndarray],
                      c: dict[str, np.ndarray]) -> None:
    m = len(c["kpi"])
    plan, kpi = c["plan"], c["kpi"]
    red, kind = p["red"][plan], p["kind"][plan]
    volume = IS_VOLUME[kpi]
    manager = kind == KINDS.index("manager")
    kpi_name = np.asarray(KPI_IDS, dtype=object)[kpi]
    # basis
    basis = np.full(m, "individual", dtype=object)
    u = rng.random(m)
    basis[(u < 0.12) | (IS_CUSTOMER[kpi] & (u < 0.25))] = "team"
    basis[manager] = choose(rng, int(manager.sum()), ("team", "branch", "individual"),
                            (0.6, 0.3, 0.1))
    basis[kpi_name == "company_profit"] = "company"
    basis[kpi_name == "branch_profit"] = "branch"
    # period
    period = choose(rng, m, ("month", "quarter", "week"), (0.65, 0.27, 0.08))
    period[~red & (period == "week")] = "month"
    short = p["short"][plan] & volume
    period[short] = choose(rng, int(short.sum()), ("day", "week"), (0.4, 0.6))
    period[CATEGORY[kpi] == "company_financial"] = "year"
    # cap
    cap = choose(rng, m, (None, "1.5", "2", "3"), (0.15, 0.4, 0.35, 0.1))
    cap[~red] = choose(rng, int((~red).sum()), ("1.5", "2"), (0.5, 0.5))
    cap[red & volume & p["uncapped"][plan]] = None
    # curve: accelerating or retroactive volume pay, cliffs, else mostly linear
    curve = np.where(red, choose(rng, m, ("linear", "stepped", "decelerating", "accelerating"),
                                 (0.7, 0.12, 0.08, 0.1)),
                     choose(rng, m, ("linear", "decelerating", "stepped"), (0.75, 0.2, 0.05)))
    curve = curve.astype(object)
    curve[red & ~volume & (curve == "accelerating")] = "linear"
    # A balanced plan keeps steps off its few speed, cost or sales components (no cliffs).
    curve[~red & RISKY[kind, kpi] & (curve == "stepped")] = "linear"
    curve[volume & p["accel"][plan]] = "accelerating"
    first = c["slot"] == 0
    cliff = first & p["cliff"][plan]
    curve[cliff] = "stepped"
    curve[first & p["retro"][plan]] = "retroactive"
    # curve points (~16 % of components): many non-linear curves spell out their shape
    points = np.full(m, None, dtype=object)
    u = rng.random(m)
    v = rng.random(m)
    for name, prob in (("linear", 0.03), ("stepped", 0.6), ("decelerating", 0.35),
                       ("accelerating", 0.5), ("retroactive", 0.5)):
        templates = CURVE_POINTS[name]
        chosen = (curve == name) & (u < prob)
        if name == "stepped":
            set_templates(points, chosen & cliff, CURVE_POINTS["cliff"], v)
            chosen &= ~cliff
        set_templates(points, chosen, templates, v)
    # per-product rates: differential on red sales plans, product-neutral on a few balanced
    rates = np.full(m, None, dtype=object)
    eligible = IS_RATE_KPI[kpi]
    differential = eligible & p["rates"][plan]
    rate_table = flatten([r.rates or ("",) for r in ROLES])
    rates[differential] = pick(rng, kind[differential], rate_table)
    neutral = eligible & ~red & (rng.random(m) < 0.1)
    rates[neutral] = NEUTRAL_RATES
    rates[rates == ""] = None
    # targets and thresholds from the KPI's own scale
    choice = rng.integers(0, 3, size=m)
    target = TARGET_TEXT[kpi, choice]
    threshold = np.where(rng.random(m) < 0.2, None, THRESHOLD_TEXT[kpi, choice])
    c.update(basis=basis, period=period, cap=cap, curve=curve, points=points, rates=rates,
             target=target, threshold=threshold)


def set_templates(out: np.ndarray, mask: np.ndarray, templates: tuple[str, ...],
                  u: np.ndarray) -> None:
    out[mask] = np.asarray(templates, dtype=object)[(u[mask] * len(templates)).astype(int)]
