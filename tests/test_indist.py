"""Indistinguishability calibration on mock answers: a model against itself must look
indistinguishable, two different models must not, and more queries must not hurt."""

import json

import numpy as np
import pytest

from distillscope.indist.advantage import advantage, per_prompt_scores, q_curve, q_values
from distillscope.indist.evaluate import evaluate_indistinguishability
from distillscope.indist.mmd import mmd_power, mmd_test
from distillscope.metrics.stylometry import FEATURE_NAMES, style_features
from distillscope.models.registry import load_model
from distillscope.probes.suite import load_default_suite
from distillscope.records import Paired
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.testing.hashing_embedder import HashingEmbedder
from distillscope.types import SamplingParams


@pytest.fixture(scope="module")
def suite():
    return load_default_suite()


def answers(store, spec, prompts, sampling, sample=0):
    runner = Runner(ResponseStore(store), show_progress=False)
    result = runner.run(load_model(spec), [r for r in requests_for(prompts, sampling) if r.sample_index == sample])
    return [r.text for r in result.responses]


def paired(store, suite, teacher, student, n_train=120, n_test=120, teacher_sample=0, student_sample=0, temperature=0.0):
    sampling = SamplingParams(temperature=temperature, max_tokens=48, n=2, seed=7)
    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        prompts = suite.sample(n, split=split, seed=0)
        out.append(
            Paired(
                prompts=prompts,
                teacher=answers(store, teacher, prompts, sampling, teacher_sample),
                student=answers(store, student, prompts, sampling, student_sample),
            )
        )
    return out


def test_style_features_are_named_and_react_to_markdown():
    plain, markdown = style_features("Just a sentence."), style_features("# Title\n- one\n- two\n```\ncode\n```")
    assert len(plain) == len(FEATURE_NAMES)
    named = dict(zip(FEATURE_NAMES, markdown))
    assert named["headers"] == 1 and named["bullets"] == 2 and named["code_blocks"] == 2


def test_advantage_is_two_accuracy_minus_one():
    teacher = np.array([1.0, 2.0, -1.0, 0.5])  # 3 of 4 right
    student = np.array([-1.0, -2.0, -0.5, 3.0])  # 3 of 4 right
    assert per_prompt_scores(teacher, student).mean() == pytest.approx(2 * 0.75 - 1)
    assert advantage(teacher, student).mean == pytest.approx(0.5)


def test_self_against_self_has_advantage_near_zero(tmp_path, suite):
    train, test = paired(tmp_path / "s.sqlite", suite, "mock/a", "mock/a", teacher_sample=0, student_sample=1, temperature=1.0)
    assert train.teacher != train.student  # two different sampled draws
    result = evaluate_indistinguishability(train, test, ["style", "embed"], embedder=HashingEmbedder())
    for name, adversary in result.learned.items():
        assert adversary.advantage.low <= 0 <= adversary.advantage.high, (name, adversary.advantage)


def test_different_models_are_told_apart(tmp_path, suite):
    train, test = paired(tmp_path / "s.sqlite", suite, "mock/alpha", "mock/beta")
    result = evaluate_indistinguishability(train, test, ["style", "embed", "mmd"], embedder=HashingEmbedder(), mmd_repeats=10)
    assert result.learned["embed"].advantage.mean > 0.9
    assert result.mmd.test.p_value < 0.01
    assert {row.adversary for row in result.epsilon_table} == {"style", "embed", "class"}
    assert all(row.t_seconds > 0 for row in result.epsilon_table)
    assert result.mmd.test.design == "paired" and result.selected in ("style", "embed")
    class_q1 = next(r for r in result.epsilon_table if r.adversary == "class" and r.q == 1)
    per_adversary = [r for r in result.epsilon_table if r.adversary != "class" and r.q == 1]
    # the class bound is the largest simultaneous (Bonferroni, k = 2) |Adv| bound, never below any 95% bound
    assert class_q1.epsilon == max(r.epsilon_simultaneous for r in per_adversary)
    assert class_q1.epsilon >= max(r.epsilon for r in per_adversary) and class_q1.simultaneous_confidence == 0.975
    assert result.epsilon_class.epsilon == class_q1.epsilon and result.epsilon_class.k == 2
    assert result.epsilon_class.adversary == class_q1.worst and result.epsilon_class.missing == []


