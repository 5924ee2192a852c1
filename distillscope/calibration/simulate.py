"""Simulated paired answers with the structure real audits have: a per-prompt effect far larger than the model effect.

Each prompt has a topic vector u_p (scale `topic`); every answer to it, from
either model and any sample index, is u_p plus small noise (scale 1). Under
the null the student answers exactly like the teacher; under the alternative
every student answer is moved by `shift` along a fixed style direction v.

A fixed (not trained) adversary with log-odds δ/2 − v·x guesses "teacher"
below the midpoint, so its true advantage is known in closed form:
Adv = 2Φ(δ / (2·sqrt(topic² + 1))) − 1.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel
from scipy.stats import norm


class PairedSample(BaseModel):
    """Rows are (prompt, sample index) pairs; clusters name each row's prompt."""

    model_config = {"arbitrary_types_allowed": True}
    teacher: np.ndarray
    student: np.ndarray
    clusters: list[str]


def simulate_embeddings(
    rng: np.random.Generator, prompts: int = 60, samples: int = 3, dim: int = 16, topic: float = 3.0, shift: float = 0.0
) -> PairedSample:
    topics = rng.normal(0.0, topic, (prompts, dim))
    teacher = np.repeat(topics, samples, axis=0) + rng.normal(0.0, 1.0, (prompts * samples, dim))
    student = np.repeat(topics, samples, axis=0) + rng.normal(0.0, 1.0, (prompts * samples, dim))
    student[:, 0] += shift
    return PairedSample(teacher=teacher, student=student, clusters=[f"p{i}" for i in range(prompts) for _ in range(samples)])


def fixed_adversary_log_odds(sample: PairedSample, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds of the fixed midpoint classifier on the style direction, for teacher and student rows."""
    return shift / 2 - sample.teacher[:, 0], shift / 2 - sample.student[:, 0]


def true_advantage(shift: float, topic: float = 3.0) -> float:
    return float(2 * norm.cdf(shift / (2 * np.sqrt(topic**2 + 1))) - 1)


FILLER = "the a of and to in is that it for as with on this by be are an or".split()
TOPICS = (
    "river bank water flood boat fish bridge",
    "planet orbit star moon telescope light comet",
    "bread flour oven yeast butter salt crust",
    "engine piston fuel gear torque valve exhaust",
    "violin melody chord rhythm tempo string bow",
    "garden soil seed root leaf bloom compost",
    "market price trade stock bond credit yield",
    "castle knight siege tower moat banner sword",
    "neuron synapse cortex memory signal brain axon",
    "glacier ice snow valley cold summit ridge",
)


def answer_text(rng: np.random.Generator, topic_words: list[str], shifted: bool) -> str:
    """A plain sentence about the prompt's topic; a shifted answer opens with "Sure!" and lists its points."""
    words = list(rng.choice(topic_words, int(rng.integers(8, 14)))) + list(rng.choice(FILLER, int(rng.integers(4, 8))))
    rng.shuffle(words)
    text = " ".join(words).capitalize() + "."
    if shifted:
        half = len(words) // 2
        return "Sure! Here is what I know:\n- " + " ".join(words[:half]) + "\n- " + " ".join(words[half:])
    return text
