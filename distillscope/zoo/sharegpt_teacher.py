"""ChatGPT as a teacher, offline: the ShareGPT package's own answers served as a replay model.

ShareGPT V3 holds conversations with ChatGPT; the answer right after a first
user turn is ChatGPT's answer to that prompt. The zoo splits them:

- test: the suite's test-split prompts taken from ShareGPT (the candidate
  "answers" them with the conversation's answer);
- train: conversations the suite never uses, minus exact and near duplicates
  of a test prompt (ShareGPT repeats prompts under other ids), with prompts of
  at most 500 characters so that they fit the LoRA sequence length.

Every answer is cut to about `max_tokens` tokens (0.75 words a token, the cut
kept at a word boundary with the text's own line breaks), so ChatGPT's answers
are as long as the local models' and length alone names no teacher. A cut
answer is taught without an end marker, like a local teacher's answer that
hit max_tokens. The replay file's name carries a hash of its rows, so other
rows are another model in the store.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Container, Iterable, Iterator
from pathlib import Path

from distillscope.probes.suite import ProbeSuite, nested_sample
from distillscope.types import Prompt, canonical_json, sha256_hex

#: (ShareGPT id, first user turn, ChatGPT's answer to it)
Conversation = tuple[str, str, str]
WORDS_PER_TOKEN = 0.75
#: longer ShareGPT prompts (pasted documents) would not fit the LoRA sequence length and be skipped in training
MAX_TRAIN_PROMPT_CHARS = 500
_WORD = re.compile(r"\S+")


def sharegpt_pairs() -> Iterator[Conversation]:
    """First user turn and ChatGPT's answer of every ShareGPT V3 conversation that has both."""
    from distillscope.probes.sources import sharegpt_conversations

    for item in sharegpt_conversations():
        turns = item.get("conversations") or []
        if len(turns) < 2 or turns[0].get("from") not in ("human", "user") or turns[1].get("from") not in ("gpt", "chatgpt"):
            continue
        prompt, answer = turns[0].get("value"), turns[1].get("value")
        if isinstance(prompt, str) and isinstance(answer, str) and prompt.strip() and answer.strip():
            yield str(item.get("id", "")), prompt.strip(), answer.strip()


def sharegpt_id(prompt: Prompt) -> str | None:
    """The ShareGPT conversation a suite prompt came from (its source `sharegpt:ID`); None for other sources."""
    source = prompt.source or ""
    return source.split(":", 1)[1] if source.startswith("sharegpt:") else None


def cut_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """(the text cut after about max_tokens tokens' worth of words, whether it was cut)."""
    limit = max(1, round(max_tokens * WORDS_PER_TOKEN))
    words = list(_WORD.finditer(text))
    if len(words) <= limit:
        return text, False
    return text[: words[limit - 1].end()], True


def answered_test_ids(suite: ProbeSuite, answered: Container[str]) -> dict[str, str]:
    """{prompt id: ShareGPT id} of the suite's test-split ShareGPT prompts whose conversation has an answer: the pool a
    zoo's ShareGPT test prompts are drawn from."""
    return {p.id: sid for p in suite.split("test") if (sid := sharegpt_id(p)) is not None and sid in answered}


def split_sharegpt(
    conversations: Iterable[Conversation], suite: ProbeSuite, n_test: list[int], budget: int, seed: int
) -> tuple[list[Prompt], list[tuple[Prompt, str]], dict[str, str]]:
    """(test prompts, train (prompt, answer) pairs, ShareGPT answer per test prompt id).

    Test prompts are suite test-split prompts, so the zoo's test set is part of
    the suite's stated distribution; train prompts are outside the whole suite.
    """
    from distillscope.errors import UserError
    from distillscope.probes.build import MAX_CHARS, MIN_CHARS
    from distillscope.probes.text_filters import NearDuplicateIndex, normalise

    answers: dict[str, tuple[str, str]] = {}
    for source_id, prompt, answer in conversations:
        answers.setdefault(source_id, (prompt, answer))
    used = {sid for p in suite.prompts if (sid := sharegpt_id(p)) is not None}
    test_ids = answered_test_ids(suite, answers)
    eligible = [p for p in suite.split("test") if p.id in test_ids]
    if len(eligible) < sum(n_test):
        raise UserError(
            f"only {len(eligible)} ShareGPT test prompts have a ChatGPT answer, {sum(n_test)} asked",
            f"ask for at most {len(eligible)} ShareGPT test prompts",
        )
    test = nested_sample(eligible, n_test, seed)
    replay = {p.id: answers[test_ids[p.id]][1] for p in test}
    index = NearDuplicateIndex()
    for p in test:
        index.add(p.id, p.text)
    test_texts = {normalise(p.text) for p in test}
    pool = sorted(source_id for source_id in answers if source_id not in used)
    random.Random(f"{seed}:sharegpt-train").shuffle(pool)
    train: list[tuple[Prompt, str]] = []
    for source_id in pool:
        if len(train) == budget:
            break
        prompt, answer = answers[source_id]
        if (
            not MIN_CHARS <= len(prompt) <= min(MAX_CHARS, MAX_TRAIN_PROMPT_CHARS)
            or normalise(prompt) in test_texts
            or index.duplicate_of(prompt)
        ):
            continue
        train.append(
            (Prompt(text=prompt, category="sharegpt", subcategory="chatgpt-train", source=f"sharegpt:{source_id}", split="train"), answer)
        )
    if len(train) < budget:
        raise UserError(
            f"only {len(train)} ShareGPT conversations are free for training, budget {budget}", f"use a budget of at most {len(train)}"
        )
    return test, train, replay


def write_replay(directory: Path, rows: list[tuple[Prompt, str]], max_tokens: int) -> str:
    """Write the replay file (answers cut to max_tokens) and return its `replay/` spec; the name hashes the rows."""
    records = [
        {"prompt_id": p.id, "prompt": p.text, "response": cut_to_tokens(answer, max_tokens)[0], "model": "chatgpt"} for p, answer in rows
    ]
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    path = directory / f"chatgpt-{sha256_hex(canonical_json(records))[:12]}.jsonl"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return f"replay/{path}"


def synthetic_conversations(suite: ProbeSuite, n_train: int, seed: int = 0) -> list[Conversation]:
    """For `--small`: made-up answers in a fixed voice for the suite's ShareGPT test prompts, and made-up train
    conversations. Each answer is drawn from its own conversation's seed, so a larger test set or budget adds
    conversations and changes none (a grown test set keeps its earlier prompts and answers)."""
    from distillscope.models.tiny_hf import WORDS

    voice = "good question so first".split()  # words of the tiny models' vocabulary: a student can learn them

    def say(key: str, n: int) -> str:
        return " ".join(voice + random.Random(f"{seed}:synthetic-sharegpt:{key}").choices(WORDS, k=n))

    test_ids = [source_id for p in suite.split("test") if (source_id := sharegpt_id(p)) is not None]
    by_id = {source_id: p.text for p in suite.prompts if (source_id := sharegpt_id(p)) is not None}
    out = [(source_id, by_id[source_id], say(source_id, 8)) for source_id in test_ids]
    asks = random.Random(f"{seed}:synthetic-train")
    out += [(f"synthetic-{i}", "please " + " ".join(asks.choices(WORDS, k=8)) + " ?", say(f"synthetic-{i}", 8)) for i in range(n_train)]
    return out
