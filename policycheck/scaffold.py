"""``policycheck init``: a config, a waivers file, a sample plan and a CI workflow.

The templates are string constants: nothing to ship as package data. An existing file is
never overwritten unless ``force`` is given; the caller says which were skipped.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from policycheck.cache import DEFAULT_DIR
from policycheck.outputfiles import atomic_write
from policycheck.worktree import work_tree_root

CONFIG = """\
# policycheck configuration, found from the current folder upward (up to the repository root).
# Precedence: command-line flags > POLICYCHECK_* environment variables > this file > defaults.
# Paths are relative to this file. `policycheck config` shows the effective settings and
# where each one came from.

rules:
  extends: [default]          # rule packs: 'default' is the built-in pack; add your own folders

# select: [cs, weight]        # run only these rules (ids or id prefixes)
# ignore: [contest.campaign]  # skip these rules
# severity:                   # the severity of every finding of a rule
#   weight.single-kpi: low
# params:                     # tune a rule (`policycheck rules explain ID` lists its parameters)
#   cs.handle-time:
#     handle_time_kpis: [aht, talk_time]

fail_on: high                 # exit 1 on an open finding at or above this severity
waivers: waivers.yaml         # findings accepted for a time, with an owner and an expiry date
warn_expiring: 14             # warn about waivers that expire within this many days
waiver_max_days: 365          # a waiver expiring later than this from today is an error
# baseline: policycheck-baseline.json  # only findings not in it fail; write it once with
#                                      # policycheck check plans/ --write-baseline FILE
# outputs: [sarif:policycheck.sarif]   # reports written on every run, FORMAT:FILE
# encoding: cp1252            # input files that are not UTF-8 (Excel's CSV on Windows)
"""

WAIVERS = """\
# Waivers: findings accepted for a time. A waived finding is still reported, marked
# "waived"; the day after `expires` it counts again ("reopened") and fails the check.
# Waivers that match nothing, expired ones and ones about to expire are reported.
waivers: []
#  - rule: weight.single-kpi           # a rule id, or an id prefix such as 'cs'
#    plan: cc-*                        # a plan id, or a glob
#    entity: first-contact-resolution  # optional: one component (or gate, ...) only
#    reason: Pilot runs to June; the plan is redesigned for the second half
#    owner: comp-team@example.com
#    approved_by: head-of-reward@example.com
#    expires: 2027-06-30
"""

EXAMPLE_PLAN = """\
# A sample plan: paid on customer-reported resolution, repeat contacts and independent
# quality checks, with a quality gate. `policycheck check plans/` finds nothing to fail.
plan:
  id: example-contact-centre-2027
  name: Contact centre agent incentive 2027
  role: Contact centre agent
  role_kind: service
  customer_facing: true
  headcount: 40
  currency: EUR
  base_pay: 28500
  target_variable: 2850
  max_variable: 4275
  effective_from: 2027-01-01
  effective_to: 2027-12-31
  owner: comp-team@example.com
  duties: [resolve_issue]
  components:
    - id: first-contact-resolution
      kpi: fcr
      weight: 40%
      basis: individual
      period: quarter
      target: 78
      threshold: 65
      cap: 1.5
      curve: linear
    - id: repeat-contacts
      kpi: repeat_contact
      weight: 35%
      basis: individual
      period: quarter
      target: 8
      threshold: 14
      cap: 1.5
      curve: linear
    - id: call-quality
      kpi: qa_score
      weight: 25%
      basis: individual
      period: quarter
      target: 90
      threshold: 75
      cap: 1.5
      curve: linear
  gates:
    - id: qa-floor
      kpi: qa_score
      min: 80
      applies_to: all
      effect: zero
  discretion: {exists: false, documented_criteria: false}
"""

WORKFLOW = """\
# policycheck on every pull request that touches the plans: findings as code-scanning
# alerts, the check fails on new findings, and the change in incentive mix in the summary.
name: policycheck
on:
  pull_request:
    paths: ["plans/**", "policycheck.yaml", "waivers.yaml"]
  push:
    branches: [main]
permissions:
  contents: read
  security-events: write   # to upload the SARIF file
