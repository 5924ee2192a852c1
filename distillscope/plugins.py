"""Named extension points: built-ins as "module:attr" strings, third-party entries from entry points.

Every extension point (model providers, metrics, adversaries, attribution
signals) is one `Registry`. Built-in entries name their object as a string, so
listing the names (CLI help, config validation, the docs) imports nothing
heavy. A package extends distillscope by declaring entry points in the point's
group, e.g. in its pyproject.toml:

```toml
[project.entry-points."distillscope.providers"]
echo = "my_plugin.backend:EchoModel"
```

The installed entry points are read once per process, and a plugin's module is
imported only when its entry is used. A built-in name wins over a plugin of the
same name, so an installed package can never change what a built-in measures.
This module sits on the foundation floor: it imports nothing from distillscope
but `errors`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from distillscope.errors import UserError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

T = TypeVar("T")

GROUP_PREFIX = "distillscope."


class UnknownNameError(UserError):
    """A name no built-in and no installed plugin provides."""


class PluginLoadError(UserError):
    """An installed plugin whose entry point does not import or is not what it should be."""


@dataclass(frozen=True)
class Entry:
    """One named entry: its "module:attr" target, and the distribution that provides it (None: built in)."""

    name: str
    target: str
    distribution: str | None = None
    version: str | None = None


@lru_cache(maxsize=None)
def entry_points_of(group: str) -> tuple[EntryPoint, ...]:
    """The installed entry points of one group, read once per process (reading them scans every installed package)."""
    from importlib.metadata import entry_points

    return tuple(entry_points(group=group))


def import_target(target: str) -> Any:
    """The object a "module:attr" (or "module:attr.sub") string names."""
    module_name, _, attr = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        value = getattr(value, part)
    return value


class Registry(Generic[T]):
    """The entries of one extension point: built-ins first (in their declared order), then plugins by name."""

    def __init__(
        self,
        point: str,
        kind: str,
        builtins: Mapping[str, str],
        *,
        error: type[UserError] = UnknownNameError,
        where: str = "",
    ) -> None:
        self.group = GROUP_PREFIX + point  # the entry-point group, e.g. distillscope.providers
        self.kind = kind  # what an entry is, in messages: "model provider", "metric"
        self._builtins = dict(builtins)
        self.error = error
        self.where = where  # where a user sees the known names (a command), for the error's fix
        self._loaded: dict[str, Any] = {}

    def builtin_names(self) -> tuple[str, ...]:
        """Names known without reading the installed packages (what `--help` shows)."""
        return tuple(self._builtins)

    def entries(self) -> dict[str, Entry]:
        out = {name: Entry(name, target) for name, target in self._builtins.items()}
        for point in sorted(entry_points_of(self.group), key=lambda p: p.name):
            if point.name not in out:
                dist = getattr(point, "dist", None)
                out[point.name] = Entry(
                    point.name, point.value, dist.name if dist else "an unnamed package", dist.version if dist else None
                )
        return out

    def names(self) -> tuple[str, ...]:
        return tuple(self.entries())

    def plugin_names(self) -> tuple[str, ...]:
        return tuple(name for name, entry in self.entries().items() if entry.distribution is not None)

    def __contains__(self, name: object) -> bool:
        return name in self._builtins or (isinstance(name, str) and name in self.entries())

    def entry(self, name: str) -> Entry:
        entries = self.entries()
        if name not in entries:
            raise self.unknown(name, entries)
        return entries[name]

    def unknown(self, name: str, known: Iterable[str] | None = None) -> UserError:
        """The one-line error for a name nothing provides, with the closest known name."""
        import difflib

        names = list(known if known is not None else self.names())
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        where = f" (see {self.where})" if self.where else ""
        return self.error(
            f"unknown {self.kind} '{name}'{hint}",
            f"use one of {', '.join(sorted(names))}{where}, or install the plugin that provides it (entry-point group {self.group})",
        )

    def check(self, names: Iterable[str]) -> None:
        """Refuse the first unknown name; reads the installed plugins only when a name is not built in."""
        for name in names:
            if name not in self:
                raise self.unknown(name)

    def load(self, name: str) -> T:
        """The entry's object, imported on first use; a plugin that fails to import is named with its fix."""
        if name not in self._loaded:
            entry = self.entry(name)
            if entry.distribution is None:
                self._loaded[name] = import_target(entry.target)
            else:
                try:
                    self._loaded[name] = import_target(entry.target)
                except Exception as exc:  # a plugin's import can fail in any way; the message must name it
                    raise self.load_error(entry, f"{type(exc).__name__}: {exc}") from exc
        return self._loaded[name]

    def load_error(self, entry: Entry, why: str) -> PluginLoadError:
        version = f" {entry.version}" if entry.version else ""
        return PluginLoadError(
            f"the {self.kind} '{entry.name}' of the installed package {entry.distribution}{version} "
            f"({self.group}: {entry.target}) cannot be used: {why}",
            f"upgrade or reinstall it (pip install -U {entry.distribution}), or uninstall it (pip uninstall {entry.distribution})",
        )
