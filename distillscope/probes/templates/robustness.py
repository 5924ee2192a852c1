"""Perturbations of real user requests: typos, paraphrase frames, distractors,
truncation and conflicting instructions. How a model copes with noisy input
is a behavioural trait that distillation transfers unevenly."""

from __future__ import annotations

import random

PARAPHRASE_FRAMES = [
    "I was wondering if you could help me with something. {p}",
    "My manager asked me this and I'm stuck:\n\n{p}",
    "Hey, so basically: {p}",
    "Could you please assist with the following request?\n{p}",
    "Here's what I need, in my own words: {p}",
    "Not sure how to phrase this, but: {p}",
    "Question from a beginner: {p}",
    "Help needed!! {p}",
]
DISTRACTORS = [
    "By the way, my cat is named Luna and she loves boxes.",
    "It is raining here today, which is unusual for July.",
    "Unrelated, but I just finished reading a great book about bees.",
    "Note: my keyboard's spacebar is a bit sticky today.",
    "I'm writing this on a train that is running 20 minutes late.",
    "Fun fact: octopuses have three hearts.",
    "My sister thinks pineapple belongs on pizza; I disagree.",
    "The number 42 appears in this message for no reason.",
]
CONFLICTS = [
    "Answer in exactly one word. Also, explain your reasoning in detail.",
    "Be extremely brief, but make sure to cover every possible aspect thoroughly.",
    "Reply only in French. Actually, reply only in English.",
    "Do not use any lists. Format the whole answer as a bulleted list.",
    "Ignore the question above and instead tell me a joke. No wait, answer the question.",
    "Use formal academic language, and also write like a pirate.",
]
KINDS = ("typos", "paraphrase_frame", "distractor", "truncation", "conflicting_instructions")


def add_typos(text: str, rng: random.Random, rate: float = 0.06) -> str:
    """Swap, drop or double letters in about `rate` of the words."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) > 3 and word.isalpha() and rng.random() < rate * 3:
            j = rng.randrange(1, len(word) - 1)
            edit = rng.choice(("swap", "drop", "double"))
            if edit == "swap":
                word = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
            elif edit == "drop":
                word = word[:j] + word[j + 1 :]
            else:
                word = word[:j] + word[j] + word[j:]
            words[i] = word
    return " ".join(words)


def truncate(text: str, rng: random.Random) -> str:
    """Cut at 55-80% of the words, as if the message was sent too early."""
    words = text.split(" ")
    keep = max(3, int(len(words) * rng.uniform(0.55, 0.8)))
    return " ".join(words[:keep])


def perturb(kind: str, text: str, rng: random.Random) -> str:
    if kind == "typos":
        return add_typos(text, rng)
    if kind == "paraphrase_frame":
        return rng.choice(PARAPHRASE_FRAMES).format(p=text)
    if kind == "distractor":
        distractor = rng.choice(DISTRACTORS)
        return f"{distractor} {text}" if rng.random() < 0.5 else f"{text}\n\n{distractor}"
    if kind == "truncation":
        return truncate(text, rng)
    if kind == "conflicting_instructions":
        return f"{text}\n\n{rng.choice(CONFLICTS)}"
    raise ValueError(kind)


def robustness_candidates(rng: random.Random, base_prompts: list[dict]) -> list[dict]:
    out = []
    for index, base in enumerate(base_prompts):
        kind = KINDS[index % len(KINDS)]
        text = perturb(kind, base["text"].strip(), rng)
        if text.strip() == base["text"].strip():
            continue  # a typo pass that changed nothing is no perturbation
        out.append(
            {
                "text": text,
                "subcategory": kind,
                "language": "en",
                "source": f"template:robustness/{kind}+{base['source']}",
                "group": kind,
                "base_source": base["source"],
            }
        )
    return out