def test_q_curves_do_not_decrease_on_average():
    rng = np.random.default_rng(0)
    teacher, student = rng.normal(0.3, 1.0, 200), rng.normal(-0.3, 1.0, 200)  # a weak per-answer signal
    curve = q_curve(teacher, student, seed=0)
    means = [curve[q].mean for q in q_values(200)]
    assert means[-1] > means[0] + 0.3
    assert all(later >= earlier - 0.05 for earlier, later in zip(means, means[1:]))
    assert max(curve) <= 200 // 4  # beyond n/4 the groups overlap too much
    assert curve[1] == advantage(teacher, student, seed=0)  # q = 1 is the advantage estimate, interval included


def test_mmd_false_positive_rate_is_near_alpha():
    rng = np.random.default_rng(1)
    rejections = 0
    repetitions = 100
    for i in range(repetitions):
        x, y = rng.normal(size=(30, 8)), rng.normal(size=(30, 8))
        rejections += mmd_test(x, y, permutations=200, seed=i).p_value < 0.05
    # binomial(100, 0.05): 99.9% of runs fall within 0..13
    assert rejections <= 13


def test_mmd_power_grows_with_samples():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(200, 8)), rng.normal(0.35, 1.0, size=(200, 8))
    power = mmd_power(x, y, sizes=[8, 128], repeats=20, permutations=100)
    assert power[128].mean > power[8].mean and power[128].mean >= 0.9


def test_pairwise_judge_keeps_only_order_consistent_verdicts(tmp_path, suite):
    store = tmp_path / "s.sqlite"
    train, test = paired(store, suite, "mock/alpha", "mock/beta", n_train=40, n_test=40)
    runner = Runner(ResponseStore(store), show_progress=False)
    judge = load_model("mock/j?judge=pairwise")
    result = evaluate_indistinguishability(train, test, ["judge"], runner=runner, judge=judge)
    assert result.judge.coverage.mean == 1.0 and result.judge.advantage.mean == 1.0
    same_train, same_test = paired(store, suite, "mock/a", "mock/a", n_train=40, n_test=40, temperature=1.0, student_sample=1)
    biased = evaluate_indistinguishability(same_train, same_test, ["judge"], runner=runner, judge=judge).judge
    assert biased.consistent == 0 and biased.advantage_all_pairs.mean == 0.0  # always "A": thrown away, not counted as skill


def test_indist_command_generates_and_writes_the_epsilon_table(cli, tmp_path, monkeypatch):

    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder())
    out = tmp_path / "indist.json"
    code, stdout, err = cli(
        "indist",
        "--teacher",
        "mock/alpha",
        "--student",
        "mock/beta",
        "--adversaries",
        "style,embed,mmd,judge",
        "--judge",
        "mock/j?judge=pairwise",
        "--n",
        "30",
        "--n-train",
        "30",
        "-o",
        out,
        "--no-progress",
        "--force-invalid",  # the mock judge says "A" without examples: it fails its control, and would be left out
    )
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["kind"] == "indist" and data["models"]["pairwise_judges"] == {"mock/beta": "mock/j?judge=pairwise"}
    rows = data["students"]["mock/beta"]["indist"]["epsilon_table"]
    assert {r["adversary"] for r in rows} == {"style", "embed", "judge", "class"} and "(ε, q, t, A)" in stdout


def test_indist_command_refuses_unknown_adversaries_and_a_judge_less_judge_run(cli):
    code, _, err = cli("indist", "--teacher", "mock/a", "--student", "mock/b", "--adversaries", "style,psychic")
    assert code == 2 and "psychic" in err
    code, _, err = cli("indist", "--teacher", "mock/a", "--student", "mock/b", "--adversaries", "judge")
    assert code == 2 and "--judge" in err


def test_encoder_adversary_fine_tunes_and_separates_two_models(tmp_path, suite):
    pytest.importorskip("torch")
    from distillscope.indist.adversaries import Adversary
    from distillscope.indist.encoder import EncoderAdversary
    from distillscope.models.mock import _VOCABULARY
    from distillscope.models.tiny_hf import make_tiny_encoder

    model_dir = make_tiny_encoder(tmp_path / "tiny", words=[*_VOCABULARY, "alpha", "beta"])
    train, test = paired(tmp_path / "s.sqlite", suite, "mock/alpha", "mock/beta", n_train=60, n_test=40)
    adversary = EncoderAdversary(model_dir=model_dir, epochs=4, batch_size=8, learning_rate=1e-3)
    assert isinstance(adversary, Adversary)
    result = evaluate_indistinguishability(
        train, test, ["encoder"], encoder_options={"model_dir": model_dir, "epochs": 4, "batch_size": 8, "learning_rate": 1e-3}
    )
    assert result.learned["encoder"].advantage.mean > 0.8
    adversary.fit(train.teacher + train.student, [1] * 60 + [0] * 60)
    assert np.mean(adversary.losses[-5:]) < np.mean(adversary.losses[:5])  # it learned
    assert adversary.train_seconds > 0


