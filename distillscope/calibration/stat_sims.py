"""Simulations behind issue 31's fixes: per-category advantage intervals, ICE's clustered rate, degenerate intervals.

Each simulates the real structure: per-category advantages from paired answers
with a strong per-prompt effect and several samples per prompt; ICE answers
clustered by template with a strong template effect. Every function returns
plain numbers, so `make calibrate` prints them and the tests bound them.
"""

from __future__ import annotations

import numpy as np


def simulate_category_scores(
    rng: np.random.Generator, categories: int, prompts_per_category: int, samples: int = 2, concentration: float = 2.0
) -> tuple[np.ndarray, np.ndarray, list[str], list[str], dict[str, float]]:
    """Teacher and student log-odds of a per-response adversary, categories, prompt clusters, and each category's true advantage.

    Category c's adversary is right with probability p_i ~ Beta(mean μ_c,
    concentration) on prompt i (the strong per-prompt effect), on each sample
    of either model; the true advantage is E[2 p_i − 1] = 2 μ_c − 1.
    """
    means = np.linspace(0.5, 0.8, categories)  # true advantages 0 ... 0.6
    lt, ls, groups, clusters, truth = [], [], [], [], {}
    for c, mu in enumerate(means):
        name = f"c{c}"
        truth[name] = float(2 * mu - 1)
        p = rng.beta(mu * concentration, (1 - mu) * concentration, prompts_per_category)
        for i, p_i in enumerate(p):
            right_t = rng.random(samples) < p_i
            right_s = rng.random(samples) < p_i
            lt += list(np.where(right_t, 1.0, -1.0))
            ls += list(np.where(right_s, -1.0, 1.0))
            groups += [name] * samples
            clusters += [f"{name}-p{i}"] * samples
    return np.asarray(lt), np.asarray(ls), groups, clusters, truth


def category_coverage(datasets: int, prompts_per_category: int, categories: int = 10, seed: int = 0) -> dict[str, float]:
    """Coverage of the per-category intervals: each one's, and all categories' together (simultaneous), old and new.

    "old" is the per-category percentile bootstrap at 95% each (what was
    printed before); "new" is `advantage_by_group` (t over prompt means,
    Bonferroni over the categories). A category without an interval counts
    neither as covered nor as missed; `new_with_interval` says how many had one.
    """
    from distillscope.indist.advantage import advantage_by_group
    from distillscope.stats import cluster_bootstrap

    old_each = old_all = new_each = new_all = with_interval = 0
    for i in range(datasets):
        lt, ls, groups, clusters, truth = simulate_category_scores(
            np.random.default_rng([seed, prompts_per_category, i]), categories, prompts_per_category
        )
        scores = (np.sign(lt) + 1) / 2 + (1 - np.sign(ls)) / 2 - 1
        old_hits, new_hits, bounded = [], [], 0
        new = advantage_by_group(lt, ls, groups, seed=i, clusters=clusters)
        for name, true in truth.items():
            rows = [j for j, g in enumerate(groups) if g == name]
            old, _ = cluster_bootstrap(scores[rows].tolist(), [clusters[j] for j in rows], seed=i, resamples=500)
            old_hits.append(old.covers(true))
            estimate = new[name]
            if estimate.low is not None:
                bounded += 1
                new_hits.append(estimate.covers(true))
        old_each += sum(old_hits)
        old_all += all(old_hits)
        new_each += sum(new_hits)
        new_all += all(new_hits) if new_hits else 0
        with_interval += bounded
    total = datasets * categories
    return {
        "old_each": old_each / total,
        "old_simultaneous": old_all / datasets,
        "new_each": new_each / with_interval if with_interval else float("nan"),
        "new_simultaneous": new_all / datasets if with_interval else float("nan"),
        "new_with_interval": with_interval / total,
    }


def ice_clustered_answers(
    rng: np.random.Generator, rate: float, templates: int = 20, per_template: int = 5, icc: float = 0.6
) -> tuple[list[bool], list[str]]:
    """Answers to `templates` templates with a strong template effect: template rates ~ Beta with intraclass correlation `icc`."""
    a, b = rate * (1 - icc) / icc, (1 - rate) * (1 - icc) / icc
    rates = rng.beta(a, b, templates)
    hits = (rng.random((templates, per_template)) < rates[:, None]).ravel()
    return [bool(h) for h in hits], [f"t{t}" for t in range(templates) for _ in range(per_template)]


