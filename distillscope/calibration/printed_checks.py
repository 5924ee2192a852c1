"""The calibration rows of issue 31: does each number the tool prints hold what it claims (`make calibrate`).

- `coverage_rows`: the MMD power interval, the sequential confidence sequence,
  the ε table over q, and that a larger sequential budget continues the same
  e-process (simulations in coverage_checks.py).
- `statistics_rows`: the control ladder's valid / invalid calls, degenerate
  intervals, per-category advantage, ICE's clustered rate and the verdict's
  choice of adversary (simulations in ladder_sim.py and stat_sims.py).

Kept apart from checks.py, which calibrates the paired statistics themselves
(MMD false-positive rate and power, advantage coverage, q-curves); these rows
share only its `CheckRow` and coverage target.
"""

from __future__ import annotations

from distillscope.calibration.checks import MIN_COVERAGE, CheckRow

__all__ = ["coverage_rows", "statistics_rows"]


def coverage_rows(datasets: int = 200, seed: int = 0) -> list[CheckRow]:
    """Issue 31 items 2 and 3, the ε table over q and the sequential continuation: what each printed number covers."""
    from distillscope.calibration.coverage_checks import (
        confidence_sequence_coverage,
        continuation_identical,
        epsilon_over_q_coverage,
        mmd_power_coverage,
    )

    rows = []
    few = max(20, datasets // 4)
    for r in mmd_power_coverage(datasets=few, prompts=60, sizes=(8, 32, 60), samples=3, shift=0.4, repeats=50, permutations=200, seed=seed):
        rows.append(
            CheckRow(
                check=f"MMD power m={r.m} of 60: 95% CI holds the power on fresh data ({r.true_power:.2f}); old {r.old_coverage:.2f}",
                value=r.coverage,
                target=f">= {MIN_COVERAGE}",
                passed=r.coverage >= MIN_COVERAGE,
                datasets=few,
            )
        )
    cs = confidence_sequence_coverage(runs=datasets, pairs=400, seed=seed)
    rows.append(
        CheckRow(
            check=f"sequential CS holds the online adversaries' average at every batch (old {cs.old_covers_printed:.2f})",
            value=cs.covers_printed,
            target=f">= {MIN_COVERAGE}",
            passed=cs.covers_printed >= MIN_COVERAGE,
            datasets=datasets,
        )
    )
    rows.append(
        CheckRow(
            check=f"sequential CS upper end below the final adversary's {cs.final_advantage:.2f} (why it is not called a bound on it)",
            value=cs.upper_below_final,
            target="reported",
            passed=True,
            datasets=datasets,
        )
    )
    eps_datasets = max(20, datasets // 5)
    eps = epsilon_over_q_coverage(datasets=eps_datasets, k=4, prompts=40, seed=seed)
    floor = 0.95 - 2.33 * (0.05 * 0.95 / eps_datasets) ** 0.5  # 95% less one-sided 99% Monte-Carlo slack
    for q, held in eps.per_q.items():
        rows.append(
            CheckRow(
                check=f"ε class row q={q} (k=4, null): every adversary's |Adv| within its bound",
                value=held,
                target=f">= {floor:.2f} (0.95 - MC)",
                passed=held >= floor,
                datasets=eps_datasets,
            )
        )
    rows.append(
        CheckRow(
            check=f"ε class rows at every q of {eps.qs} at once (not claimed; Bonferroni floor {1 - 0.05 * len(eps.qs):.2f})",
            value=eps.all_q,
            target="reported",
            passed=True,
            datasets=eps_datasets,
        )
    )
    same = continuation_identical(runs=few, seed=seed)
    rows.append(
        CheckRow(
            check="sequential: a larger budget continues the same e-process pair by pair",
            value=same,
            target="= 1",
            passed=same == 1.0,
            datasets=few,
        )
    )
    return rows


def statistics_rows(datasets: int = 200, seed: int = 0) -> list[CheckRow]:
    """Issue 31 items 1, 5, 7, 8 and two suspected items: validity, degenerate, per-category, ICE, selection."""
    from distillscope.calibration.ladder_sim import gap_for_auc, ladder_decisions, point_rule_misclassification, within_prompt_auc
    from distillscope.calibration.stat_sims import (
        category_coverage,
        degenerate_prints_as_exact,
        headline_selection_coverage,
        ice_coverage,
        ice_monotone,
    )

    rows = []
    few = max(20, datasets // 4)
    for n in (20, 50):
        for auc in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
            shares = ladder_decisions(auc, n, datasets, seed=seed, resamples=1000)
            wrong = shares["valid"] if auc < 0.8 else shares["invalid"] if auc > 0.8 else max(shares["valid"], shares["invalid"])
            old = point_rule_misclassification(auc, n, datasets, seed=seed) if auc != 0.8 else float("nan")
            rows.append(
                CheckRow(
                    check=f"ladder n={n}, AUC {auc}: wrong call (old point rule {old:.2f}); valid/undecided/invalid "
                    f"{shares['valid']:.2f}/{shares['undecided']:.2f}/{shares['invalid']:.2f}",
                    value=wrong,
                    target="<= 0.05",
                    passed=wrong <= 0.05,
                    datasets=datasets,
                )
            )
            if auc in (0.7, 0.8, 0.9):
                rows.append(
                    CheckRow(
                        check=f"ladder n={n}, AUC {auc}: 95% AUC interval coverage (prompt-clustered bootstrap)",
                        value=shares["coverage"],
                        target=">= 0.9",
                        passed=shares["coverage"] >= 0.9,
                        datasets=datasets,
                    )
                )
    shares = ladder_decisions(0.7, 20, few, seed=seed, resamples=1000, prompt_sd=3.0)
    rows.append(
        CheckRow(
            check=f"ladder: ranks within each prompt (within-prompt AUC {within_prompt_auc(gap_for_auc(0.7, 3.0)):.2f}), pooled 0.7: "
            "called INVALID",
            value=shares["invalid"],
            target="<= 0.05",
            passed=shares["invalid"] <= 0.05,
            datasets=few,
        )
    )
    exact = degenerate_prints_as_exact()
    rows.append(
        CheckRow(check="all-equal values printed as an exact [x, x] interval", value=len(exact), target="= 0", passed=not exact, datasets=1)
    )
    for per in (3, 5, 10, 20):
        coverage = category_coverage(few, per, seed=seed)
        value = coverage["new_simultaneous"]
        rows.append(
            CheckRow(
                check=f"per-category advantage, {per} prompts x 10: all 10 covered (old percentile {coverage['old_simultaneous']:.2f}); "
                f"with an interval {coverage['new_with_interval']:.2f}",
                value=value if value == value else 1.0,
                target=">= 0.95 (or too few)",
                passed=not value == value or value >= 0.95,
                datasets=few,
            )
        )
    rows.append(
        CheckRow(
            check="ICE clustered interval monotone in the successes (20 x 5)",
            value=float(ice_monotone()),
            target="= 1",
            passed=ice_monotone(),
            datasets=1,
        )
    )
    for rate in (0.02, 0.05, 0.1, 0.3):
        ice_covered = ice_coverage(datasets, rate, icc=0.6, seed=seed)
        rows.append(
            CheckRow(
                check=f"ICE 95% interval coverage, rate {rate}, 20 templates x 5, template ICC 0.6",
                value=ice_covered,
                target=">= 0.93",
                passed=ice_covered >= 0.93,
                datasets=datasets,
            )
        )
    for true_advantage_value in (0.0, 0.2):
        selection = headline_selection_coverage(datasets, adversaries=3, prompts=100, advantage=true_advantage_value, seed=seed)
        rows.append(
            CheckRow(
                check=f"verdict: best of 3 adversaries (true Adv {true_advantage_value}), quoted lower bound above the truth "
                f"(old: picked 95% CI missed {selection['old_quoted_95_miss']:.2f})",
                value=selection["new_quoted_low_above_truth"],
                target="<= 0.075",
                passed=selection["new_quoted_low_above_truth"] <= 0.075,
                datasets=datasets,
            )
        )
    return rows