def prompt_effect_embeddings(seed, prompts=60, samples=2, shift=0.0):
    from distillscope.calibration.simulate import simulate_embeddings

    return simulate_embeddings(np.random.default_rng(seed), prompts, samples, shift=shift)


def test_paired_mmd_sees_a_shift_the_pooled_relabelling_misses():
    data = prompt_effect_embeddings(0, shift=1.5)
    paired = mmd_test(data.teacher, data.student, permutations=200, clusters=data.clusters)
    pooled = mmd_test(data.teacher, data.student, permutations=200, design="pooled")
    assert paired.design == "paired" and paired.n_prompts == 60 and paired.p_value < 0.01
    assert pooled.p_value > 0.5  # the prompt effect swamps the pooled null: why it is not used on paired answers
    null = prompt_effect_embeddings(1)
    assert mmd_test(null.teacher, null.student, permutations=200, clusters=null.clusters).p_value > 0.05
    split = mmd_test(data.teacher, data.student, permutations=200, design="split", clusters=data.clusters)
    assert split.design == "split" and split.n_x + split.n_y == len(data.clusters)  # each prompt answered by one model only


def test_paired_mmd_p_value_is_one_plus_count_over_one_plus_b():
    data = prompt_effect_embeddings(2)
    result = mmd_test(data.teacher, data.student, permutations=99, clusters=data.clusters)
    assert round(result.p_value * 100) == result.p_value * 100 and 0.01 <= result.p_value <= 1.0
    power = mmd_power(data.teacher, data.student, sizes=[8, 16], repeats=5, permutations=50, clusters=data.clusters)
    assert set(power) == {8, 16}


def test_answer_samples_pair_by_prompt_and_sample_index(tmp_path, suite):
    from distillscope.runner.answers import answer_samples, answer_texts

    prompts = suite.sample(6, split="test", seed=0)
    sampling = SamplingParams(temperature=1.0, max_tokens=16, n=3, seed=1)
    runner = Runner(ResponseStore(tmp_path / "s.sqlite"), show_progress=False)
    teacher, student = load_model("mock/alpha"), load_model("mock/beta")
    t_samples, s_samples = answer_samples(runner, teacher, prompts, sampling), answer_samples(runner, student, prompts, sampling)
    assert [len(x) for x in t_samples] == [3] * 6
    direct = runner.run(teacher, requests_for(prompts, sampling)).responses
    assert t_samples[2][1] == next(r.text for r in direct if r.prompt_id == prompts[2].id and r.sample_index == 1)
    assert answer_texts(runner, teacher, prompts, sampling) == [x[0] for x in t_samples]  # one per prompt, sample 0
    pairs, dropped = Paired.from_answers(prompts, t_samples, s_samples)
    assert dropped == 0 and len(pairs.prompts) == 18 and pairs.n_prompts == 6 and pairs.samples_per_prompt == 3
    assert pairs.sample_index[:3] == [0, 1, 2] and pairs.teacher[4] == t_samples[1][1] and pairs.student[4] == s_samples[1][1]
    s_samples[0][2] = None
    assert Paired.from_answers(prompts, t_samples, s_samples)[1] == 1


def test_advantage_interval_resamples_prompts_not_rows():
    from distillscope.indist.advantage import advantage_intervals

    rng = np.random.default_rng(3)
    per_prompt = rng.normal(0, 2, 40)
    teacher, student = np.repeat(per_prompt, 5) + rng.normal(0, 0.1, 200), -np.repeat(per_prompt, 5)
    clusters = [f"p{i}" for i in range(40) for _ in range(5)]
    by_prompt, _ = advantage_intervals(teacher, student, clusters)
    as_rows, _ = advantage_intervals(teacher, student, None)
    assert by_prompt.mean == as_rows.mean and by_prompt.n == 40 and as_rows.n == 200
    assert by_prompt.high - by_prompt.low > 1.5 * (as_rows.high - as_rows.low)  # rows of one prompt are not independent


