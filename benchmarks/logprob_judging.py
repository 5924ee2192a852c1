"""Generated tokens per judge call, logprob mode against text mode (issue: logprob judging ≤ 0.5× the cost).

For each judge (RSE, pairwise, ICE conflict) the same items are judged once in
`mode="text"` and once in `mode="logprob"`, each in a fresh store, and the
mean completion tokens per stored call are compared (as the backend reports
them for a named judge; by the mock's BPE-like split for the mock and stub,
whose own counts are not tokens). Prompt
tokens are the same in both modes and are not counted; wall time is printed
for local judges.

    python benchmarks/logprob_judging.py                      # mock and stub-server judges (seconds)
    python benchmarks/logprob_judging.py --judge builtin/qwen2.5-coder-0.5b-instruct --n 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _items(n: int):  # noqa: ANN202
    from metric_data import load_pairs

    from distillscope.judges.templates import load_template
    from distillscope.types import Prompt

    prompts, texts = load_pairs()
    prompts, reference, candidate = prompts[:n], texts["qwen_greedy"][:n], texts["smollm2_greedy"][:n]
    pair_prompts = [Prompt(text=p.text, category=p.category) for p in prompts]
    conflict = load_template("ice_conflict")
    facts = ["The model is Qwen, created by Alibaba Cloud."]
    conflict_items = [
        (f"c{i}", conflict.render(facts=facts, response=f"I am {'ChatGPT, made by OpenAI' if i % 2 else 'Qwen'} ({i}).")) for i in range(n)
    ]
    return prompts, reference, candidate, pair_prompts, conflict_items


def measure(spec_for, n: int, label: str, reported: bool = False) -> None:  # noqa: ANN001
    from distillscope.indist.pairwise import pairwise_judge
    from distillscope.judges.judge import CONFLICT_LOGPROB_MAX_TOKENS, read_conflict, run_judge
    from distillscope.judges.parsing import parse_conflict
    from distillscope.metrics.rse import evaluate_rse
    from distillscope.models.mock import mock_tokens
    from distillscope.models.registry import load_model
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    prompts, reference, candidate, pair_prompts, conflict_items = _items(n)
    judges = {
        "rse": lambda r, j, m: evaluate_rse(r, j, prompts, reference, candidate, swap_n=0, mode=m).modes,
        "pairwise": lambda r, j, m: pairwise_judge(r, j, pair_prompts, reference, candidate, [], mode=m).modes,
        "conflict": lambda r, j, m: _counts(
            run_judge(
                r,
                j,
                conflict_items,
                parse_conflict,
                "<judge>0</judge>",
                read_logprobs=read_conflict,
                logprob_max_tokens=CONFLICT_LOGPROB_MAX_TOKENS,
                mode=m,
            )
        ),
    }
    for name, judge_with in judges.items():
        per = {}
        for mode in ("text", "logprob"):
            with tempfile.TemporaryDirectory() as directory, ResponseStore(Path(directory) / "s.sqlite") as store:
                judge = load_model(spec_for(name))
                started = time.perf_counter()
                modes = judge_with(Runner(store, show_progress=False), judge, mode)
                seconds = time.perf_counter() - started
                rows = [r for r in store.iter_responses() if r["model"] == judge.identity]
                tokens = [
                    r["completion_tokens"] if reported and r["completion_tokens"] is not None else len(mock_tokens(r["text"])) for r in rows
                ]
                per[mode] = (sum(tokens) / max(1, len(tokens)), len(rows), modes, seconds)
        (t_tok, t_calls, _, t_s), (l_tok, l_calls, l_modes, l_s) = per["text"], per["logprob"]
        print(
            f"{label:8} {name:9} text {t_tok:5.1f} tok/call ({t_calls} calls, {t_s:.1f} s)  logprob {l_tok:5.1f} tok/call "
            f"({l_calls} calls, {l_s:.1f} s, verdicts {l_modes})  ratio {l_tok / t_tok if t_tok else float('nan'):.2f}"
        )


def _counts(outcomes) -> dict[str, int]:  # noqa: ANN001
    from distillscope.judges.judge import mode_counts

    return mode_counts(outcomes)


def _stub_reply(prompt: str) -> str:
    from distillscope.models import mock_roles
    from distillscope.types import GenerationRequest, Message

    messages = (Message(role="user", content=prompt),)
    if "[REFERENCE ANSWER]" in prompt:
        return mock_roles.mock_judge_answer(list(messages), {})
    if "[ANSWER A]" in prompt:
        return mock_roles.pairwise_choice(prompt)
    return mock_roles.mock_ice_answer("judge", GenerationRequest(prompt_id="x", messages=messages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--judge", help="a judge spec (default: the mock and the stub server)")
    parser.add_argument("--n", type=int, default=20, help="items per judge")
    args = parser.parse_args()
    if args.judge:
        measure(lambda _: args.judge, args.n, args.judge.split("/")[0], reported=True)
        return
    roles = {"rse": "judge=rse", "pairwise": "judge=pairwise", "conflict": "judge=auto"}
    measure(lambda name: f"mock/j?{roles[name]}&logprobs=1", args.n, "mock")
    from distillscope.testing.stub_server import StubConfig, StubServer

    with StubServer(StubConfig(reply=_stub_reply)) as stub:
        measure(lambda _: f"openai/stub?base_url={stub.base_url}", args.n, "stub")


if __name__ == "__main__":
    main()
