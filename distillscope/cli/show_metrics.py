"""Terminal output of `similarity` and `rse`: the control ladder, then each student's estimates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from distillscope.cli.show_ladder import show_ladder
from distillscope.cli.show_no_answers import print_no_answers
from distillscope.cli.tables import estimate_table

if TYPE_CHECKING:
    from distillscope.results import Results


def _flag(label: str, measure: str, results: "Results") -> str:
    if results.invalid_reason(measure):
        return f"{label} (INVALID)"
    status = results.controls.measures[measure].status if results.controls and measure in results.controls.measures else None
    return f"{label} (undecided)" if status == "undecided" else label


def show_similarity(results: "Results") -> None:
    console = Console()
    for note in results.notes:
        console.print(f"note: {note}", markup=False)  # an install hint's [hf] is not markup
    show_ladder(console, results)
    teacher = results.teacher
    for spec, section in results.students.items():
        s = section.similarity
        if print_no_answers(console, section) or s is None:
            continue
        rows = {_flag(m, m, results): s.overall[m] for m in ("cosine", "rouge_l", "chrf")}
        rows.update({f"{c}: cosine": e["cosine"] for c, e in s.by_category.items()})
        console.print(estimate_table(escape(f"similarity of {spec} to {teacher} ({s.n_pairs} pairs)"), rows))
        if s.aspects is None:  # a results file written before the aspect measures
            continue
        aspect_rows = {_flag(m, m, results): e for m, e in s.aspects.overall.items()}
        for category, estimates in s.aspects.by_category.items():
            aspect_rows.update({f"{category}: {m}": estimates[m] for m in ("structure", "content_terms")})
        console.print(
            estimate_table(
                escape(f"aspect similarity (offline, 0-1) of {spec} to {teacher}; tokens: {s.aspects.token_source}"), aspect_rows
            )
        )


def show_rse(results: "Results") -> None:
    from distillscope.metrics.rse import ASPECTS

    console = Console()
    show_ladder(console, results)
    for spec, section in results.students.items():
        r = section.rse
        for skipped in (s for s in section.skipped if s.metric == "rse"):
            console.print(f"RSE of {spec}: {skipped.reason}", markup=False)
        if print_no_answers(console, section) or r is None:
            continue
        rows = {
            _flag("RSE (mean of aspects)", "rse", results): r.rse,
            **{_flag(f"aspect: {a}", f"rse.{a}", results): r.aspects[a] for a in ASPECTS},
            **{f"category: {c}": e for c, e in r.by_category.items()},
        }
        console.print(estimate_table(escape(f"RSE of {spec} vs {results.teacher} (judge {results.models['judge']})"), rows))
        swap, bound = r.swap_control.mean_difference, r.sensitivity
        swap_text = swap.fmt() if swap else "n/a"
        console.print(
            f"judge modes used: {r.modes}; scored {r.n_scored}/{r.n_pairs} pairs; parse failures {r.parse_failures} "
            f"(re-asked {r.reasked}), judge failures {r.judge_failures}; RSE if the {bound.unscored} unscored were all 1: "
            f"{bound.if_all_1.fmt()}, all 5: {bound.if_all_5.fmt()}; missing answers {section.missing_responses}; "
            f"position-bias control: swapped minus original = {swap_text} over {r.swap_control.n_scored} pairs",
            markup=False,
        )
