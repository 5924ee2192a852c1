"""Terminal tables for attribution: one student's signals per candidate, and the zoo's table."""

from __future__ import annotations

from rich.table import Table

from distillscope.attribution.result import (
    AttributionResult,
    SignalScore,
    ZooAttribution,
    ZooStudentRow,
)
from distillscope.attribution.signal_registry import signal_info


def _cell(score: SignalScore) -> str:
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
    """The test's decision, with its alpha and null; never mixed with the ranking."""
    test = result.test
    if test is None:
        return "undecided: no --base, so no test (closed-set ranking above only)"
    how = "calibrated" if test.calibrated else "uncalibrated"
    level = f"alpha {test.alpha:g}" + (f" over {test.looks} looks" if test.looks > 1 else "") + f", {how}"
    if result.outcome == "candidate" and result.predicted is not None:
        chosen = result.candidate(result.predicted).test
        p = chosen.p_adjusted if chosen is not None and chosen.p_adjusted is not None else float("nan")
        return f"attributed to {result.predicted} (Holm p {p:.3g}; {level})"
    if result.outcome == "none":
        return f"none of these candidates: no test rejects ({level})"
    return f"undecided: {test.reason} ({level})"


def ranking_line(result: AttributionResult) -> str:
    """The closed-set answer: which listed candidate is closest, assuming one of them taught the student."""
    if not result.ranking:
        return "closed-set ranking: none (no signal ranks the candidates)"
    return "closed-set ranking (which candidate is closest, if one of them taught it; not an accusation): " + " > ".join(result.ranking)


def student_table(result: AttributionResult) -> Table:
    reference = f"Δ = margin over the base {result.base}" if result.base else "no base given: no margins"
    table = Table(title=f"{result.student}: per signal, S vs candidate ({reference}; #rank, 1 = closest)")
    table.add_column("candidate")
    for signal in result.signals:
        table.add_column(f"{signal}{'' if signal_info(signal).higher_is_closer else ' (lower=closer)'}", justify="right")
    weighted = result.test is not None and result.test.weights is not None
    table.add_column("statistic (weighted z)" if weighted else "statistic (mean z)", justify="right")
    table.add_column("p (Holm)", justify="right")
    for c in result.candidates:
        if c.excluded:
            table.add_row(f"[dim]{c.name}[/dim]", *["[dim]-[/dim]"] * len(result.signals), f"[dim]{c.excluded}[/dim]", "")
            continue
        p = "-"
        if c.test is not None and c.test.p_value is not None:
            p = f"{c.test.p_value:.3g} ({c.test.p_adjusted:.3g})" if c.test.p_adjusted is not None else f"{c.test.p_value:.3g}"
            p = f"[bold]{p}[/bold]" if c.test.rejected else p
        table.add_row(
            f"{c.name} ({c.family or 'family ?'})",
            *[_cell(c.signals[s]) for s in result.signals],
            f"{c.combined:.2f}" if c.combined is not None else "-",
            p,
        )
    return table


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def zoo_table(zoo: ZooAttribution) -> Table:
    o, r = zoo.overall, zoo.resampled
    resampled = lambda v: f" ({_rate(v)} over {zoo.resamples} resampled test sets)" if r is not None else ""  # noqa: E731
    table = Table(
        title=f"attribution test over the zoo at alpha {zoo.alpha:g} ({zoo.evaluation_unit} null population): detection at budget "
        f">= {zoo.goal_budget} {_rate(o.detection)}{resampled(r.detection if r else None)}; false accusation "
        f"{_rate(o.false_accusation)}{resampled(r.false_accusation if r else None)} over {o.n_controls} trained controls "
        f"({_rate(o.false_accusation_controls)}) and {o.n_unlisted} teacher-left-out cases ({_rate(o.false_accusation_unlisted)}); "
        f"{zoo.n_bases_not_counted} untouched bases not counted ('none' by construction); closed-set top-1 {_rate(o.ranking_top1)}; "
        "signal columns: each signal's closest candidate"
    )
    columns = ("student", "kind", "budget", "true teacher", "test names", "resampled", "teacher left out", "closed-set first", *zoo.signals)
    for column in columns:
        table.add_column(column)
    for row in zoo.students:
        res = row.result
        picks = [(res.rankings.get(s) or ["-"])[0] for s in zoo.signals]
        marks = [f"[green]{p}[/green]" if p == row.true_teacher else p for p in picks]
        named = _named(res)
        shown = f"[green]{named}[/green]" if row.correct else f"[red]{named}[/red]"
        table.add_row(
            row.name,
            row.kind,
            str(row.budget or "-"),
            row.true_teacher or "none",
            shown,
            _rate(row.resampled),
            _unlisted_cell(row),
            res.ranking[0] if res.ranking else "-",
            *marks,
        )
    return table


def _named(result: AttributionResult) -> str:
    if result.outcome == "candidate" and result.predicted is not None:
        return result.predicted
    if result.test is not None and result.test.rejected:
        return "undecided: " + "+".join(result.test.rejected)
    return result.outcome


def _unlisted_cell(row: ZooStudentRow) -> str:
    """The decision with the true teacher left out of the candidates ("none" is right), and its resampled accusation rate."""
    if row.unlisted is None:
        return "-"
    named = _named(row.unlisted)
    shown = f"[green]{named}[/green]" if named == "none" else f"[red]{named}[/red]"
    return shown + (f" ({row.unlisted_resampled:.2f})" if row.unlisted_resampled is not None else "")


def curve_table(zoo: ZooAttribution) -> Table:
    table = Table(title="detection against false accusation over alpha (point; resampled test sets)")
    for column in ("alpha", "detection", "false accusation", "detection (resampled)", "false accusation (resampled)"):
        table.add_column(column)
    for point in zoo.curve:
        table.add_row(
            f"{point.alpha:g}",
            _rate(point.detection),
            _rate(point.false_accusation),
            _rate(point.detection_resampled),
            _rate(point.false_accusation_resampled),
        )
    return table


def ablation_table(zoo: ZooAttribution) -> Table:
    table = Table(title=f"which signals carry attribution (each against its leave-one-recipe-out null, alpha {zoo.alpha:g})")
    columns = (
        "detection (goal budget)",
        "closed-set top-1 (goal budget)",
        "detection (all distilled)",
        "false accusation",
        "wrong teacher",
    )
    for column in ("signals", *columns):
        table.add_column(column)
    numbers = lambda r: (r.detection, r.ranking_top1, r.detection_all, r.false_accusation, r.wrong_teacher)  # noqa: E731
    rows = [("all", numbers(zoo.overall))]
    rows += [(f"without {s}", numbers(r)) for s, r in zoo.leave_one_out.items()]
    rows += [(f"{s} alone", numbers(r)) for s, r in zoo.single_signal.items()]
    for label, values in rows:
        table.add_row(label, *map(_rate, values))
    return table