def test_q_curve_groups_never_repeat_a_prompt_and_q1_is_the_advantage():
    from distillscope.indist.advantage import _distinct_groups, q_curve_intervals

    rng = np.random.default_rng(0)
    resample = rng.integers(0, 40, 40)
    groups = _distinct_groups(resample, 10, 500, rng)
    assert all(len(set(g)) == 10 for g in groups) and set(groups.ravel()) <= set(resample)
    teacher, student = rng.normal(0.2, 1, 80), rng.normal(-0.2, 1, 80)
    clusters = [f"p{i // 2}" for i in range(80)]  # two samples per prompt
    curve, intervals, draws = q_curve_intervals(teacher, student, clusters, confidences=(0.95, 0.975), resamples=100)
    assert curve[1] == advantage(teacher, student, clusters=clusters) and max(curve) <= 40 // 4
    assert all(intervals[q][0.975][0] <= intervals[q][0.95][0] for q in draws)  # the simultaneous interval is wider


def test_degenerate_and_verdict_less_adversaries_get_no_epsilon():
    from distillscope.indist.epsilon import Bound, epsilon_table
    from distillscope.stats import Estimate

    perfect = advantage(np.ones(30), -np.ones(30))
    assert perfect.mean == 1.0 and perfect.low is None and "degenerate" in perfect.status
    judge = Bound(
        name="judge",
        q=1,
        estimate=Estimate(mean=0.0, low=0.0, high=0.0, n=30),
        simultaneous=(0.0, 0.0),
        t_seconds=1.0,
        status="no usable verdicts (0 of 30 pairs order-consistent)",
    )
    style = Bound(name="style", q=1, estimate=Estimate(mean=-0.3, low=-0.45, high=-0.1, n=30), simultaneous=(-0.5, -0.05), t_seconds=2.0)
    embed = Bound(name="embed", q=1, estimate=perfect, simultaneous=(None, None), t_seconds=1.0)
    rows = {r.adversary: r for r in epsilon_table([judge, style, embed], selected="style")}
    assert rows["judge"].epsilon is None and "no usable verdicts" in rows["judge"].status
    assert rows["embed"].epsilon is None and "degenerate" in rows["embed"].status
    assert rows["style"].epsilon == 0.45 and rows["style"].epsilon_simultaneous == 0.5  # |Adv|: a reliably wrong adversary counts
    assert rows["class"].epsilon == 0.5 and rows["class"].selected == "style" and rows["class"].advantage == -0.3
    assert "judge" in rows["class"].status and "embed" in rows["class"].status
    assert rows["class"].missing == ["judge", "embed"] and rows["class"].worst == "style"
    assert rows["class"].simultaneous_confidence == pytest.approx(1 - 0.05 / 3)


def test_logistic_adversary_inner_cv_is_grouped_by_prompt(monkeypatch):
    import sklearn.model_selection as model_selection

    from distillscope.indist.adversaries import StyleAdversary

    seen = {}
    original = model_selection.GroupKFold.split

    def spy(self, X, y=None, groups=None):  # noqa: N803
        for train, test in original(self, X, y, groups):
            seen.setdefault("folds", []).append((set(np.asarray(groups)[train]), set(np.asarray(groups)[test])))
            yield train, test

    monkeypatch.setattr(model_selection.GroupKFold, "split", spy)
    texts = [f"answer {i} " + ("- list" if i % 2 else "plain") for i in range(40)]
    StyleAdversary().fit(texts, [i % 2 for i in range(40)], groups=[f"p{i // 2}" for i in range(40)])
    assert seen["folds"] and all(not (train & test) for train, test in seen["folds"])


def test_indist_command_pairs_several_samples_per_prompt(cli, tmp_path, monkeypatch):

    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder())
    out = tmp_path / "indist.json"
    code, stdout, err = cli(
        "indist",
        "--teacher",
        "mock/alpha",
        "--student",
        "mock/beta",
        "--adversaries",
        "style,mmd",
        "--n",
        "20",
        "--n-train",
        "20",
        "--samples",
        "2",
        "--temperature",
        "1.0",
        "-o",
        out,
        "--no-progress",
    )
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["prompts"]["n_test"] == 20 and data["sampling"]["n"] == 2
    results = data["students"]["mock/beta"]["indist"]
    assert results["samples_per_prompt"] == 2 and results["mmd"]["test"]["design"] == "paired"
    assert results["learned"]["style"]["advantage"]["n"] == 20  # intervals count prompts, not answers
    code, _, err = cli("indist", "--teacher", "mock/a", "--student", "mock/b", "--adversaries", "mmd", "--mmd-design", "pooled")
    assert code == 2 and "split" in err


