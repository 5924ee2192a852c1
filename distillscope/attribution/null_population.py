"""The calibration population of the attribution test: the statistics of cases that no listed candidate taught.

A zoo (`attribute --zoo DIR`) gives, for every case and every candidate, the
per-signal z of the student's movement toward that candidate (`evidence.py`),
both "raw" and "specific". The null distribution of candidate T's statistic is
made of the cases where T did not teach the student:

- for the **specific** statistic (two or more candidates listed): trained
  controls (fine-tuned toward no candidate) and distilled students with their
  true teacher left out of the candidates. A student of another teacher *with
  that teacher listed* is left out: its teacher's large margin pushes every
  other candidate's specific statistic down, which would make the null too low
  (liberal) for the case that matters, an audit whose real teacher is unlisted;
- for the **raw** statistic (one candidate): every case whose teacher is not T
  (controls and students of other teachers), since a raw margin does not
  depend on which other candidates are listed.

Untouched bases are never in it: every margin of a base against itself is 0,
so they would pile up at 0 and make the null narrower than any fine-tune is.
Each entry carries its recipe (base, teacher, budget, kind), and a zoo case
is tested against a population with its whole recipe left out
(leave-one-recipe-out): a seed sibling shares the recipe, the test prompts and
the base's answers, so leaving out one student would test new students of
known recipes, not new recipes.

Beside the null entries it keeps the taught pairs (each distilled student with
its teacher listed, toward that teacher: `taught`), never in the null sample:
they weight the signals in the statistic (`combination.py`), and the null
sample is cross-fitted so that the weights never saw the case they score.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, PrivateAttr

from distillscope.errors import InputFileError

if TYPE_CHECKING:
    from distillscope.attribution.combination import Calibration

FILE_NAME = "attribution_null.json"
Role = Literal["control", "other-teacher", "teacher-left-out", "taught"]


class NullEntry(BaseModel):
    case: str
    recipe: str
    candidate: str
    role: Role
    #: z per signal of the raw margin and of the specific one (None: only one candidate listed in this case)
    raw: dict[str, float]
    specific: dict[str, float] | None = None
    n_prompts: int = 0
    #: candidates listed in this case
    n_candidates: int = 0


class NullPopulation(BaseModel):
    version: int = 3
    #: where it was measured (the zoo directory) and on how many test prompts
    source: str
    n_prompts: int = 0
    #: the zoo's sampling: an audit whose answers are cut elsewhere meets a null of another scale (a longer answer
    #: carries more evidence per prompt, so drift reads as a larger z). None: written before it was recorded
    max_tokens: int | None = None
    temperature: float | None = None
    #: the zoo's candidates {name: spec}: a candidate's own untaught cases centre its null (`hypothesis.candidate_p`)
    #: for an audit candidate of the same model, whatever the audit calls it (empty: written before they were
    #: recorded; matched by name then)
    candidates: dict[str, str] = {}
    entries: list[NullEntry] = []
    #: each distilled student's pair with its own teacher listed (role "taught"): never in the null sample, they only
    #: weight the signals (`combination.py`); empty in populations written before version 3 (the mean z then)
    taught: list[NullEntry] = []
    _calibrations: dict = PrivateAttr(default_factory=dict)

    def calibration(self, kind: str, signals: Sequence[str], exclude_recipe: str | None = None) -> Calibration:
        """The test's statistic for this kind and signals, its null sample (cross-fitted) and the untaught cases behind
        it, without one recipe's cases (null and taught): computed once per (kind, signals, recipe)."""
        import numpy as np

        from distillscope.attribution.combination import Calibration, null_sample

        key = (kind, tuple(signals), exclude_recipe)
        if key not in self._calibrations:
            taught = [e for e in self.taught if e.recipe != exclude_recipe and (kind == "raw" or e.specific is not None)]
            usable = self._usable(kind, exclude_recipe)
            combination, scores = null_sample(
                signals, [(e.recipe, self._z(e, kind, signals)) for e in usable], [(e.recipe, self._z(e, kind, signals)) for e in taught]
            )
            kept = np.isfinite(scores)
            labels = tuple(e.candidate for e, k in zip(usable, kept) if k)
            self._calibrations[key] = Calibration(combination, scores[kept], self.n_cases(kind, exclude_recipe), labels)
        return self._calibrations[key]

    def own_label(self, name: str, spec: str) -> str | None:
        """The zoo's name for the audit's candidate `name` (model `spec`), under which its own untaught cases are
        labelled: found by model, since an audit names its candidates after their specs and the zoo by its own names.
        None where the zoo never listed that model (the pooled null then; also when the zoo's candidate of the same
        name is another model, whose offset would be wrong here). A population written before the zoo's candidates
        were recorded matches by name."""
        if not self.candidates:
            return name
        return next((zoo_name for zoo_name, zoo_spec in self.candidates.items() if _same_model(zoo_spec, spec)), None)

    def n_cases(self, kind: str, exclude_recipe: str | None = None) -> int:
        """Distinct cases behind the null sample, its effective size: a case's specific statistics sum to 0 over its
        candidates, so they are not independent draws."""
        return len({e.case for e in self._usable(kind, exclude_recipe)})

    def _usable(self, kind: str, exclude_recipe: str | None) -> list[NullEntry]:
        return [
            e
            for e in self.entries
            if e.recipe != exclude_recipe and not (kind == "specific" and (e.specific is None or e.role == "other-teacher"))
        ]

    @staticmethod
    def _z(entry: NullEntry, kind: str, signals: Sequence[str]) -> dict[str, float]:
        z = (entry.specific or {}) if kind == "specific" else entry.raw  # entries without `specific` are filtered out
        return {s: v for s, v in z.items() if s in signals}

    def sampling_notes(self, max_tokens: int, temperature: float) -> list[str]:
        """What the audit's sampling does to this null: a note for each way it differs from the zoo's."""
        notes = []
        if self.max_tokens is not None and max_tokens != self.max_tokens:
            notes.append(
                f"the calibration's answers were cut at {self.max_tokens} tokens, this audit's at {max_tokens}: its null was "
                f"not measured at this length (longer answers make drift read as larger z); pass --max-tokens {self.max_tokens}"
            )
        if self.temperature is not None and temperature != self.temperature:
            notes.append(
                f"the calibration sampled at temperature {self.temperature:g}, this audit at {temperature:g}: its null was "
                "not measured at this temperature"
            )
        return notes

    def signals(self) -> set[str]:
        return {s for e in self.entries for s in e.raw}

    def describe(self, kind: str, exclude_recipe: str | None = None) -> str:
        cases = {e.case for e in self.entries if e.recipe != exclude_recipe and (kind == "raw" or e.role != "other-teacher")}
        roles = sorted({e.role for e in self.entries if e.recipe != exclude_recipe and (kind == "raw" or e.role != "other-teacher")})
        left = f", recipe {exclude_recipe} left out" if exclude_recipe else ""
        return f"{len(cases)} untaught cases of {self.source} ({', '.join(roles)}; {self.n_prompts} test prompts{left})"


def _same_model(a: str, b: str) -> bool:
    """Two specs of one model: equal, or replay files of one name (a zoo's replay file names carry a content hash; the
    folder differs once the zoo is exported or moved)."""
    if a == b:
        return True
    return a.startswith("replay/") and b.startswith("replay/") and Path(a).name == Path(b).name


def save(population: NullPopulation, path: Path) -> None:
    from distillscope.paths import atomic_write_text

    atomic_write_text(path, population.model_dump_json(indent=2))


def load(path: Path) -> NullPopulation:
    """A null population file, or a directory (a zoo) holding one."""
    path = Path(path)
    if path.is_dir():
        path = path / FILE_NAME
    if not path.is_file():
        raise InputFileError(
            f"no attribution null population at {path}",
            "run `distillscope attribute --zoo DIR` first (it writes DIR/attribution_null.json), or pass that JSON file",
        )
    try:
        return NullPopulation.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputFileError(
            f"{path} is not an attribution null population ({str(exc).splitlines()[0]})",
            "re-run `distillscope attribute --zoo DIR` and pass the attribution_null.json it writes",
        ) from None