def ice_coverage(datasets: int, rate: float, icc: float = 0.6, templates: int = 20, per_template: int = 5, seed: int = 0) -> float:
    """Share of simulated ICE runs whose 95% clustered interval holds the true rate."""
    from distillscope.ice.scoring import cluster_rate

    covered = 0
    for i in range(datasets):
        hits, clusters = ice_clustered_answers(
            np.random.default_rng([seed, int(rate * 1000), int(icc * 100), i]), rate, templates, per_template, icc
        )
        estimate, _ = cluster_rate(hits, clusters, seed=i)
        covered += estimate.covers(rate)
    return covered / datasets


def ice_monotone(templates: int = 20, per_template: int = 5) -> bool:
    """Do both bounds rise (weakly) with every extra success, successes filling one template after another?"""
    from distillscope.ice.scoring import cluster_rate

    n = templates * per_template
    clusters = [f"t{t}" for t in range(templates) for _ in range(per_template)]
    bounds = [cluster_rate([i < k for i in range(n)], clusters)[0] for k in range(n + 1)]
    edges = [(b.low, b.high) for b in bounds if b.low is not None and b.high is not None]
    if len(edges) < len(bounds):  # an interval missing: nothing to be monotone
        return False
    return all(b[0] >= a[0] - 1e-12 and b[1] >= a[1] - 1e-12 for a, b in zip(edges, edges[1:]))


def degenerate_prints_as_exact() -> list[str]:
    """Printed forms of all-equal values that still look like an exact interval `[x, x]` (should be none)."""
    from distillscope.stats import Estimate, bootstrap_mean, cluster_bootstrap, grouped, paired_difference

    printed = [
        bootstrap_mean([5.0] * 12).fmt(),
        cluster_bootstrap([1.0] * 12, [f"p{i // 2}" for i in range(12)])[0].fmt(),
        *(e.fmt() for e in grouped([3.0] * 6, ["a"] * 6).values()),
        paired_difference({f"p{i}": 1.0 for i in range(8)}, {f"p{i}": 1.0 for i in range(8)}).fmt(),
        Estimate(mean=5.0, low=5.0, high=5.0, n=12).fmt(),  # an older results file
    ]
    return [text for text in printed if "[" in text]


def headline_selection_coverage(
    datasets: int, adversaries: int = 3, prompts: int = 100, advantage: float = 0.2, seed: int = 0
) -> dict[str, float]:
    """How often the headline's quoted interval misses the true advantage when the best adversary is picked on the test data.

    `adversaries` independent adversaries share the true advantage; each has
    per-prompt scores v in {-1, 0, 1} with a per-prompt effect. The verdict
    picks the one with the largest decisive lower bound (adversary 0 plays the
    train-selected one, at its 95% bound; the others at their simultaneous
    bounds). "old": the picked one's plain 95% interval misses; "new": the
    quoted lower bound (95% for the train-selected, simultaneous otherwise)
    lies above the truth.
    """
    from distillscope.stats import Estimate, cluster_bootstrap

    level = 1 - 0.05 / adversaries
    old_miss = new_miss = 0
    for i in range(datasets):
        rng = np.random.default_rng([seed, adversaries, prompts, i])
        lows: list[float] = []
        intervals: list[Estimate] = []
        for a in range(adversaries):
            p = rng.beta((1 + advantage) / 2 * 2.0, (1 - advantage) / 2 * 2.0, prompts)  # P(right) per prompt, mean (1 + adv) / 2
            v = (rng.random(prompts) < p).astype(float) + (rng.random(prompts) < p).astype(float) - 1
            estimate, levels = cluster_bootstrap(v.tolist(), None, seed=i * 10 + a, resamples=1000, confidences=(0.95, level))
            intervals.append(estimate)
            low = levels[0.95][0] if a == 0 else levels[level][0]
            lows.append(low if low is not None else -np.inf)  # no interval: no lower bound to quote
        best = int(np.argmax(lows))
        old_miss += not intervals[best].covers(advantage)
        new_miss += lows[best] > advantage
    return {"old_quoted_95_miss": old_miss / datasets, "new_quoted_low_above_truth": new_miss / datasets}
