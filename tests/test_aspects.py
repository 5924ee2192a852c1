"""Offline aspect similarity: style, skeleton, order of ideas, shared key terms, token alignment."""

import numpy as np
import pytest
from metric_data import load_pairs

from distillscope.controls.ladder import LadderSet, choose_ladder_prompts, run_ladder
from distillscope.metrics.aspects import ASPECT_MEASURES, aspect_measure, aspect_scores, evaluate_aspects
from distillscope.metrics.aspects.content import (
    LexicalTokens,
    content_term_f1,
    greedy_alignment_f1,
    key_terms,
)
from distillscope.metrics.aspects.structure import idea_order_similarity, skeleton, structure_similarity
from distillscope.metrics.aspects.style import style_similarity

MARKDOWN = """# Setting up

Install the package first, then check the version.

1. Download the installer.
2. Run it.

- fast
- small

```python
import distillscope
print(distillscope.__version__)
```

| option | meaning |
| --- | --- |
| n | prompts |
"""


def test_skeleton_reads_headings_steps_lists_code_and_tables():
    assert skeleton(MARKDOWN) == ["H", "Ps", "N", "N", "B", "B", "Cs", "T"]
    assert skeleton("一、准备材料\n二、开始烹饪") == ["N", "N"]
    assert skeleton("```\nunclosed code") == ["Cs"]  # a cut answer's open fence still counts as code


def test_structure_compares_shapes_not_words():
    other_words = MARKDOWN.replace("Install", "Remove").replace("Download", "Fetch").replace("fast", "slow")
    prose = "Install the package. Then download the installer and run it; it is fast and small."
    assert structure_similarity(MARKDOWN, other_words) == 1.0
    assert structure_similarity(MARKDOWN, prose) < 0.3


def test_idea_order_rewards_the_same_ideas_in_the_same_order():
    answer = "First measure the flour, then knead the dough, then bake the bread, finally slice it."
    reordered = "Slice the bread, bake it, knead the dough, and measure the flour."
    same_order = "Measure flour; knead dough; bake bread; slice."
    assert idea_order_similarity(answer, same_order) > idea_order_similarity(answer, reordered)


def test_content_terms_share_numbers_names_and_chinese_bigrams():
    assert {"#1000", "#3.5", "python", "guido"} <= key_terms("Guido wrote Python; it costs 1,000 or 3.5 dollars.")
    assert "the" not in key_terms("the and of")
    assert content_term_f1("The budget is 1,000 dollars for Paris.", "Paris: a 1000 dollar budget") > 0.5
    assert content_term_f1("杭州是阿里云的总部所在地", "阿里云总部位于杭州") > content_term_f1("杭州是阿里云的总部所在地", "北京有很多公园")


def test_style_tells_markdown_habits_from_plain_prose():
    prose_a = "Sure, here is a short answer. The package installs quickly and runs on any laptop."
    prose_b = "Of course, a brief reply. The tool sets up in minutes and works on most computers."
    assert style_similarity(prose_a, prose_a) == 1.0
    assert style_similarity(prose_a, prose_b) > style_similarity(prose_a, MARKDOWN)


def test_greedy_alignment_f1_on_vectors_and_on_word_ids():
    eye = np.eye(3, dtype=np.float32)
    assert greedy_alignment_f1(eye, eye) == pytest.approx(1.0)
    assert greedy_alignment_f1(eye[:1], eye[1:]) == pytest.approx(0.0)
    a, b = LexicalTokens().token_vectors(["the cat sat on the mat", "the cat ran"])
    # word matches: recall 4/6 of the reference's tokens (the, cat, the), precision 2/3 of the candidate's
    assert greedy_alignment_f1(a, b) == pytest.approx(2 * (3 / 6) * (2 / 3) / (3 / 6 + 2 / 3))


def test_identical_answers_score_1_on_every_aspect_and_results_are_per_category():
    prompts, texts = load_pairs()
    same = aspect_scores(texts["qwen_greedy"], texts["qwen_greedy"])
    assert set(same) == set(ASPECT_MEASURES) and all(np.allclose(v, 1.0) for v in same.values())
    result = evaluate_aspects(prompts, texts["qwen_greedy"], texts["smollm2_greedy"])
    assert result.n_pairs == len(prompts) and set(result.by_category) == {p.category for p in prompts}
    estimate = result.overall["content_terms"]
    assert estimate.low < estimate.mean < estimate.high < 1.0 and estimate.n == len(prompts)


def test_on_real_answers_content_measures_separate_a_resample_from_another_prompts_answer():
    prompts, texts = load_pairs()
    reference = texts["qwen_greedy"]
    picks, crossed = choose_ladder_prompts(prompts, reference, n=20, seed=0)
    ladder = LadderSet(
        prompts=[prompts[i] for i, _ in picks],
        reference=[reference[i] for i, _ in picks],
        resample=[texts["qwen_t07"][i] for i, _ in picks],
        other_prompt=[reference[j] for _, j in picks],
        other_prompt_ids=[prompts[j].id for _, j in picks],
        cross_category=crossed,
        resample_source="replay",
    )
    result = run_ladder(ladder, {"aspects": aspect_measure()})
    assert set(result.measures) == set(ASPECT_MEASURES)
    for name in ASPECT_MEASURES:
        control = result.measures[name]
        assert control.auc_self_vs_other.mean == 1.0
        assert control.rungs["resample"].summary.mean > control.rungs["other_prompt"].summary.mean, name
    for name in ("content_terms", "content_alignment"):
        assert result.measures[name].auc_resample_vs_other.mean > 0.7, name


def test_minilm_token_alignment_credits_paraphrase():
    pytest.importorskip("sentence_transformers")
    from distillscope.metrics.aspects.content import MiniLMTokens, alignment_f1
    from distillscope.metrics.embeddings import Embedder

    tokens = MiniLMTokens(Embedder())
    reference = "The cat is sleeping on the warm sofa."
    scores = alignment_f1(tokens, [reference, reference], ["A kitten naps on the cosy couch.", "Interest rates rose in March."])
    assert scores[0] > scores[1]
    assert alignment_f1(tokens, [reference], [reference])[0] == pytest.approx(1.0, abs=1e-5)


def test_alignment_scores_are_cached_so_a_rerun_computes_no_token_vectors(tmp_path):
    from distillscope.metrics.aspects.content import alignment_f1
    from distillscope.metrics.embeddings import EmbeddingCache

    class CountingTokens(LexicalTokens):
        calls = 0

        def token_vectors(self, texts):
            CountingTokens.calls += 1
            return super().token_vectors(texts)

    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    first = alignment_f1(CountingTokens(), ["a b c", "d e"], ["a b", "x"], cache)
    again = alignment_f1(CountingTokens(), ["a b c", "d e"], ["a b", "x"], cache)
    assert again == pytest.approx(first) and first[0] == pytest.approx(0.8) and CountingTokens.calls == 1
