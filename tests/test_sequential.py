"""The sequential test by betting: valid under the null at every stopping rule, blind to the observation it bets on,
quick to reject a real difference, and driven through the runner and the CLI."""

import json
import math

import numpy as np
import pytest

from distillscope.indist.betting import BettingTest, MixtureBettor, NoBet, OnlineNewtonBettor, bet_grid
from distillscope.indist.confseq import ConfidenceSequence
from distillscope.indist.sequential import SequentialSettings, batch_sizes, stratified_order
from distillscope.indist.sequential_sim import (
    null_pairs_from_pool,
    paired_features,
    rejection_rates,
    run_on_pairs,
    sample_pool,
)
from distillscope.indist.witness import (
    KernelWitness,
    LogisticWitness,
    MeanDifferenceWitness,
    MixtureWitnessFitter,
    PairObservation,
    logistic_witness,
)
from distillscope.types import Prompt

NULL_RUNS = 200
SETTINGS = SequentialSettings(alpha=0.05, max_queries=160, batch=20)
FIRST_VERSION = SETTINGS.model_copy(update={"betting": "ons", "witness": "logistic", "ramp": False})


def null_runs(witness_for=None, runs: int = NULL_RUNS, seed: int = 0, settings: SequentialSettings = SETTINGS):
    """Both arms drawn from one pool of one model's samples (4 per prompt): exchangeable given the prompt."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(runs):
        teacher, student = null_pairs_from_pool(sample_pool(settings.max_queries, 4, 6, rng), rng)
        if witness_for:
            fit = witness_for(teacher, student)
        else:
            fit = MixtureWitnessFitter(advantage=False) if settings.witness == "mixture" else logistic_witness(advantage=False)
        out.append(run_on_pairs(teacher, student, settings, fit))
    return out


@pytest.mark.parametrize("settings", [SETTINGS, FIRST_VERSION], ids=["mixture", "first-version"])
def test_type_one_error_stays_below_alpha_at_every_stopping_rule(settings):
    runs = null_runs(settings=settings)
    rates = rejection_rates(runs, settings.alpha)
    assert {r.rule for r in rates} == {"first crossing", "at max", "random time"}
    for rate in rates:
        assert rate.runs == NULL_RUNS
        assert rate.rate <= rate.allowed, rate
    assert max(run.test.max_log_wealth for run in runs) > 0  # the bettor did bet: the test could have failed


def peeking_witness(teacher: np.ndarray, student: np.ndarray):
    """A cheat: fits on the past *and the batch about to be revealed*, which it reads from the data it closed over."""

    def fit(history):
        if len(history) < 8:
            return NoBet()
        upcoming = range(len(history), min(len(history) + SETTINGS.batch, len(teacher)))  # holds the next batch
        return LogisticWitness([PairObservation.of(teacher[i], student[i]) for i in upcoming], strength=100.0, advantage=False)

    return fit


def test_a_martingale_that_bets_on_the_observations_it_scores_is_caught():
    rates = {r.rule: r for r in rejection_rates(null_runs(peeking_witness, runs=40), SETTINGS.alpha)}
    assert rates["first crossing"].rate > 0.5  # ten times the level: the calibration check exposes it


def test_the_witness_is_fixed_and_the_bet_read_before_the_batch_is_revealed():
    events = []
    rng = np.random.default_rng(1)
    pairs = [PairObservation.of(*rng.normal(size=(2, 3))) for _ in range(30)]

    def fit(history):
        events.append(("fit", len(history)))
        return NoBet()

    test = BettingTest(fit, alpha=0.05)
    for start in (0, 10, 20):
        test.step(lambda start=start: events.append(("reveal", start)) or pairs[start : start + 10])
    assert events == [("fit", 0), ("reveal", 0), ("fit", 10), ("reveal", 10), ("fit", 20), ("reveal", 20)]
    assert pairs[0].teacher.flags.writeable is False  # the history handed to a witness cannot be edited either


def test_payoffs_are_odd_in_the_pair_so_swapping_answers_flips_them():
    rng = np.random.default_rng(2)
    teacher, student = paired_features(60, 5, rng, effect=1.0)
    history = tuple(PairObservation.of(t, s) for t, s in zip(teacher[:50], student[:50]))
    witness = LogisticWitness(history)
    new = [PairObservation.of(t, s) for t, s in zip(teacher[50:], student[50:])]
    swapped = [PairObservation.of(o.student, o.teacher) for o in new]
    assert np.allclose(witness.payoffs(new), -witness.payoffs(swapped))
    assert np.all(np.abs(witness.payoffs(new)) <= 1)


@pytest.mark.parametrize("witness", [MeanDifferenceWitness, KernelWitness])
def test_mean_difference_and_kernel_payoffs_are_odd_and_bounded(witness):
    rng = np.random.default_rng(2)
    teacher, student = paired_features(60, 5, rng, effect=1.0)
    fitted = witness(tuple(PairObservation.of(t, s) for t, s in zip(teacher[:50], student[:50])))
    new = [PairObservation.of(t, s) for t, s in zip(teacher[50:], student[50:])]
    swapped = [PairObservation.of(o.student, o.teacher) for o in new]
    assert np.allclose(fitted.payoffs(new), -fitted.payoffs(swapped))
    assert np.all(np.abs(fitted.payoffs(new)) <= 1) and np.mean(fitted.payoffs(new)) > 0.2  # it points the right way


def test_mixture_wealth_is_the_average_of_its_fixed_bet_parts():
    rng = np.random.default_rng(5)
    payoffs = rng.uniform(-1, 1, size=(40, 3))
    bettor, log_wealth = MixtureBettor(bet_grid(0.9), columns=3), 0.0
    for row in payoffs:
        assert 0 < bettor.bet() <= 0.9
        log_wealth += bettor.observe(row)
    parts = [np.prod(1 + bet * payoffs[:, j]) for j in range(3) for bet in bet_grid(0.9)]
    assert math.isclose(log_wealth, math.log(np.mean(parts)), rel_tol=1e-9)
    with pytest.raises(ValueError):
        MixtureBettor([0.5, 1.0])


def test_the_mixture_rejects_within_a_handful_of_clear_pairs():
    test = BettingTest(
        lambda history: (
            NoBet()
            if not history
            else type("Sure", (), {"payoffs": lambda self, obs: [0.9] * len(obs), "advantages": lambda self, obs: None})()
        ),
        alpha=0.05,
    )
    for _ in range(10):
        test.step(lambda: [object()])
    assert test.rejected and test.max_log_wealth < math.log(1 / 0.05) + 1.5  # after 10 pairs (the ONS needs ~20)


def test_batches_ramp_up_to_the_batch_size_and_end_at_the_budget():
    assert batch_sizes(SequentialSettings(batch=10, ramp=True), 57) == [1, 1, 2, 2, 4, 4, 8, 8, 10, 10, 7]
    assert batch_sizes(SequentialSettings(batch=10, ramp=False), 25) == [10, 10, 5]


def test_online_newton_bets_stay_within_the_cap():
    bettor = OnlineNewtonBettor(cap=0.5)
    for payoff in [1.0] * 50 + [-1.0] * 50:
        assert -0.5 <= bettor.bet() <= 0.5
        bettor.observe(payoff)
    with pytest.raises(ValueError):
        OnlineNewtonBettor(cap=0.9)


def test_a_real_difference_is_found_well_before_the_budget():
    rng = np.random.default_rng(3)
    teacher, student = paired_features(400, 6, rng, effect=1.5)  # a shift half the per-prompt spread
    run = run_on_pairs(teacher, student, SequentialSettings(max_queries=400, batch=10), stop_at_rejection=True)
    first = run_on_pairs(
        teacher,
        student,
        SequentialSettings(max_queries=400, batch=10, betting="ons", witness="logistic", ramp=False),
        stop_at_rejection=True,
    )
    assert run.rejected and run.test.n < 60
    assert first.rejected and first.test.n < 200


def test_the_advantage_sequence_excludes_zero_once_answers_alone_give_the_model_away():
    rng = np.random.default_rng(3)
    teacher, student = paired_features(300, 6, rng, effect=3.0, prompt_scale=1.0)
    run = run_on_pairs(teacher, student, SequentialSettings(max_queries=300, batch=20))
    interval = run.confidence.interval()
    before_adversary = min(int(c) for c in np.cumsum(batch_sizes(run.settings, 300)) if c >= 8)  # it waits for 8 pairs
    assert 0.3 < interval.low <= interval.mean <= interval.high and interval.n == 300 - before_adversary


def test_confidence_sequence_covers_the_mean_at_all_times():
    rng = np.random.default_rng(4)
    mean, misses = float(np.mean(np.clip(rng.normal(0.3, 0.5, 200_000), -1, 1))), 0  # of the clipped distribution
    for _ in range(200):
        values = np.clip(rng.normal(0.3, 0.5, 300), -1, 1)
        cs, missed = ConfidenceSequence(alpha=0.1), False
        for start in range(0, 300, 10):
            cs.update(values[start : start + 10])
            interval = cs.interval()
            missed |= not interval.low <= mean <= interval.high
        misses += missed
    assert misses / 200 <= 0.1 + 2.33 * math.sqrt(0.1 * 0.9 / 200)
    assert cs.interval().high - cs.interval().low < 0.4  # and it shrinks


def test_stratified_order_keeps_every_prefix_stratified():
    prompts = [Prompt(text=f"p{i}", category=c) for c, size in (("a", 50), ("b", 30), ("c", 20)) for i in range(size)]
    order = stratified_order(prompts, seed=0)
    assert sorted(p.id for p in order) == sorted(p.id for p in prompts)
    assert order == stratified_order(prompts, seed=0) and order != stratified_order(prompts, seed=1)
    for t in range(1, len(order) + 1):
        for category, share in (("a", 0.5), ("b", 0.3), ("c", 0.2)):
            assert abs(sum(p.category == category for p in order[:t]) - share * t) <= 1


@pytest.fixture
def hashing_embedder(monkeypatch):
    from distillscope.testing.hashing_embedder import HashingEmbedder

    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder(256))


def test_cli_sequential_rejects_two_different_models_and_writes_the_trajectory(cli, tmp_path, hashing_embedder):
    out = tmp_path / "seq.json"
    args = ["indist", "--sequential", "--teacher", "mock/alpha", "--student", "mock/beta"]
    args += ["--max-queries", "120", "--batch", "10", "--max-tokens", "32", "--out", out, "--no-progress"]
    code, stdout, _ = cli(*args)
    assert code == 0
    assert "distinguishable at α = 0.05" in stdout and "not shown" not in stdout
    data = json.loads(out.read_text())
    result = data["students"]["mock/beta"]["sequential"]
    assert data["kind"] == "indist-sequential" and result["decision"] == "distinguishable" and result["stopped_by"] == "wealth"
    assert result["max_e_value"] >= 20 and result["pairs"] < 120
    assert [p["queries"] for p in result["trajectory"]] == list(np.cumsum(batch_sizes(SequentialSettings(), 120)))[
        : len(result["trajectory"])
    ]
    assert result["queries"] == {"mock/alpha": result["pairs"], "mock/beta": result["pairs"]}
    assert data["cost"]["models"]["mock/alpha"]["paid_queries"] == result["pairs"]
    assert data["cost"]["total"]["cost"] == 0.0  # local models have no price
    # a re-run pays for nothing: every answer comes from the store
    cli(*args)
    again = json.loads(out.read_text())
    assert again["cost"]["total"]["paid_queries"] == 0 and again["students"]["mock/beta"]["sequential"]["pairs"] == result["pairs"]


def test_cli_sequential_on_one_model_stops_at_the_budget_without_a_verdict(cli, tmp_path, hashing_embedder):
    out = tmp_path / "seq.json"
    code, stdout, _ = cli(
        "indist",
        "--sequential",
        "--teacher",
        "mock/same",
        "--student",
        "mock/same",
        "--max-queries",
        "40",
        "--batch",
        "20",
        "--max-tokens",
        "32",
        "--out",
        out,
        "--no-progress",
    )
    assert code == 0 and "not shown distinguishable at this budget" in stdout
    result = json.loads(out.read_text())["students"]["mock/same"]["sequential"]
    assert result["stopped_by"] == "max_queries" and result["e_value"] < 20


def test_audit_runs_the_sequential_test_per_student_and_splits_the_cost_per_metric(cli, tmp_path, monkeypatch):
    import distillscope.metrics.embeddings as embeddings
    from distillscope.testing.hashing_embedder import HashingEmbedder

    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: HashingEmbedder(256))
    config = tmp_path / "audit.yaml"
    config.write_text(
        json.dumps(
            {
                "teacher": "mock/alpha",
                "students": ["mock/beta"],
                "metrics": ["similarity"],
                "n": 20,
                "max_tokens": 32,
                "sequential": {"alpha": 0.05, "max_queries": 150, "batch": 10},
            }
        )
    )
    code, stdout, err = cli("audit", "--config", config, "-o", tmp_path / "out", "--no-progress")
    assert code == 0, err
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    sequential = data["students"]["mock/beta"]["sequential"]
    assert sequential["decision"] == "distinguishable" and sequential["trajectory"]
    per_metric = data["cost"]["per_student"]["mock/beta"]
    assert set(per_metric) == {"answers", "sequential"}  # similarity asks no model
    asked = per_metric["sequential"]["total"]
    assert asked["paid_queries"] + asked["cached_queries"] == 2 * sequential["pairs"]
    assert "cost (USD)" in stdout


def test_sequential_options_without_sequential_are_refused_in_one_line(cli):
    code, _, err = cli("indist", "--teacher", "mock/a", "--student", "mock/b", "--batch", "5")
    assert code == 2 and "only apply to the sequential test" in err and len(err.strip().splitlines()) == 1


def test_cli_rerun_with_a_larger_budget_continues_from_the_stored_answers(cli, tmp_path, hashing_embedder):
    store = tmp_path / "s.sqlite"

    def run(budget: int) -> tuple[dict, str]:
        out = tmp_path / f"seq{budget}.json"
        args = ["indist", "--sequential", "--teacher", "mock/alpha", "--student", "mock/beta", "--max-queries", str(budget)]
        code, stdout, err = cli(*args, "--batch", "10", "--max-tokens", "32", "--store", store, "--out", out, "--no-progress")
        assert code == 0, err
        return json.loads(out.read_text()), stdout

    small, _ = run(25)
    large, stdout = run(60)
    first, second = small["students"]["mock/beta"]["sequential"], large["students"]["mock/beta"]["sequential"]
    assert first["decision"] != "distinguishable"  # otherwise there is nothing to continue
    assert second["prompt_ids"][:25] == first["prompt_ids"]  # same prompts, same order
    assert large["cost"]["models"]["mock/alpha"]["paid_queries"] == second["pairs"] - first["pairs"]  # only the new ones are paid
    common = [p for p in first["trajectory"] if p["queries"] in {q["queries"] for q in second["trajectory"]}]
    assert len(common) == len(first["trajectory"]) - 1  # all but the budget-cut last batch sit on the larger run's path
    assert common == second["trajectory"][: len(common)]
    # what the interval covers is named where it is printed and stored
    assert "online_advantage" in second and "advantage" not in second
    assert "not a bound on the final adversary" in stdout


def test_results_written_before_the_rename_still_load():
    from distillscope.indist.sequential import WealthPoint

    point = WealthPoint.model_validate({"queries": 1, "pairs": 1, "wealth": 1.0, "advantage_low": -0.5, "advantage_high": 0.5})
    assert (point.online_advantage_low, point.online_advantage_high) == (-0.5, 0.5)
