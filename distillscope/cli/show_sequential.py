"""Terminal output of `indist --sequential`: the decision, the stop, the confidence sequence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from distillscope.indist.sequential import SequentialResult


def show_sequential(console: Console, result: "SequentialResult", teacher: str, student: str) -> None:
    ci = result.online_advantage
    verdict = (
        f"[bold]{result.decision}[/bold] at α = {result.alpha:g}: e-value {result.e_value:.3g} "
        f"(largest {result.max_e_value:.3g}; the test rejects at {1 / result.alpha:g})"
    )
    console.print(f"sequential test, {escape(student)} vs {escape(teacher)}: {verdict}", highlight=False)
    console.print(
        f"stopped by {result.stopped_by} after {result.pairs} pairs; queries per model: "
        + ", ".join(f"{escape(m)} {n}" for m, n in result.queries.items())
        + (f"; {result.dropped} prompts dropped (a model failed)" if result.dropped else ""),
        highlight=False,
    )
    if result.stop_message:
        console.print(escape(result.stop_message), highlight=False)
    if ci.mean is not None:
        console.print(
            f"average advantage at q=1 of the online logistic adversaries (each fitted on earlier pairs, weighted as the sequence "
            f"weights them), anytime-valid {1 - ci.alpha:.0%} confidence sequence at the stop: "
            f"{ci.mean:.3f} [{ci.low:.3f}, {ci.high:.3f}] over {ci.n} pairs",
            highlight=False,
        )
        console.print(
            "  the early, weak adversaries weigh in: this is not a bound on the final adversary's advantage, nor on a better one's",
            highlight=False,
        )
    if result.decision != "distinguishable":
        console.print(
            "not shown distinguishable at this budget: this is not evidence that the models are the same; "
            "a larger budget or a stronger witness may still tell them apart",
            highlight=False,
        )
