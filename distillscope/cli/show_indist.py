"""Terminal output of `indist`: advantages, per category, the MMD test, the (ε, q, t, A) table; or the sequential test."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from distillscope.cli.tables import category_cell

if TYPE_CHECKING:
    from distillscope.results import IndistSection, Results


def show_indist(results: "Results") -> None:
    from distillscope.cli.show_no_answers import print_no_answers
    from distillscope.cli.show_sequential import show_sequential
    from distillscope.runner.cost import cost_table

    console = Console()
    for spec, section in results.students.items():
        if print_no_answers(console, section) and section.sequential is None:
            continue
        if section.sequential is not None:
            show_sequential(console, section.sequential, results.teacher or "-", spec)
        if section.indist is not None:
            print_indist(console, section.indist, results.teacher or "-", spec)
    console.print(cost_table(results.cost))


def print_indist(console: Console, result: "IndistSection", teacher: str, student: str) -> None:
    table = Table(
        title=f"advantage of adversaries telling {student} from {teacher} ({result.n_train} train / {result.n_test} test prompts)"
    )
    for column in ("adversary", "advantage [95% CI]", "t (s)"):
        table.add_column(column, justify="left" if column == "adversary" else "right")
    per_category = {r.name: r.by_category for r in result.learned.values()}
    for r in result.learned.values():
        table.add_row(r.name, r.advantage.fmt(), f"{r.train_seconds + r.inference_seconds:.1f}")
    if result.judge:
        table.add_row("judge (all pairs)", result.judge.advantage_all_pairs.fmt(), f"{result.judge.seconds:.1f}")
        per_category["judge"] = result.judge.by_category
    console.print(table)
    categories = sorted({c for groups in per_category.values() for c in groups})
    if categories:  # categories as rows, so a narrow terminal still shows every number
        by_category = Table(title="advantage per category: mean [95% CI] n (fewer than 10 prompts: too few)")
        by_category.add_column("category")
        for name in per_category:
            by_category.add_column(name, justify="right")
        for category in categories:
            by_category.add_row(category, *[category_cell(groups.get(category)) for groups in per_category.values()])
        console.print(by_category)
    if result.judge:
        j = result.judge
        console.print(
            f"pairwise judge {j.judge}: order-consistent on {j.consistent}/{j.pairs} pairs (coverage {j.coverage.fmt()}); "
            f"advantage on those {j.advantage.fmt()}; unreadable verdicts {j.unreadable}",
            markup=False,
        )
    if result.mmd:
        from distillscope.indist.mmd import power_basis

        m = result.mmd
        power = ", ".join(f"m={size}: {e.fmt(2)}" for size, e in m.power.items())
        console.print(
            f"MMD two-sample test ({m.test.design} design): MMD² {m.test.mmd2:.4f}, permutation p = {m.test.p_value:.4f} "
            f"({m.test.permutations} permutations); power at alpha 0.05 on m prompts: {power}",
            markup=False,
        )
        if m.test.n_prompts:
            console.print(f"  power: {power_basis(m.test.n_prompts)}", markup=False)
    print_epsilon(console, result)


def print_epsilon(console: Console, result: "IndistSection") -> None:
    level = f"{result.simultaneous_confidence:.2%}" if result.simultaneous_confidence else "simultaneous"
    epsilon = Table(
        title="(ε, q, t, A): upper 95% bound of |Adv| per adversary; class: the largest bound at the "
        f"Bonferroni level {level}, over the adversaries within each q column, not across columns "
        "(an estimate for the adversaries tried, not a proof)"
    )
    qs = sorted({row.q for row in result.epsilon_table})
    for column in ("A", "t (s)", *(f"q={q}" for q in qs)):
        epsilon.add_column(column, justify="left" if column == "A" else "right")
    notes = [f"class: the adversary picked on the train split (cross-fitted) is {result.selected}"] if result.selected else []
    for name in dict.fromkeys(row.adversary for row in result.epsilon_table):
        rows = {row.q: row for row in result.epsilon_table if row.adversary == name}
        seconds = max(row.t_seconds for row in rows.values())
        cells = ["-" if q not in rows else f"{rows[q].epsilon:.3f}" if rows[q].epsilon is not None else "n/a" for q in qs]
        epsilon.add_row("class (max)" if name == "class" else name, f"{seconds:.1f}", *cells)
        notes += [f"{name} q={q}: {row.status}" for q, row in rows.items() if row.status and (name != "class" or q == 1)]
    console.print(epsilon)
    for note in notes:
        console.print(f"  {note}", markup=False)
