"""What a zoo is: its recipe (`ZooPlan`, before building) and its manifest (`ZooManifest`, after).

The manifest is the interface `distillscope attribute` reads: which
candidates can be accused, which students exist with their true teacher
(None for bases and controls), the held-out test prompts, and the sampling
under which every answer to them is already in the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from distillscope.distill.train import LoraSettings
from distillscope.errors import InputFileError

Kind = Literal["distilled", "base", "control"]
MANIFEST_FILE = "manifest.json"
#: the teacher name of a control trained on the suite's reference answers (no candidate)
REFERENCES = "references"


class ZooSampling(BaseModel):
    max_tokens: int
    temperature: float = 0.0


class ZooStudent(BaseModel):
    name: str
    #: the base's spec with its LoRA adapter (`builtin/<base>?lora=<dir>/adapter-<fingerprint>.gguf`), or the merged
    #: model as `hf/<dir>?weights=<fingerprint>` (`--serve hf`), or the base spec for an untouched base
    spec: str
    #: the base model, served by the same backend as the student
    base: str
    #: the candidate that taught it; None for bases and controls
    true_teacher: str | None
    budget: int | None
    kind: Kind
    #: the teacher's share of the training answers; the rest came from `rest_from` for the same prompts (dose zoo)
    fraction: float = 1.0
    rest_from: str | None = None
    seed: int = 0


class ZooManifest(BaseModel):
    version: int = 1
    store: str
    sampling: ZooSampling
    #: JSONL of the held-out test prompts (id, text, category, ...), in no training set
    test_prompts: str
    #: name -> model spec of every teacher that can be accused
    candidates: dict[str, str]
    students: list[ZooStudent]
    #: hash of the plan and the test prompts: a rebuilt zoo with other contents gets another one
    fingerprint: str = ""
    small: bool = False
    build_seconds: float = 0.0
    #: an exported zoo's (`zoo export`) replay file per model spec it names, relative to the zoo: every model answers
    #: from its file, so the zoo needs no weights; specs stay as built, so they still compare as the models they were
    answers: dict[str, str] = Field(default_factory=dict)

    def located(self, zoo: Path, value: str) -> Path:
        """A path the manifest names (`store`, `test_prompts`): as written if absolute, else inside the zoo `zoo`."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else Path(zoo) / path

    def model_spec(self, zoo: Path, spec: str) -> str:
        """A model spec the manifest names, its local path read inside the zoo where it is relative and exists there
        but not from here (a zoo copied or built with a relative `--dir`, its replay files beside the manifest).

        Only a path that does not resolve as written is changed, so a spec that loads today loads the same model.
        In an exported zoo every spec is its answers' replay file."""
        spec = self.answers.get(spec, spec)
        provider, slash, rest = spec.partition("/")
        if not slash:
            return spec
        path, question, query = rest.partition("?")
        located = self._inside(zoo, path) if provider in LOCAL_PATH_PROVIDERS else path
        options = query.split("&") if query else []
        for i, option in enumerate(options):
            key, equals, value = option.partition("=")
            if equals and key in LOCAL_PATH_OPTIONS:
                options[i] = f"{key}={self._inside(zoo, value)}"
        relocated = f"{provider}/{located}{question}{'&'.join(options)}"
        return relocated if relocated != f"{provider}/{path}{question}{query}" else spec

    @staticmethod
    def _inside(zoo: Path, path: str) -> str:
        """`path` read inside the zoo where it is relative and exists there but not from here; else as written."""
        written = Path(path).expanduser()
        if written.is_absolute() or written.exists() or not (Path(zoo) / written).exists():
            return path
        return str((Path(zoo) / written).resolve())


#: providers whose spec names a local file or directory (`models/providers.py`)
LOCAL_PATH_PROVIDERS = ("replay", "hf", "llamacpp")
#: spec options that name a local file (a student's LoRA adapter)
LOCAL_PATH_OPTIONS = ("lora",)


class StudentPlan(BaseModel):
    """One student to make: `teacher` is a candidate name, `references`, or None for the untouched base."""

    name: str
    base: str
    teacher: str | None
    budget: int | None
    kind: Kind
    #: a second student of the same recipe: another acquisition (or ShareGPT slice, or reference sample) and LoRA seed
    seed: int = 0
    #: mixture students (zoo/dose.py): `teacher` answers this share of the acquired prompts, the candidate `rest_from`
    #: the others; 1.0 and None for every other student (and left out of fingerprints then, so older zoos keep theirs)
    fraction: float = 1.0
    rest_from: str | None = None


class ZooPlan(BaseModel):
    candidates: dict[str, str]
    #: which candidate the ShareGPT (ChatGPT replay) answers belong to
    replay_candidate: str = "chatgpt"
    students: list[StudentPlan]
    #: answer length for teacher answers (training) and, unless `test_max_tokens` is set, every test answer
    max_tokens: int = 40
    #: test answers' length where it differs from the training answers' (longer answers carry more style to measure;
    #: the teachers' training answers are the build's largest cost). None: `max_tokens`, and left out of fingerprints
    test_max_tokens: int | None = None
    #: test prompts, drawn in rounds: each round is a stratified sample of what earlier rounds left, so a grown
    #: zoo's test set contains the smaller one and every answer to it is reused
    n_sharegpt_test: list[int] = [32]
    n_identity_test: list[int] = [12]
    lora: LoraSettings = LoraSettings()
    seed: int = 0
    small: bool = False
    #: llama.cpp threads (None: all cores). On a machine shared with other work one thread runs faster: two wait on
    #: each other at every layer whenever one is descheduled. Operational only: no store key or fingerprint depends on it
    threads: int | None = Field(default=None, exclude=True)
    #: other zoos whose finished trainings this build may reuse (`zoo build --reuse`): a student's training report is
    #: copied from there and kept only where its fingerprint (base, settings, data) is this student's. Operational only
    reuse: list[Path] = Field(default_factory=list, exclude=True)
    #: build only these students (`zoo build --only`); the teachers still answer for every student of the plan, so each
    #: built student's training is the one the whole zoo gives it. Operational only: the manifest lists what was built
    only: list[str] | None = Field(default=None, exclude=True)


def read_manifest(path: str | Path) -> ZooManifest:
    """The manifest of a built zoo: `path` is the manifest file or the zoo directory."""
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / MANIFEST_FILE
    if not path.exists():
        raise InputFileError(f"no zoo manifest at {path}", "build the zoo first: distillscope zoo build --dir DIR")
    try:
        return ZooManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputFileError(f"{path} is not a zoo manifest ({where}: {first['msg']})", "rebuild it with distillscope zoo build") from None