jobs:
  policycheck:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # the diff below reads the base branch
      # Replace YOUR-ORG with the owner of the repository that holds policycheck's action.yml.
      - uses: YOUR-ORG/policycheck@v1
        with:
          paths: plans/
          sarif-file: policycheck.sarif
          # fail-on, baseline and waivers come from policycheck.yaml unless given here
          # Large plan folders: keep the parse cache between runs, signed with a secret of
          # 32 characters or more (openssl rand -hex 32) saved as POLICYCHECK_CACHE_KEY.
          # cache-key: ${{ secrets.POLICYCHECK_CACHE_KEY }}
      - name: Incentive mix change
        if: always() && github.event_name == 'pull_request'
        env:
          BASE_REF: ${{ github.base_ref }}
          POLICYCHECK_CACHE_KEY: ${{ secrets.POLICYCHECK_CACHE_KEY }}  # empty: no shared cache
        run: |
          policycheck diff --git-base "origin/$BASE_REF" plans/ --format markdown \\
            --fail-on none >> "$GITHUB_STEP_SUMMARY"
"""

#: Relative path → content, in the order they are written.
TEMPLATES: dict[str, str] = {
    "policycheck.yaml": CONFIG,
    "waivers.yaml": WAIVERS,
    "plans/example.yaml": EXAMPLE_PLAN,
    ".github/workflows/policycheck.yml": WORKFLOW,
}
WORKFLOW_PATH = ".github/workflows/policycheck.yml"


def workflow(below: str = "") -> str:
    """The workflow for the plans of ``below``, a subfolder of the repository (posix; ""
    for its root). GitHub runs only the workflows at the repository's root, and runs them
    there: the subfolder's workflow checks its plans from the root, and names its
    policycheck.yaml by ``POLICYCHECK_CONFIG``, as the config is looked for from the folder
    a run starts in upward."""
    if not below:
        return WORKFLOW
    prefix = below.rstrip("/") + "/"
    edits = {
        '["plans/**", "policycheck.yaml", "waivers.yaml"]':
            json.dumps([f"{prefix}{name}" for name in ("plans/**", "policycheck.yaml",
                                                       "waivers.yaml")]),
        "    runs-on: ubuntu-latest\n":
            "    runs-on: ubuntu-latest\n    env:\n      # the plans' config, which a run "
            f"at the root does not find\n      POLICYCHECK_CONFIG: "
            f"{json.dumps(prefix + 'policycheck.yaml')}\n",
        "paths: plans/": f"paths: {json.dumps(prefix + 'plans/')}",
        '"origin/$BASE_REF" plans/': f'"origin/$BASE_REF" {shlex.quote(prefix + "plans/")}',
    }
    text = WORKFLOW
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Outcome:
    path: str
    action: str  # created | overwrote | skipped


def scaffold(folder: Path, force: bool = False,
             names: Sequence[str] = tuple(TEMPLATES),
             root: Path | None = None) -> list[Outcome]:
    """Write the templates under ``folder``; existing files are skipped unless ``force``.
    In a git repository the cache folder is ignored too (``ignore_cache``). ``root``: the
    repository's root, where the workflow goes when ``folder`` is below it (``workflow``);
    its outcome names it from ``folder``."""
    outcomes = []
    for name in names:
        target, text = folder / name, TEMPLATES[name]
        if name == WORKFLOW_PATH and root is not None and root != folder.resolve():
            target = root / name
            text = workflow(folder.resolve().relative_to(root).as_posix())
            name = Path(os.path.relpath(target, folder)).as_posix()
        exists = target.exists()
        if exists and not force:
            outcomes.append(Outcome(name, "skipped"))
            continue
        atomic_write(target, text.encode("utf-8"))
        outcomes.append(Outcome(name, "overwrote" if exists else "created"))
    ignored = ignore_cache(folder, root)
    return outcomes + ([ignored] if ignored else [])


#: What .gitignore gets: the parse cache, which a run makes in the current folder.
IGNORED = f"{DEFAULT_DIR}/"


def ignore_cache(folder: Path, root: Path | None = None) -> Outcome | None:
    """``.policycheck_cache/`` added to the .gitignore at the root of ``folder``'s git
    repository (``root``, else found), where the first check would otherwise leave it to
    be committed by ``git add .``; None when ``folder`` is in no repository or the file
    names it already. The pattern holds in every folder below the root: the workflow runs
    policycheck at the root and makes the cache there, while a run in ``folder`` makes it
    in ``folder`` (one written in ``folder`` left the workflow's cache unignored)."""
    root = work_tree_root(folder) if root is None else root
    if root is None:
        return None
    target = root / ".gitignore"
    text = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else ""
    if any(line.strip().strip("/") == DEFAULT_DIR for line in text.splitlines()):
        return None
    glue = "\n" if text and not text.endswith("\n") else ""
    atomic_write(target, f"{text}{glue}{IGNORED}\n".encode())
    name = Path(os.path.relpath(target, folder)).as_posix()
    return Outcome(name, "updated" if text else "created")
