"""Terminal output of `ice`: loose / strict / hard overall, per fact category and language; the strict stage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from distillscope.results import ICESection, Results


def show_ice(results: "Results") -> None:
    console = Console()
    from distillscope.cli.show_no_answers import print_no_answers

    for spec, section in results.students.items():
        if print_no_answers(console, section) and section.ice is None:
            continue
        if section.ice is None:
            console.print(f"ICE not scored for {escape(spec)}: " + "; ".join(s.reason for s in section.skipped), highlight=False)
            continue
        print_ice(console, section.ice, spec)
        print_strict(console, section.ice)


def print_ice(console: Console, result: "ICESection", target: str) -> None:
    from distillscope.pipeline.metric import MIN_CATEGORY_N

    table = Table(title=escape(f"ICE of {target} (true family: {result.family}; {result.queries} queries)"))
    for column in ("", "loose", "strict", "hard", "n"):
        table.add_column(column, justify="right" if column else "left")
    rows = {
        "overall": result.overall,
        **{f"category: {c}": s for c, s in result.by_category.items()},
        **{f"language: {lang}": s for lang, s in result.by_language.items()},
    }
    for label, scores in rows.items():
        if label != "overall" and scores.queries < MIN_CATEGORY_N:  # a small group's rate is noise, not a finding
            table.add_row(f"[dim]{label}[/dim]", *["[dim]too few[/dim]"] * 3, f"[dim]{scores.queries}[/dim]")
            continue
        table.add_row(label, scores.loose.fmt() if scores.loose else "-", scores.strict.fmt(), scores.hard.fmt(), str(scores.queries))
    console.print(table)
    agreement = result.judge_extractor_agreement
    console.print(
        f"misleading-template queries {result.misleading_queries}; unjudged {result.unjudged}; "
        f"judge/extractor agreement {agreement.fmt() if agreement else 'n/a'}; template pool {result.seed_templates} -> "
        f"{result.pool_size}; helper failures {result.helper_failures}, placeholder repairs {result.placeholder_repairs}"
    )
    for summary in result.top_templates[:3]:
        console.print(
            f"[bold]{escape(summary.mutant_id)}[/bold] loose {summary.loose_successes}/{summary.queries}, strict "
            f"{summary.strict_successes}/{summary.queries}: {escape(repr(summary.example_response))[:200]}",
            highlight=False,
        )


def print_strict(console: Console, result: "ICESection") -> None:
    families = ", ".join(result.strict_families) if result.strict_families else "any family but the target's own"
    line = f"strict counts claims to: {families} (decided by: {result.strict_mode})"
    stage = result.strict_judge
    if stage:
        a = stage.agreement
        kappa = f"{a.kappa:.2f}" if a.kappa is not None else "n/a"
        line += (
            f"; LLM strict judge saw {stage.judged} answers, {stage.judge_positive} positive, {a.judge_failures} unreadable; "
            f"vs extractor: both {a.both}, judge only {a.judge_only}, extractor only {a.extractor_only}, "
            f"neither {a.neither}, kappa {kappa}"
        )
    if result.judge_control is not None:
        c = result.judge_control
        line += f"; conflict judge control: {'valid' if c.valid else 'undecided' if c.status == 'undecided' else 'INVALID'} ({c.reason})"
    console.print(line, highlight=False, markup=False)
