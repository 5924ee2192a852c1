"""One line for a role that answered nothing, printed where its tables would have been."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from distillscope.results import StudentResults


def print_no_answers(console: Console, section: "StudentResults") -> bool:
    """Print the section's "no answers" note; True when there was one (the caller then skips its tables)."""
    if section.no_answers is None:
        return False
    console.print(section.no_answers.line(), markup=False, highlight=False)
    return True
