"""The rules a run's settings choose: packs loaded, selected, and given their overrides.

``configured_rules`` loads the packs of the ``rules`` setting, keeps those ``select`` and
``ignore`` leave, and gives them the ``severity`` and ``params`` set for them; a rule id or
parameter the config file names that does not exist is reported where it is written
(``reference_problems``, which ``config.resolve`` also uses to say them beside the file's
other problems). ``check_arguments`` turns the settings into the keyword arguments of
``pipeline.check``. The rule modules are imported only when rules are loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policycheck import configkeys
from policycheck.errors import PolicycheckError, Problem, UsageError, did_you_mean

if TYPE_CHECKING:
    from policycheck.config import Settings
    from policycheck.rulefile import Rule


def configured_rules(settings: Settings, loaded: list[Rule] | None = None) -> list[Rule]:
    """The rules to run: packs loaded (``loaded``: the rules of the settings' packs, read
    already), selected and overridden. A rule id or parameter in the config file that does
    not exist is reported where it is written."""
    from policycheck.ruleset import check_overrides, override, select

    rules, known, replaced = loaded_rules(settings, loaded)
    problems = reference_problems(settings, known, replaced)
    if problems:
        raise PolicycheckError(f"the config file {settings.config_file} is not valid",
                               sorted(problems, key=Problem.sort_key))
    # a flag's rule is looked up among every rule loaded, before those left out by select
    # and ignore are set aside below (a misspelt --severity was set aside in silence)
    check_overrides(known, _given_by_flag(settings, "params"),
                    _given_by_flag(settings, "severity"))
    picked, dropped = (_of_loaded(settings, key, known, replaced) for key in ("select", "ignore"))
    if settings["select"] and not picked:
        raise PolicycheckError(f"'select' of {settings.config_file} names no rule of the packs "
                               f"of this run ({', '.join(settings['rules'])}): expected a "
                               "--select of their rules")
    chosen = select(rules, picked, dropped)
    if rules and not chosen:  # a gate that checks nothing would pass
        said = [f"{key} {', '.join(settings[key])}" for key in ("select", "ignore")
                if settings[key]]
        raise UsageError(f"no rule left to run: {' and '.join(said)} leave none of the "
                         f"{len(rules)} rules of the packs; expected at least one rule")
    # Overrides of rules left out by select/ignore are kept for when they run again (and
    # those of rules of replaced packs, said above, for when those packs do).
    running = {r.id for r in chosen}
    params = {k: v for k, v in settings["params"].items() if k.rpartition(".")[0] in running}
    severities = {k: v for k, v in settings["severity"].items() if k in running}
    return override(chosen, params, severities, settings.values["params"].where)


def _given_by_flag(settings: Settings, key: str) -> list[str]:
    """The entries of the mapping setting ``key`` given by a command-line flag."""
    sources = settings.values[key].sources
    return [entry for entry in settings[key] if sources.get(entry, "").startswith("flag")]


def loaded_rules(settings: Settings, loaded: list[Rule] | None = None
                  ) -> tuple[list[Rule], dict[str, Rule], bool]:
    """The rules of the run's packs, by id too, and whether the packs are a flag's or the
    environment's: those replace the file's, whose rule ids may then name rules of packs
    this run does not load (``POLICYCHECK_RULES=./ours`` made every ``ignore:
    [contest.campaign]`` an error)."""
    from policycheck.rulepacks import default_pack
    from policycheck.ruleset import load_rules

    packs = [default_pack() if p == configkeys.DEFAULT_PACK else Path(p) for p in settings["rules"]]
    rules = load_rules(packs) if loaded is None else loaded
    replaced = settings.values["rules"].source.startswith(("flag", "env"))
    return rules, {r.id: r for r in rules}, replaced


def _of_loaded(settings: Settings, key: str, known: Mapping[str, Rule],
               replaced: bool) -> tuple[str, ...]:
    """``select`` or ``ignore``; with ``replaced`` packs, the file's items that name no rule
    of them left out (a flag's are kept: a typo there is said by ``select``)."""
    from policycheck.ruleset import matches

    items = tuple(settings[key])
    if not replaced or not settings.values[key].where:
        return items
    return tuple(i for i in items if any(matches(rule_id, [i]) for rule_id in known))


def reference_problems(settings: Settings, known: Mapping[str, Rule],
                        replaced: bool = False) -> list[Problem]:
    """Where the file's select, ignore, severity and params name a rule or parameter that
    does not exist; with ``replaced`` packs, only those of the rules this run loads."""
    from policycheck.errors import RuleError
    from policycheck.ruleset import CHOSEN, convert_parameter, matches, parameter_choices

    problems = []
    vocabularies: dict[str, dict[str, Any]] = {}
    for key in ("select", "ignore"):
        for item, at in settings.values[key].where.items():
            if not replaced and not any(matches(rule_id, [item]) for rule_id in known):
                problems.append(Problem(at, f"'{key}': no rule matches '{item}'"
                                        f"{did_you_mean(item, known)}", "config-rule"))
    for rule_id, at in settings.values["severity"].where.items():
        if rule_id not in known and not replaced:
            problems.append(Problem(at, f"'severity': no rule '{rule_id}'"
                                    f"{did_you_mean(rule_id, known)}", "config-rule"))
    for key, at in settings.values["params"].where.items():
        rule_id, _, name = key.rpartition(".")
        rule = known.get(rule_id)
        if rule is None and replaced:
            continue
        if rule is None:
            message = f"'params': no rule '{rule_id}'{did_you_mean(rule_id, known)}"
        elif name not in rule.parameters:
            message = (f"'params': rule '{rule_id}' has no parameter '{name}'"
                       f"{did_you_mean(name, rule.parameters)}; it has "
                       f"{', '.join(rule.parameters) or 'none'}")
        else:
            if rule.parameters[name].type in CHOSEN and rule_id not in vocabularies:
                vocabularies[rule_id] = parameter_choices(rule)
            try:
                convert_parameter(rule.parameters[name], settings["params"][key], "",
                                  vocabularies.get(rule_id, {}).get(name))
                continue
            except RuleError as exc:
                message = f"'params' of '{key}' {exc.message.lstrip(': ')}"
        problems.append(Problem(at, message, "config-rule"))
    return problems


def check_arguments(settings: Settings,
                    environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments of ``pipeline.check`` for these settings."""
    from policycheck.waivers import today

    return {"configured": configured_rules(settings), "fail_on": settings["fail_on"],
            "waivers": settings["waivers"], "baseline": settings["baseline"],
            "warn_expiring": settings["warn_expiring"],
            "waiver_max_days": settings["waiver_max_days"], "today": today(environ)}
