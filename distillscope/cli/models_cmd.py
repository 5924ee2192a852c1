"""`distillscope models`: which backends and built-in models this install can use.

Users copy spec examples and model names from this output, so those cells
never wrap or get cut with an ellipsis, even at 80 columns; the descriptions
wrap instead. Install hints contain `[api]`, which rich would read as markup,
so every string that is not our own markup is escaped.
"""

from __future__ import annotations


def models() -> None:
    """List backends (and whether their extra is installed) and the built-in offline models."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from distillscope.extras import extra_status, pip_command
    from distillscope.models.builtin import BUILTIN_MODELS, builtin_status
    from distillscope.models.registry import provider_infos

    installed = extra_status()
    console = Console()
    backends = Table(title="backends (spec: provider/name?option=value)", box=box.SIMPLE_HEAD, expand=False)
    backends.add_column("provider", no_wrap=True)
    backends.add_column("installed", no_wrap=True)
    backends.add_column("example spec and what it is", ratio=1)
    missing: dict[str, list[str]] = {}
    for info in provider_infos().values():
        ok = info.extra is None or installed.get(info.extra, False)
        if not ok:
            missing.setdefault(info.extra or "all", []).append(info.name)
        state = "[green]yes[/green]" if ok else "[red]no[/red]"
        # the example on a line of its own, never wrapped: it is what users copy
        about = info.description + (f" (plugin: the package {info.distribution})" if info.distribution else "")
        backends.add_row(escape(info.name), state, f"[bold]{escape(info.example)}[/bold]\n{escape(about)}")
    console.print(backends)
    for extra, names in missing.items():
        console.print(f"{escape(', '.join(names))}: install with  {escape(pip_command(extra))}", soft_wrap=True, highlight=False)
    builtins = Table(title="built-in offline models (builtin/NAME)", box=box.SIMPLE_HEAD, expand=False)
    builtins.add_column("name", no_wrap=True)
    builtins.add_column("what it is, and its status", ratio=1)
    for builtin in BUILTIN_MODELS.values():
        status = builtin_status(builtin.name)
        colour = "green" if status == "ready" else "yellow"
        about = f"{builtin.family} family, made by {builtin.developer}; {builtin.kind}, asked by {builtin.mode}"
        builtins.add_row(escape(builtin.name), f"{escape(about)}\n[{colour}]{escape(status)}[/{colour}]")
    console.print(builtins)
