"""`distillscope models`: which backends and built-in models this install can use."""

from __future__ import annotations


def models() -> None:
    """List backends (and whether their extra is installed) and the built-in offline models."""
    from rich.console import Console
    from rich.table import Table

    from distillscope.extras import extra_status, pip_command
    from distillscope.models.builtin import BUILTIN_MODELS, builtin_status
    from distillscope.models.registry import PROVIDERS

    installed = extra_status()
    console = Console()
    backends = Table(title="backends (spec: provider/name?option=value)")
    for column in ("provider", "installed", "example", "what it is"):
        backends.add_column(column)
    for info in PROVIDERS.values():
        ok = info.extra is None or installed.get(info.extra, False)
        state = "[green]yes[/green]" if ok else f"[red]no[/red]: {pip_command(info.extra or 'all')}"
        backends.add_row(info.name, state, info.example, info.description)
    console.print(backends)
    builtins = Table(title="built-in offline models (builtin/NAME)")
    for column in ("name", "family", "made by", "kind", "asked by", "status"):
        builtins.add_column(column)
    for info in BUILTIN_MODELS.values():
        builtins.add_row(info.name, info.family, info.developer, info.kind, info.mode, builtin_status(info.name))
    console.print(builtins)
