"""Config dicts and keyword overrides as the TOML text fwmc's own parser reads (one validation for both)."""
from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: Any, where: str) -> str:
    if not isinstance(k, str):
        raise ValueError(f"{where}: key {k!r} is not a string")
    return k if _BARE_KEY.match(k) else json.dumps(k)


def toml_value(v: Any, where: str) -> str:
    """One value in TOML syntax; `where` names the key in the error for a value TOML cannot hold."""
    if hasattr(v, "item") and not hasattr(v, "__len__"):  # numpy scalars
        v = v.item()
    if hasattr(v, "tolist"):  # numpy arrays
        v = v.tolist()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)  # the shortest text that reads back as the same double
    if isinstance(v, (str, os.PathLike)):
        return json.dumps(os.fspath(v))  # JSON's string escapes are TOML basic-string escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x, where) for x in v) + "]"
    raise ValueError(f"{where} = {v!r}: a config value is a number, a string, a bool or a list of them")


def dict_to_toml(config: Mapping, name: str = "config dict") -> str:
    """A config dict {section: {key: value}} as TOML text."""
    if not isinstance(config, Mapping):
        raise ValueError(f"{name}: expected a dict of sections, got {type(config).__name__}")
    lines = []
    for section, table in config.items():
        s = _key(section, name)
        if not isinstance(table, Mapping):
            raise ValueError(
                f"{name}: {section!r} = {table!r}: expected a section (a dict of keys), e.g. "
                f"{{'sampler': {{'chains': 16}}}}")
        lines.append(f"[{s}]")
        for k, v in table.items():
            where = f"{name}: [{section}] {k}"
            if isinstance(v, Mapping):
                raise ValueError(f"{where}: a nested table is not a config key")
            lines.append(f"{_key(k, where)} = {toml_value(v, where)}")
    return "\n".join(lines) + "\n"


def overrides_from_kwargs(sections: Mapping) -> list[str]:
    """Keyword overrides, one dict per section (sampler={"method": "mala"}), as `section.key=value` strings:
    the CLI's --set, with the same validation."""
    out = []
    for section, table in sections.items():
        if not isinstance(table, Mapping):
            raise ValueError(
                f"override {section}={table!r}: expected a dict of keys, e.g. {section}={{'key': value}}")
        for k, v in table.items():
            where = f"override {section}.{k}"
            if not isinstance(k, str):
                raise ValueError(f"{where}: key is not a string")
            out.append(f"{section}.{k}={toml_value(v, where)}")
    return out
