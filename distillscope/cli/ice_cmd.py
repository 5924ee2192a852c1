"""`distillscope ice` (identity fuzzing) and `distillscope claims` (who does each answer say made it?)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.generate_cmd import StoreOption


def _default_facts(target_spec: str) -> str:
    """A built-in target knows its family; any other target needs --facts."""
    from distillscope.errors import UserError
    from distillscope.models.builtin import BUILTIN_MODELS
    from distillscope.models.spec import ModelSpec

    spec = ModelSpec.parse(target_spec)
    if spec.provider == "builtin" and spec.name in BUILTIN_MODELS:
        return BUILTIN_MODELS[spec.name].family
    raise UserError(f"no --facts given for {target_spec}", "name its family (e.g. --facts qwen) or a YAML fact file")


def ice(
    target: Annotated[str, typer.Option("--target", "-t", help="the model probed for identity leakage")],
    helper: Annotated[str, typer.Option("--helper", help="model that mutates templates (any backend)")],
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="conflict judge; without one only strict/hard are scored")] = None,
    facts: Annotated[Optional[str], typer.Option("--facts", help="the target's true family: a packaged id (qwen, gemma, ...) or a YAML file")] = None,
    library: Annotated[Optional[list[Path]], typer.Option("--library", help="extra fact-set YAML files for the claim extractor; repeatable")] = None,
    templates: Annotated[Optional[list[Path]], typer.Option("--templates", help="seed templates (YAML or GPTFuzz id,text CSV); repeatable")] = None,
    budget: Annotated[int, typer.Option(min=1, help="target queries in all (the paper: 1000)")] = 1000,
    questions_per_iteration: Annotated[int, typer.Option(min=1, help="identity questions filled into each mutant")] = 5,
    strict_families: Annotated[str, typer.Option(help="comma-separated families whose claims count for strict ('any': any other family)")] = "openai,anthropic",
    strict_judge: Annotated[str, typer.Option(help="who decides strict: extractor, judge (LLM over loose positives, as the paper) or both")] = "extractor",
    reward: Annotated[str, typer.Option(help="what rewards a template: loose (judge) or strict (extractor)")] = "loose",
    max_tokens: Annotated[int, typer.Option(min=1, help="answer length limit for the target")] = 128,
    seed: int = 0,
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("ice_results.json"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """ICE: fuzz identity questions through jailbreak-style templates and score loose / strict / hard identity conflicts."""
    from rich.console import Console

    from distillscope.errors import UserError
    from distillscope.ice.facts import load_library, resolve_fact_set
    from distillscope.ice.fuzzer import FuzzConfig, Fuzzer
    from distillscope.ice.scoring import score_run
    from distillscope.ice.templates import identity_questions, load_templates
    from distillscope.models.registry import load_model
    from distillscope.results import envelope, write_results
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    if reward not in ("loose", "strict"):
        raise UserError(f"--reward must be loose or strict, not '{reward}'", "use --reward loose or --reward strict")
    fact_library = load_library(library)
    fact_set, fact_library = resolve_fact_set(facts or _default_facts(target), fact_library)
    from distillscope.ice.strict_judge import apply_strict_judge, check_strict_options

    families = check_strict_options(strict_families, strict_judge, judge, fact_library)
    models = {"target": load_model(target), "helper": load_model(helper), "judge": load_model(judge) if judge else None}
    seeds = load_templates(templates)
    questions = identity_questions()
    config = FuzzConfig(budget=budget, questions_per_iteration=questions_per_iteration, seed=seed, max_tokens=max_tokens,
                        reward=reward, strict_families=families)
    runner = Runner(ResponseStore(store), show_progress=False)
    with _fuzz_progress(progress, budget) as advance:
        run = Fuzzer(runner, models["target"], models["helper"], models["judge"], fact_set, fact_library, seeds, questions,
                     config, on_progress=advance).run()
    stage = apply_strict_judge(run, runner, models["judge"], fact_set, fact_library, families, strict_judge)  # type: ignore[arg-type]
    result = score_run(run, judged=judge is not None)
    _print_result(Console(), result, models["target"].identity)
    strict_info = {"strict_families": families, "strict_mode": strict_judge, "strict_judge": stage.model_dump() if stage else None}
    _print_strict(Console(), strict_info)
    suite = _Suite(name="ice-identity-questions", questions=questions, seeds=seeds)
    data = envelope("ice", suite=suite, prompts={"questions": len(questions), "seed_templates": len(seeds)},
                    models={"target": models["target"].identity, "helper": models["helper"].identity,
                            "judge": models["judge"].identity if models["judge"] else None},
                    sampling={"target": {"temperature": 0.0, "max_tokens": max_tokens}}, seed=seed,
                    facts={"family": fact_set.family, "developer": fact_set.developer},
                    results={**result.model_dump(), **strict_info}, records=[r.model_dump() for r in run.records])
    write_results(out, data)
    typer.echo(f"results: {out}", err=True)


class _Suite:
    """The envelope's suite for ICE: the identity questions and seed templates, hashed."""

    def __init__(self, name: str, questions, seeds) -> None:  # noqa: ANN001
        from distillscope.types import canonical_json, sha256_hex

        self.name = name
        payload = canonical_json([[q.model_dump() for q in questions], [s.model_dump() for s in seeds]])
        self.version = "sha256:" + sha256_hex(payload)


