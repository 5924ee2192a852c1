"""What a zoo build may take from other zoos (`zoo build --reuse ZOO`), never writing to them.

- a **built zoo** on this machine: a student's finished training report, kept only where its fingerprint (base,
  settings, data) is this student's (`train_lora` deletes the copy otherwise and trains here);
- an **exported zoo** (`zoo export`, answers only, from any machine): a student with the same name whose training had
  this student's fingerprint, on the same test prompts at the same answer length, is not trained again; its answers
  file is copied in and the new manifest maps the student's spec to it. A zoo can so be built over several machines
  or sessions, each exporting what it finished.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from distillscope.zoo.export import ANSWERS_DIR
from distillscope.zoo.spec import MANIFEST_FILE, read_manifest


def is_reusable(zoo: Path) -> bool:
    """A built zoo with trained students, or an exported one."""
    return (zoo / "students").is_dir() or (zoo / MANIFEST_FILE).is_file()


def copy_finished_training(zoos: list[Path], out_dir: Path) -> None:
    """Copy a finished training's report of the same student from another zoo (never its weights: the report points
    at that zoo's model). `train_lora` keeps it only if its fingerprint is this training's, and otherwise deletes the
    copy and trains here, so the other zoo is only ever read."""
    report = out_dir / "training_report.json"
    if report.exists():
        return
    for zoo in zoos:
        found = zoo / "students" / out_dir.name / "training_report.json"
        if found.exists():
            out_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, report)
            return


def exported_student(
    zoos: list[Path], name: str, fingerprint: str, zoo_dir: Path, test_prompts: str, max_tokens: int
) -> tuple[str, Path] | None:
    """(the student's spec as built there, its answers file copied into `zoo_dir`) from the first exported zoo whose
    student `name` had this training `fingerprint` and answered the same test prompts at the same length."""
    for zoo in zoos:
        if not (zoo / MANIFEST_FILE).is_file():
            continue
        manifest = read_manifest(zoo)
        if not manifest.answers or Path(manifest.test_prompts).name != test_prompts or manifest.sampling.max_tokens != max_tokens:
            continue
        for student in manifest.students:
            if student.name != name or fingerprint not in student.spec or student.spec not in manifest.answers:
                continue
            source = Path(manifest.model_spec(zoo, student.spec).removeprefix("replay/"))
            if not source.is_file():
                continue
            copy = zoo_dir / ANSWERS_DIR / f"{name}.jsonl"
            if not copy.exists() or copy.read_bytes() != source.read_bytes():
                copy.parent.mkdir(parents=True, exist_ok=True)
                partial = copy.with_suffix(".partial")
                shutil.copyfile(source, partial)
                partial.replace(copy)
            return student.spec, copy
    return None
