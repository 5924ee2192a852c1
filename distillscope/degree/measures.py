"""Every offline measure's dose curve on a dose zoo: which signal sees how much distillation.

Each measure is paired on the prompt: per test prompt, how much closer to the
teacher the student's answer is than the base's answer to the same prompt
(positive: moved toward the teacher). Pairing cancels the strong per-prompt
effect (some prompts make every model sound alike), so a student's mean gain
and its paired test against the base are what a curve is fitted on.

The measures need no judge and no model call: lexical (chrF, ROUGE-L),
stylometric (the style adversary's features, standardised once per
teacher and base so every student is measured on one scale), semantic
(embedding cosine, where the embedder is installed) and identity (on the
identity prompts: does the student claim the identity the teacher claims,
more often than its base does). ROUGE-L is the degree estimator's default measure
(`ESTIMATOR_MEASURE`; chrF until the whole dose ladder was measured).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from distillscope.degree.observe import MEASURE as CHRF
from distillscope.degree.observe import observation, observed, paired_gain, recipe_of, seed_of, teacher_share
from distillscope.degree.result import DoseObservation
from distillscope.degree.signal_measures import AdversaryGain, MMDGain, PosGain, SequentialGain, Summary
from distillscope.extras import is_available

if TYPE_CHECKING:
    from distillscope.protocols import TextEmbedder
    from distillscope.zoo.spec import ZooManifest

Answers = Sequence[str | None]
#: per prompt kept (teacher and base answered), the student's gain over the base; `texts` are the prompts' records. A
#: measure whose interval is not the prompts' standard error (a trained adversary, a U-statistic) returns a `Summary`
Gain = Callable[[Answers, Answers, Answers, Sequence[dict]], "list[float] | Summary"]


def _kept(teacher: Answers, student: Answers, base: Answers) -> list[tuple[str, str, str, int]]:
    return [(t, s or "", b, i) for i, (t, s, b) in enumerate(zip(teacher, student, base)) if t is not None and b is not None]


def rouge_gain(teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict]) -> list[float]:
    from distillscope.lexical import rouge_l_f1

    return [rouge_l_f1(t, s) - rouge_l_f1(t, b) for t, s, b, _ in _kept(teacher, student, base)]


class StyleGain:
    """Distance in the style adversary's feature space, each feature scaled by its sd over the teacher's and the
    base's answers (fixed per teacher and base, so every student is on one scale): base's distance minus student's."""

    def __init__(self) -> None:
        self._scale: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict]) -> list[float]:
        from distillscope.metrics.stylometry import feature_matrix

        kept = _kept(teacher, student, base)
        if not kept:
            return []
        key = (tuple(teacher), tuple(base))
        if key not in self._scale:
            t = feature_matrix([k[0] for k in kept])
            b = feature_matrix([k[2] for k in kept])
            sd = np.vstack([t, b]).std(axis=0)
            self._scale[key] = (t / np.where(sd > 0, sd, 1.0), sd)
        t_scaled, sd = self._scale[key]
        sd = np.where(sd > 0, sd, 1.0)
        s_scaled = feature_matrix([k[1] for k in kept]) / sd
        b_scaled = feature_matrix([k[2] for k in kept]) / sd
        return (np.linalg.norm(b_scaled - t_scaled, axis=1) - np.linalg.norm(s_scaled - t_scaled, axis=1)).tolist()


def identity_gain(teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict]) -> list[float]:
    """On identity prompts: 1 when the student claims an identity the teacher claims anywhere, minus the same for
    the base (so -1, 0 or 1 per prompt). The teacher's identity is the union of its own claims over these prompts."""
    from distillscope.ice.claims import extract_claims

    kept = [k for k in _kept(teacher, student, base) if prompts[k[3]].get("category") == "identity"]
    claimed = lambda text, prompt: extract_claims(text, prompt).claimed()  # noqa: E731
    own = set().union(*(claimed(t, prompts[i].get("text")) for t, _, _, i in kept)) if kept else set()
    if not own:
        return []
    return [
        float(bool(claimed(s, prompts[i].get("text")) & own)) - float(bool(claimed(b, prompts[i].get("text")) & own)) for _, s, b, i in kept
    ]


class CosineGain:
    """Embedding cosine to the teacher's answer, the student's minus the base's (MiniLM, as the similarity metric)."""

    def __init__(self, embedder: TextEmbedder) -> None:
        self.embedder = embedder

    def __call__(self, teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict]) -> list[float]:
        kept = _kept(teacher, student, base)
        if not kept:
            return []
        # the teacher's, the student's and the base's texts, each embedded as one batch
        t, s, b = (self._unit_vectors(texts) for texts in zip(*[(k[0], k[1], k[2]) for k in kept]))
        return ((s * t).sum(axis=1) - (b * t).sum(axis=1)).tolist()

    def _unit_vectors(self, texts: Sequence[str]) -> np.ndarray:
        return _unit(np.asarray(self.embedder.embed(texts), float))


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


