"""Terminal tables for attribution: one student's signals per candidate, and the zoo's table."""

from __future__ import annotations

from rich.table import Table

from distillscope.attribution.result import (
    SIGNAL_INFO,
    AttributionResult,
    ZooAttribution,
)


def _cell(score) -> str:  # noqa: ANN001 - a SignalScore
    if score.status:
        return "[dim]skipped[/dim]"
    value = score.value.mean if score.value and score.value.mean is not None else None
    text = f"{value:.3f}" if value is not None else "-"
    if score.margin is not None and score.margin.mean is not None:
        text += f" Δ{score.margin.mean:+.3f}"
        if score.margin.low is not None:
            text += f" [{score.margin.low:+.3f}, {score.margin.high:+.3f}]"
    return f"{text} #{score.rank}" if score.rank else text


def outcome_line(result: AttributionResult) -> str:
    confidence = f"{result.confidence:.2f}" if result.confidence is not None else "uncalibrated"
    if result.outcome == "candidate":
        return f"attributed to {result.predicted} (confidence {confidence})"
    if result.outcome == "none":
        return f"none of these candidates (confidence {confidence})"
    how = "by mean z of the margins; see the notes" if result.base else "by mean rank"
    return f"undecided; closest {how}: {result.predicted}"


def student_table(result: AttributionResult) -> Table:
    reference = f"Δ = margin over the base {result.base}" if result.base else "no base given: no margins"
    table = Table(title=f"{result.student}: per signal, S vs candidate ({reference}; #rank, 1 = closest)")
    table.add_column("candidate")
    for signal in result.signals:
        table.add_column(f"{signal}{'' if SIGNAL_INFO[signal][1] else ' (lower=closer)'}", justify="right")
    table.add_column("combined", justify="right")
    table.add_column("P(teacher)", justify="right")
    for c in result.candidates:
        if c.excluded:
            table.add_row(f"[dim]{c.name}[/dim]", *["[dim]-[/dim]"] * len(result.signals), f"[dim]{c.excluded}[/dim]", "")
            continue
        table.add_row(
            f"{c.name} ({c.family or 'family ?'})",
            *[_cell(c.signals[s]) for s in result.signals],
            f"{c.combined:.2f}" if c.combined is not None else "-",
            f"{c.probability:.2f}" if c.probability is not None else "-",
        )
    return table


def zoo_table(zoo: ZooAttribution) -> Table:
    table = Table(
        title=f"attribution over the zoo (leave-one-student-out calibration); top-1 at budget ≥ {zoo.goal_budget}: "
        f"{zoo.top1} ({zoo.top1_resampled} over {zoo.resamples} resampled test sets; first-ranked, 'none' set aside: "
        f"{zoo.ranking_top1}), all distilled: "
        f"{zoo.top1_all}, controls attributed: {zoo.false_attribution} ({zoo.false_attribution_resampled} "
        f"resampled), attributed with the true teacher left out: {zoo.unlisted_attribution} ({zoo.unlisted_attribution_resampled} "
        "resampled); signal columns: each signal's closest candidate"
    )
    columns = ("student", "kind", "budget", "true teacher", "predicted", "confidence", "resampled", "teacher left out", *zoo.signals)
    for column in columns:
        table.add_column(column)
    for row in zoo.students:
        r = row.result
        picks = [(r.rankings.get(s) or ["-"])[0] for s in zoo.signals]
        marks = [f"[green]{p}[/green]" if p == row.true_teacher else p for p in picks]
        predicted = r.predicted if r.outcome == "candidate" else "none"
        shown = f"[green]{predicted}[/green]" if row.correct else f"[red]{predicted}[/red]"
        table.add_row(
            row.name,
            row.kind,
            str(row.budget or "-"),
            row.true_teacher or "none",
            shown,
            f"{r.confidence:.2f}" if r.confidence is not None else "-",
            f"{row.resampled:.2f}" if row.resampled is not None else "-",
            _unlisted_cell(row),
            *marks,
        )
    return table


def _unlisted_cell(row) -> str:  # noqa: ANN001 - a ZooStudentRow
    """The decision with the true teacher left out of the candidates ("none" is right), and its resampled attribution rate."""
    if row.unlisted is None:
        return "-"
    named = row.unlisted.predicted if row.unlisted.outcome == "candidate" else "none"
    shown = f"[green]{named}[/green]" if named == "none" else f"[red]{named}[/red]"
    return shown + (f" ({row.unlisted_resampled:.2f})" if row.unlisted_resampled is not None else "")


def ablation_table(zoo: ZooAttribution) -> Table:
    table = Table(title="which signals carry attribution (each leave-one-student-out)")
    columns = (
        "top-1 (goal budget)",
        "first-ranked (goal budget)",
        "top-1 (all distilled)",
        "controls attributed",
        "teacher left out, attributed",
    )
    for column in ("signals", *columns):
        table.add_column(column)
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    numbers = lambda r: (r.top1, r.ranking_top1, r.top1_all, r.false_attribution, r.unlisted_attribution)  # noqa: E731
    rows = [("all", (zoo.top1, zoo.ranking_top1, zoo.top1_all, zoo.false_attribution, zoo.unlisted_attribution))]
    rows += [(f"without {s}", numbers(r)) for s, r in zoo.leave_one_out.items()]
    rows += [(f"{s} alone", numbers(r)) for s, r in zoo.single_signal.items()]
    if (r := zoo.fit_without_unlisted) is not None:
        rows.append(("all, fitted without the left-out-teacher cases", numbers(r)))
    for label, values in rows:
        table.add_row(label, *map(fmt, values))
    return table
