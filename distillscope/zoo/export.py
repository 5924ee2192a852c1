"""`zoo export`: a built zoo as answers only, a directory that measures anywhere without a model or a weight.

A zoo's students are LoRA adapters and merged models on the machine that trained them; a fresh machine has neither
and would spend hours rebuilding them. What `attribute --zoo` and `degree --calibration` read is only each model's
answer to the zoo's test prompts, so the export writes those (one replay file per model, distillscope's own JSONL),
the test prompts, and the manifest with `answers` mapping every model spec it names to its file. Every spec stays
as built (`builtin/gemma-3-270m`, a student's `lora=` adapter), a path inside the zoo written relative to it (no
machine's directories travel with an export), so `--base builtin/gemma-3-270m` still finds the zoo's students; only
loading goes through the file (`ZooManifest.model_spec`). This is also the format in which zoos built
elsewhere (students and candidates the developers never saw) arrive.

The export is written beside its destination and renamed into place whole: an interrupted export leaves no
half-written zoo, and an existing directory is never written into.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from distillscope.errors import UserError
from distillscope.zoo.spec import MANIFEST_FILE, ZooManifest, read_manifest

ANSWERS_DIR = "answers"


class ZooExport(BaseModel):
    out: str
    models: int
    answers: int
    #: model name -> test prompts it has no answer for (a generation that failed while the zoo was built)
    missing: dict[str, int]


def _file_names(manifest: ZooManifest) -> dict[str, str]:
    """Each distinct spec the manifest names -> the name of its answers file (a candidate's or student's name; an
    untouched base's student name for the base spec)."""
    names: dict[str, str] = {}
    for name, spec in manifest.candidates.items():
        names.setdefault(spec, name)
    for s in manifest.students:
        names.setdefault(s.spec, s.name)
    for s in manifest.students:
        names.setdefault(s.base, "base-" + re.sub(r"[^A-Za-z0-9._-]+", "-", s.base.split("?")[0]).strip("-"))
    return names


def export_zoo(zoo: Path, out: Path, log: Callable[[str], None] = lambda _: None) -> ZooExport:
    """Write `zoo`'s answers, test prompts and manifest to the new directory `out` (see the module's docstring)."""
    from distillscope.models.registry import load_model
    from distillscope.probes.loader import load_prompts
    from distillscope.runner.answers import answer_texts
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams

    zoo, out = zoo.expanduser().resolve(), out.expanduser().resolve()
    if out.exists():
        raise UserError(f"--out {out} already exists", "name a new directory: an export never writes into an existing one")
    if out.is_relative_to(zoo):
        raise UserError(f"--out {out} is inside the zoo {zoo}", "name a directory outside the zoo")
    manifest = read_manifest(zoo)
    prompts_path = manifest.located(zoo, manifest.test_prompts)
    prompts = load_prompts(prompts_path)
    names = _file_names(manifest)
    log(f"{len(names)} models × {len(prompts)} test prompts from {manifest.located(zoo, manifest.store)}")
    with Runner(ResponseStore(manifest.located(zoo, manifest.store)), show_progress=False) as runner:
        sampling = SamplingParams(**manifest.sampling.model_dump())
        texts = {name: answer_texts(runner, load_model(manifest.model_spec(zoo, spec)), prompts, sampling) for spec, name in names.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))  # a name nobody else has
    try:
        partial.chmod(0o755)  # mkdtemp's 0700 is for the name's sake, not to hide the export
        _write(partial, texts, prompts, prompts_path, manifest, names, zoo)
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return ZooExport(
        out=str(out),
        models=len(names),
        answers=sum(a is not None for answers in texts.values() for a in answers),
        missing={name: n for name, answers in texts.items() if (n := sum(a is None for a in answers))},
    )


def _write(
    partial: Path,
    texts: dict[str, list[str | None]],
    prompts: list,
    prompts_path: Path,
    manifest: ZooManifest,
    names: dict[str, str],
    zoo: Path,
) -> None:
    (partial / ANSWERS_DIR).mkdir()
    for name, answers in texts.items():
        rows = [
            {"prompt_id": p.id, "prompt": p.text, **({"system": p.system} if p.system else {}), "response": a, "model": name}
            for p, a in zip(prompts, answers)
            if a is not None
        ]
        (partial / ANSWERS_DIR / f"{name}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows), encoding="utf-8"
        )
    shutil.copyfile(prompts_path, partial / prompts_path.name)
    here = lambda spec: spec.replace(f"{zoo}/", "")  # noqa: E731 - a path inside the zoo, written relative to it
    exported = manifest.model_copy(
        update={
            "store": "store.sqlite",
            "test_prompts": prompts_path.name,
            "candidates": {name: here(spec) for name, spec in manifest.candidates.items()},
            "students": [s.model_copy(update={"spec": here(s.spec), "base": here(s.base)}) for s in manifest.students],
            "answers": {here(spec): f"replay/{ANSWERS_DIR}/{name}.jsonl" for spec, name in names.items()},
        }
    )
    (partial / MANIFEST_FILE).write_text(exported.model_dump_json(indent=1), encoding="utf-8")
