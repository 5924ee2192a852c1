"""Reading a config file: YAML in, the one config model out.

`generate --config` and `audit --config` read the same file into the same
model, `distillscope.audit.config.AuditConfig` (roles, sampling, store and the
audit's sizes; unknown keys refused by name). This module holds what both
need before that model exists: reading the YAML with line-numbered errors,
and turning a role (a spec string or `{spec, options}`) into a spec string.

An example file is in that module's docstring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from distillscope.errors import InputFileError
from distillscope.models.spec import ModelSpec

ROLES = ("teacher", "students", "judge", "helper")


def spec_string(value: Any) -> str:
    """A role as a spec string; the mapping form's options are merged as if written after `?`.

    Parsing here refuses secrets and impossible options while the file is read.
    """
    if isinstance(value, ModelSpec):
        return str(value)
    if isinstance(value, str):
        return str(ModelSpec.parse(value))
    if isinstance(value, dict) and "spec" in value:
        unknown = set(value) - {"spec", "options"}
        if unknown:
            raise ValueError(f"unknown key '{sorted(map(str, unknown))[0]}' in a model entry; use 'spec' and 'options'")
        options = value.get("options") or {}
        if not isinstance(options, dict):
            raise ValueError("options must be a mapping")
        unnamed = [name for name in options if not isinstance(name, str)]
        if unnamed:  # YAML reads `1:`, `null:` or `true:` as a number, None or a bool, never as an option's name
            raise ValueError(f"option name {unnamed[0]!r} is not a name; write options as name: value")
        return str(ModelSpec.parse(str(value["spec"]), **options))
    raise ValueError("a model is a spec string or a mapping with 'spec' and optional 'options'")


def read_config_file(path: Path) -> dict:
    """The file's mapping, or one line saying why it cannot be read."""
    if not path.exists():
        raise InputFileError(f"config file {path} does not exist", "check the path")
    if path.is_dir():
        raise InputFileError(f"config file {path} is a directory", "give a .yaml file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except UnicodeDecodeError as exc:
        raise InputFileError(f"config file {path} is not UTF-8 text ({exc.reason})", "save it as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputFileError(f"config file {path}{where} is not valid YAML", "fix the YAML syntax") from None
    except RecursionError:  # PyYAML composes nested lists and mappings recursively
        raise InputFileError(
            f"config file {path} is nested too deeply to be a config", "write the config as a flat mapping of keys"
        ) from None
    except ValueError:  # PyYAML's int() of a number with more digits than Python converts
        raise InputFileError(f"config file {path} holds a number too long to read", "shorten the number") from None
    if not isinstance(data, dict):
        raise InputFileError(f"config file {path} is not a mapping of keys", f"use keys such as {', '.join(ROLES)}")
    return data