class SlowCachedEmbedder:
    """Encoding costs 20 ms a text; the cache serves a text for free, as the store's embedding cache does."""

    def __init__(self, cache):
        self.cache, self.encoded_texts = cache, 0

    def embed(self, texts):
        import time

        fresh = [t for t in dict.fromkeys(texts) if self.cache is None or t not in self.cache]
        time.sleep(0.02 * len(fresh))
        self.encoded_texts += len(fresh)
        if self.cache is not None:
            self.cache.update(dict.fromkeys(fresh))
        return np.asarray([[len(t) % 7, t.count("beta")] for t in texts], dtype=float)


def test_embedding_adversary_t_does_not_depend_on_the_cache():
    from distillscope.indist.adversaries import EmbeddingAdversary

    texts = [f"answer {i} {'beta' if i % 2 else 'alpha'}" for i in range(30)]
    labels = [i % 2 for i in range(30)]
    cold = EmbeddingAdversary(SlowCachedEmbedder({})).fit(texts, labels)
    warm_embedder = SlowCachedEmbedder({})
    warm_embedder.embed(texts)  # everything cached before the adversary runs
    warm = EmbeddingAdversary(warm_embedder).fit(texts, labels)
    assert warm.cached_texts == 30 and cold.cached_texts == 0
    # the 30 cached texts are charged at the measured rate (20 ms each), so t still holds the encoding work
    assert 0.55 <= warm.uncached_seconds <= 3.0 and warm.train_seconds >= 0.55 and cold.train_seconds >= 0.55


def test_a_rerun_charges_cached_texts_at_the_stored_encoding_rate_and_loads_no_model():
    """The store keeps each encoding's seconds per text; an adversary over cached texts reads it and loads nothing."""
    from distillscope.indist.adversaries import EmbeddingAdversary
    from distillscope.metrics.embeddings import CachedEmbedder, EmbeddingCache

    class SlowEmbedder(CachedEmbedder):
        name = "slow-test-embedder"
        loads = 0

        def __init__(self, cache):
            self.cache, self._model, self.encoded_texts = cache, None, 0

        def model(self):
            if self._model is None:
                type(self).loads += 1
                self._model = object()
            return self._model

        def _encode(self, texts):
            import time

            time.sleep(0.02 * len(texts))
            return [np.asarray([len(t) % 7, t.count("beta")], dtype=np.float32) for t in texts]

    cache = EmbeddingCache(":memory:")
    texts = [f"answer {i} {'beta' if i % 2 else 'alpha'}" for i in range(30)]
    labels = [i % 2 for i in range(30)]
    EmbeddingAdversary(SlowEmbedder(cache)).fit(texts, labels)  # encodes all 30: the rate is kept
    assert cache.rate("slow-test-embedder") is not None and 0.015 <= cache.rate("slow-test-embedder") <= 0.2
    SlowEmbedder.loads = 0
    warm = EmbeddingAdversary(SlowEmbedder(cache)).fit(texts, labels)  # a re-run: every text cached
    assert SlowEmbedder.loads == 0 and warm.cached_texts == 30
    assert 0.45 <= warm.uncached_seconds <= 6.0  # 30 texts at the kept rate (about 20 ms each)
    cache.record_rate("slow-test-embedder", 1.0, 2)  # a measurement of 2 texts replaces no earlier one
    assert cache.rate("slow-test-embedder") < 0.5


def test_mmd_power_interval_counts_disjoint_blocks_not_subsamples():
    data = prompt_effect_embeddings(2)
    prompts = len(set(data.clusters))
    power = mmd_power(data.teacher, data.student, sizes=[4, prompts], repeats=20, permutations=50, clusters=data.clusters)
    assert power[4].n == prompts // 4 and power[prompts].n == 1
    # one block: one dataset cannot say how often a fresh one rejects, whatever 20 repeats of it give
    assert power[prompts].low <= 0.03 and power[prompts].high >= 0.97
    assert power[4].high - power[4].low < power[prompts].high - power[prompts].low
