"""An audit of answers users already have: with no --suite and a replay teacher, the prompts are the files' own.

The teacher's file gives the prompts; each replay student's file keeps those
it answers too (paired as `pairing` says), so every measured prompt has an
answer from every replayed role. Students that are live models are asked the
same prompts. The run's notes name each file, its format and fingerprint, and
each pairing report; two files with no prompt in common stop the audit with
one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from distillscope.errors import InputFileError

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.imports.records import ImportedLog
    from distillscope.probes.suite import ProbeSuite
    from distillscope.workspace import Workspace

CATEGORY = "imported"


def _is_replay(spec: str | None) -> bool:
    return spec is not None and spec.strip().lower().startswith("replay/")


def _replay_log(ws: "Workspace", spec: str) -> "ImportedLog":
    """The saved answers of a `replay/` spec (read in full, so a bad file fails here)."""
    from distillscope.models.replay import ReplayModel

    model = ws.model(spec)
    if not isinstance(model, ReplayModel):  # never: only `_is_replay` specs come here
        raise TypeError(f"{spec} is not a replay model")
    return model.log()


def replay_suite(config: "AuditConfig", ws: "Workspace", note: Callable[[str], None]) -> "tuple[ProbeSuite, AuditConfig] | None":
    """(the paired prompts as a suite, the config measuring all of them) when no suite was given and the teacher is replayed; else None."""
    if config.suite is not None or config.teacher is None or not _is_replay(config.teacher):
        return None
    from distillscope.imports.pairing import pair_logs
    from distillscope.probes.suite import ProbeSuite
    from distillscope.types import Prompt

    teacher = _replay_log(ws, config.teacher)
    note(f"teacher answers: {teacher.summary()}")
    prompts = None
    for spec in config.students:
        if not _is_replay(spec):
            continue
        student = _replay_log(ws, spec)
        note(f"student answers: {student.summary()}")
        paired, report = pair_logs(teacher, student)
        note(report.line())
        if not paired:
            raise InputFileError(
                f"{teacher.path} and {student.path} have no prompt in common ({report.line().split(': ', 1)[1]})",
                "give logs of the same prompts (see docs/import.md for how prompts pair), or pass --suite",
            )
        keep = {(p.system_key, p.key, p.sample_id) for p in paired}
        prompts = [p for p in (prompts if prompts is not None else paired) if (p.system_key, p.key, p.sample_id) in keep]
    if prompts is None:  # no replayed student: every prompt of the teacher's file that pairs with itself
        prompts, _ = pair_logs(teacher, teacher)
    if not prompts:
        raise InputFileError(
            f"the replay files have no prompt in common with {teacher.path}", "give logs of the same prompts, or pass --suite"
        )
    suite_prompts = []
    for p in prompts:
        extra = {"id": p.sample_id} if p.sample_id is not None else {}
        suite_prompts.append(Prompt(text=p.text, system=p.system, category=CATEGORY, source=f"replay:{teacher.format}", **extra))
    suite = ProbeSuite(name=f"replay:{teacher.path}", prompts=list({p.id: p for p in suite_prompts}.values()))
    update: dict = {}
    if "split" not in config.model_fields_set:
        update["split"] = "all"
    if "n" not in config.model_fields_set:
        update["n"] = len(suite.prompts)
    note(f"prompts: the {len(suite.prompts)} prompts the replayed files share (no --suite given)")
    return suite, config.model_copy(update=update) if update else config