@contextmanager
def _fuzz_progress(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """A rich bar over target queries; yields the callback the fuzzer advances."""
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("ICE fuzzing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as progress:
        task = progress.add_task("queries", total=total)
        yield lambda n: progress.advance(task, n)


def _print_result(console, result, target: str) -> None:  # noqa: ANN001
    from rich.table import Table

    table = Table(title=f"ICE of {target} (true family: {result.family}; {result.queries} queries)")
    for column in ("", "loose", "strict", "hard", "n"):
        table.add_column(column, justify="right" if column else "left")
    rows = {"overall": result.overall, **{f"category: {c}": s for c, s in result.by_category.items()},
            **{f"language: {lang}": s for lang, s in result.by_language.items()}}
    from distillscope.report.tables import MIN_CATEGORY_N

    for label, scores in rows.items():
        if label != "overall" and scores.queries < MIN_CATEGORY_N:  # a small group's rate is noise, not a finding
            table.add_row(f"[dim]{label}[/dim]", *["[dim]too few[/dim]"] * 3, f"[dim]{scores.queries}[/dim]")
            continue
        table.add_row(label, scores.loose.fmt() if scores.loose else "-", scores.strict.fmt(), scores.hard.fmt(), str(scores.queries))
    console.print(table)
    agreement = result.judge_extractor_agreement
    console.print(f"misleading-template queries {result.misleading_queries}; unjudged {result.unjudged}; "
                  f"judge/extractor agreement {agreement.fmt() if agreement else 'n/a'}; template pool {result.seed_templates} -> "
                  f"{result.pool_size}; helper failures {result.helper_failures}, placeholder repairs {result.placeholder_repairs}")
    from rich.markup import escape

    for summary in result.top_templates[:3]:
        console.print(f"[bold]{escape(summary.mutant_id)}[/bold] loose {summary.loose_successes}/{summary.queries}, strict "
                      f"{summary.strict_successes}/{summary.queries}: {escape(repr(summary.example_response))[:200]}", highlight=False)


def _print_strict(console, info: dict) -> None:  # noqa: ANN001
    families = ", ".join(info["strict_families"]) if info["strict_families"] else "any family but the target's own"
    line = f"strict counts claims to: {families} (decided by: {info['strict_mode']})"
    stage = info["strict_judge"]
    if stage:
        a = stage["agreement"]
        kappa = f"{a['kappa']:.2f}" if a["kappa"] is not None else "n/a"
        line += (f"; LLM strict judge saw {stage['judged']} answers, {stage['judge_positive']} positive, {a['judge_failures']} unreadable; "
                 f"vs extractor: both {a['both']}, judge only {a['judge_only']}, extractor only {a['extractor_only']}, "
                 f"neither {a['neither']}, kappa {kappa}")
    console.print(line, highlight=False)


def claims(
    file: Annotated[Path, typer.Argument(help="JSONL or CSV of responses")],
    column: Annotated[str, typer.Option("--column", help="the column holding the response text")] = "text",
    prompt_column: Annotated[Optional[str], typer.Option(help="column with the prompt, so roles it imposed are not counted")] = None,
    library: Annotated[Optional[list[Path]], typer.Option("--library", help="extra fact-set YAML files; repeatable")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="output JSONL; default FILE.claims.jsonl")] = None,
    voices: Annotated[str, typer.Option(help="voices whose claims count, of own,persona,quoted,hypothetical,reasoning")] = "own,persona",
) -> None:
    """Add who each response says it is or was made by: `claimed_families`, `claimed_developers`, and every name with its span and voice."""
    import json

    from distillscope.errors import InputFileError
    from distillscope.errors import UserError
    from distillscope.ice.claims import VOICES, extract_claims
    from distillscope.ice.facts import load_library
    from distillscope.probes.loader import read_records

    counted = tuple(v.strip() for v in voices.split(",") if v.strip())
    if not counted or any(v not in VOICES for v in counted):
        raise UserError(f"--voices '{voices}' names an unknown voice", f"choose from {', '.join(VOICES)}")
    fact_library = load_library(library)
    rows = list(read_records(file, "responses"))
    missing = [n for n, row in rows if column not in row]
    if missing:
        raise InputFileError(f"{file} line {missing[0]} has no '{column}' column", "name the response column with --column")
    out = out or file.with_suffix(".claims.jsonl")
    if out.resolve() == file.resolve():
        raise InputFileError(f"--out {out} would overwrite the input", "choose another output path")
    counts: dict[str, int] = {}
    with out.open("w", encoding="utf-8") as handle:
        for _, row in rows:
            prompt = str(row.get(prompt_column) or "") if prompt_column else None
            report = extract_claims(str(row[column] or ""), prompt=prompt, library=fact_library, voices=counted)
            row = {**row, "claimed_families": report.claimed_families, "claimed_developers": report.claimed_developers,
                   "reasoning_families": report.reasoning_families, "reasoning_developers": report.reasoning_developers,
                   "claims": [c.model_dump(exclude={"sentence"}) for c in report.claims]}
            for ident in report.claimed_families:
                counts[ident] = counts.get(ident, 0) + 1
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"
    typer.echo(f"{len(rows)} rows; families claimed: {summary}; wrote {out}", err=True)