#: what `degree` reads a student's dose off unless told otherwise (`--measure`, the audit's `degree: {measure: ...}`):
#: ROUGE-L, the measure that followed the dose ladder best (tau 0.94 over both seeds; the estimator's leave-one-out
#: budget error a factor 2.3 at worst against chrF's 8.5, docs/dose.md)
ESTIMATOR_MEASURE = "rouge_l_to_teacher_vs_base"
#: the measures that need the sentence embedder (the `hf` extra's MiniLM)
EMBEDDING_MEASURES = ("cosine_to_teacher_vs_base", "embed_adversary_advantage_base_minus_student", "paired_mmd2_base_minus_student")


def available_embedder() -> TextEmbedder | None:
    """The similarity metric's MiniLM where it is installed; None leaves the embedding measures out."""
    try:
        from distillscope.metrics.embeddings import Embedder

        embedder = Embedder()
        embedder.embed(["probe"])
        return embedder
    except Exception:  # noqa: BLE001 - no hf extra or no model files: the other measures still run
        return None


def estimator_measure(name: str | None) -> tuple[str, Gain]:
    """(name, gain) of the measure the degree is read off: `name`, or ESTIMATOR_MEASURE; one line naming the choices
    (and the extra an embedding measure needs) otherwise."""
    from distillscope.errors import UserError

    name = name or ESTIMATOR_MEASURE
    known = [*offline_measures(), *EMBEDDING_MEASURES]
    if name not in known:
        raise UserError(f"unknown degree measure '{name}'", f"choose one of {', '.join(known)}")
    measures = offline_measures(available_embedder() if name in EMBEDDING_MEASURES else None)
    if name not in measures:
        raise UserError(f"the measure {name} needs the sentence embedder", "pip install 'distillscope[hf]'")
    return name, measures[name]


def observe_gain(
    name: str, recipe: str, seed: int, budget: int, fraction: float, measure: str, gains: list[float] | Summary
) -> DoseObservation | None:
    """One observation of `measure` from a gain's output (per-prompt values or a Summary); None where it has none."""
    if isinstance(gains, Summary):
        row = summary_observation(name, recipe, seed, budget, fraction, gains)
    elif gains:
        row = observation(name, recipe, seed, budget, fraction, gains)
    else:
        return None
    return row.model_copy(update={"measure": measure})


def offline_measures(embedder: TextEmbedder | None = None) -> dict[str, Gain]:
    """The measures a dose zoo is scored on, by name; the embedding measures only where an embedder is given."""
    measures: dict[str, Gain] = {
        CHRF: lambda t, s, b, p: paired_gain(t, s, b),
        "rouge_l_to_teacher_vs_base": rouge_gain,
        "style_to_teacher_vs_base": StyleGain(),
        "identity_claims_of_teacher_vs_base": identity_gain,
        "style_adversary_advantage_base_minus_student": AdversaryGain("style"),
        "sequential_queries_to_reject_student_minus_base": SequentialGain("style"),
    }
    if is_available("denckring_en_pos"):  # the `attribution` extra's tagger
        measures["pos_templates_to_teacher_vs_base"] = PosGain()
    if embedder is not None:
        measures.update(zip(EMBEDDING_MEASURES, (CosineGain(embedder), AdversaryGain("embed", embedder), MMDGain(embedder))))
    return measures


def measure_observations(
    manifest: ZooManifest,
    answers: dict[str, list[str | None]],
    prompts: Sequence[dict],
    teacher: str,
    base: str,
    measures: dict[str, Gain],
) -> list[DoseObservation]:
    """One observation per zoo student on `base` per measure (answers keyed by student name, `teacher` and `base`)."""
    out = []
    for s in manifest.students:
        if s.base != base:
            continue
        budget = 0 if s.kind == "base" else int(s.budget or 0)
        share = teacher_share(s, teacher) if budget else 1.0
        for name, gain in measures.items():
            row = observe_gain(
                s.name, recipe_of(s), seed_of(s), budget, share, name, gain(answers[teacher], answers[s.name], answers[base], prompts)
            )
            if row is not None:
                out.append(row)
    return out


def summary_observation(name: str, recipe: str, seed: int, budget: int, fraction: float, summary: Summary) -> DoseObservation:
    """A `Summary`'s observation: a normal interval, the one-sided p, no per-prompt values (so the degree estimator
    redraws it from its interval, which holds the noise the prompts' values would leave out)."""
    return observed(name, recipe, seed, budget, fraction, summary.value, summary.se, summary.p_closer(), None)
