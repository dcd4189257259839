"""The effective settings as ``policycheck config`` shows them: each with where it came from.

One row per setting, and per entry of a mapping setting (``severity``, ``params``), with its
source: a flag, a ``POLICYCHECK_*`` variable, a line of the config file, or the default;
rendered as an aligned text table or as JSON.
"""

from __future__ import annotations

from typing import Any

from policycheck.config import MAPPINGS, Settings
from policycheck.configkeys import KEYS


def setting_rows(settings: Settings) -> list[tuple[str, Any, str]]:
    """(key, value, source) for each setting; a mapping setting one row per entry."""
    rows = []
    for key in KEYS:
        setting = settings.values[key]
        if key in MAPPINGS and setting.value:
            rows += [(f"{key}.{k}", v, setting.sources[k]) for k, v in
                     sorted(setting.value.items())]
        else:
            rows.append((key, setting.value, setting.source))
    return rows


def _plain(value: Any) -> str:
    if isinstance(value, list):  # a parameter's value
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None or value == {} else str(value)


def render_text(settings: Settings) -> str:
    rows = [(key, _plain(value), source) for key, value, source in setting_rows(settings)]
    width = max(len(key) for key, _, _ in rows)
    values = max(len(value) for _, value, _ in rows)
    lines = [f"config file: {settings.config_file} ({settings.config_source})"
             if settings.config_file else "config file: none found"]
    lines += [f"{key.ljust(width)}  {value.ljust(values)}  {source}".rstrip()
              for key, value, source in rows]
    return "\n".join(lines) + "\n"


def render_json(settings: Settings) -> str:
    import json

    def plain(value: Any) -> Any:
        return list(value) if isinstance(value, tuple) else value

    data = {"config_file": settings.config_file, "config_source": settings.config_source,
            "settings": {key: {"value": plain(value), "source": source}
                         for key, value, source in setting_rows(settings)}}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
