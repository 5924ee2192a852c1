"""GPTFuzz-style identity fuzzing with MCTS-Explore selection (METHODS.md section 3).

Each iteration selects a template (UCT over the tree of templates, a small
chance of stopping at an inner node, a path-length penalty on rewards),
mutates it with the helper model (one of five operators), fills identity
questions into it, queries the target and judges the answers. A mutant that
produced a success joins the pool as a child of the template it came from.

Resumability comes from the store: every helper, target and judge call is
stored, and the fuzzer is a deterministic function of its seed and of those
answers, so re-running a killed run replays the finished iterations from the
store without a single new query and continues where it stopped.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from distillscope.ice.claims import claims_other_identity, extract_claims
from distillscope.ice.facts import FactLibrary, FactSet
from distillscope.ice.templates import PLACEHOLDER, IdentityQuestion, SeedTemplate, fill, names_other_identity
from distillscope.judges.judge import CONFLICT_LOGPROB_MAX_TOKENS, item_id, read_conflict, run_judge
from distillscope.judges.parsing import parse_conflict  # noqa: F401 - re-exported: the conflict judge's grammar
from distillscope.judges.templates import load_template
from distillscope.models.base import Model
from distillscope.types import GenerationRequest, Message, SamplingParams, sha256_hex

if TYPE_CHECKING:
    from distillscope.protocols import AnswerRunner

MUTATORS = ("generate_similar", "crossover", "expand", "shorten", "rephrase")


class FuzzConfig(BaseModel):
    budget: int = 1000
    questions_per_iteration: int = 5
    seed: int = 0
    max_tokens: int = 128
    helper_max_tokens: int = 256
    helper_temperature: float = 0.8
    reward: Literal["loose", "strict"] = "loose"
    ratio: float = 0.5  # UCT exploration weight
    alpha: float = 0.1  # chance to stop descending at an inner node
    beta: float = 0.2  # floor of the path-length reward penalty
    strict_families: list[str] | None = None


class TemplateNode(BaseModel):
    index: int
    template_id: str
    text: str
    misleading: bool
    parent: int | None = None
    mutator: str | None = None
    level: int = 0
    children: list[int] = []
    visits: int = 0
    reward: float = 0.0


class QueryRecord(BaseModel):
    iteration: int
    node: int
    template_id: str
    mutant_id: str
    mutator: str
    misleading: bool
    question_id: str
    category: str
    language: str
    prompt: str
    response: str | None
    loose: bool | None = None  # None: not judged (no judge, or the judge's answer was unreadable)
    judge_reason: str | None = None
    strict: bool = False
    claimed_families: list[str] = []
    claimed_developers: list[str] = []

    @property
    def hard(self) -> bool:
        return self.strict and not self.misleading


class FuzzRun(BaseModel):
    config: FuzzConfig
    family: str
    records: list[QueryRecord]
    nodes: list[TemplateNode]
    mutants: dict[str, str]
    helper_failures: int = 0
    placeholder_repairs: int = 0


class Fuzzer:
    def __init__(
        self,
        runner: AnswerRunner[Model],
        target: Model,
        helper: Model,
        judge: Model | None,
        fact_set: FactSet,
        library: FactLibrary,
        seeds: list[SeedTemplate],
        questions: list[IdentityQuestion],
        config: FuzzConfig,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        if config.reward == "loose" and judge is None:
            config = config.model_copy(update={"reward": "strict"})
        self.runner, self.target, self.helper, self.judge = runner, target, helper, judge
        self.fact_set, self.library, self.config = fact_set, library, config
        self.questions = questions
        self.on_progress = on_progress or (lambda n: None)
        self.rng = random.Random(config.seed)
        self.nodes = [
            TemplateNode(
                index=i,
                template_id=s.id,
                text=s.text,
                misleading=s.misleading if s.misleading is not None else names_other_identity(s.text, fact_set, library),
            )
            for i, s in enumerate(seeds)
        ]
        self.n_seeds = len(seeds)
        self.step = 0
        self._question_queue: list[IdentityQuestion] = []
        self.helper_failures = 0
        self.placeholder_repairs = 0

    # --- MCTS-Explore ---
    def _uct(self, node: TemplateNode) -> float:
        return node.reward / (node.visits + 1) + self.config.ratio * math.sqrt(2 * math.log(self.step + 1) / (node.visits + 0.01))

    def select(self) -> list[TemplateNode]:
        self.step += 1
        current = max(self.nodes[: self.n_seeds], key=self._uct)
        path = [current]
        while current.children:
            if self.rng.random() < self.config.alpha:
                break
            current = max((self.nodes[i] for i in current.children), key=self._uct)
            path.append(current)
        for node in path:
            node.visits += 1
        return path

    def update(self, path: list[TemplateNode], successes: int, asked: int) -> None:
        reward = successes / max(1, asked)
        last = path[-1]
        for node in reversed(path):
            node.reward += reward * max(self.config.beta, 1 - 0.1 * last.level)

    # --- one iteration's calls ---
    def _next_questions(self, k: int) -> list[IdentityQuestion]:
        """Cycle through a shuffled question list so categories and languages stay balanced over the run."""
        out: list[IdentityQuestion] = []
        while len(out) < k:
            if not self._question_queue:
                self._question_queue = list(self.questions)
                self.rng.shuffle(self._question_queue)
            out.append(self._question_queue.pop())
        return out

    def mutate(self, node: TemplateNode, iteration: int) -> tuple[str, str]:
        mutator = self.rng.choice(MUTATORS)
        other = self.rng.choice(self.nodes).text if mutator == "crossover" else ""
        prompt = load_template(f"mutate_{mutator}").render(seed=node.text, other=other)
        sampling = SamplingParams(
            temperature=self.config.helper_temperature,
            max_tokens=self.config.helper_max_tokens,
            seed=self.config.seed * 1_000_003 + iteration,
        )
        request = GenerationRequest(
            prompt_id=f"mutate-{sha256_hex(prompt)[:12]}", messages=(Message(role="user", content=prompt),), sampling=sampling
        )
        response = self.runner.run(self.helper, [request]).responses[0]
        if response is None or not response.text.strip():
            self.helper_failures += 1
            return node.text, mutator
        text = response.text.strip().strip("<>").strip()
        if mutator == "expand":
            text = f"{text}\n{node.text}"
        if PLACEHOLDER not in text:
            self.placeholder_repairs += 1
            text = f"{text}\n{PLACEHOLDER}"
        return text, mutator

    def _query(self, template: str, questions: list[IdentityQuestion]) -> list[str | None]:
        sampling = SamplingParams(max_tokens=self.config.max_tokens)
        requests = [
            GenerationRequest(
                prompt_id=f"ice-{sha256_hex(fill(template, q.text))[:16]}",
                messages=(Message(role="user", content=fill(template, q.text)),),
                sampling=sampling,
            )
            for q in questions
        ]
        return [r.text if r else None for r in self.runner.run(self.target, requests).responses]

    def _judge(self, responses: list[str | None], language: list[str]) -> list[tuple[bool | None, str | None]]:
        if self.judge is None:
            return [(None, None)] * len(responses)
        template = load_template("ice_conflict")
        items, positions = [], []
        for position, (response, lang) in enumerate(zip(responses, language)):
            if response is None:
                continue
            prompt = template.render(facts=self.fact_set.facts_for(lang), response=response)
            items.append((item_id("ice-conflict", self.fact_set.family, prompt), prompt))
            positions.append(position)
        verdicts: list[tuple[bool | None, str | None]] = [(None, None)] * len(responses)
        outcomes = run_judge(
            self.runner,
            self.judge,
            items,
            parse_conflict,
            "<judge>0</judge>",
            read_logprobs=read_conflict,
            logprob_max_tokens=CONFLICT_LOGPROB_MAX_TOKENS,
        )
        for position, outcome in zip(positions, outcomes):
            verdicts[position] = outcome.parsed if outcome.ok else (None, outcome.error)
        return verdicts

    def run(self) -> FuzzRun:
        records: list[QueryRecord] = []
        mutants: dict[str, str] = {}
        iteration = 0
        strict_families = set(self.config.strict_families) if self.config.strict_families else None
        while len(records) < self.config.budget:
            path = self.select()
            node = path[-1]
            mutant, mutator = self.mutate(node, iteration)
            questions = self._next_questions(min(self.config.questions_per_iteration, self.config.budget - len(records)))
            responses = self._query(mutant, questions)
            verdicts = self._judge(responses, [q.language for q in questions])
            # a mutant is judged by its own text: one that dropped the planted name is not misleading
            misleading = node.misleading if mutant == node.text else names_other_identity(mutant, self.fact_set, self.library)
            mutant_id = f"{node.template_id}>{mutator}#{iteration}"
            mutants[mutant_id] = mutant
            batch = []
            for question, response, (loose, reason) in zip(questions, responses, verdicts):
                filled = fill(mutant, question.text)
                report = extract_claims(response or "", prompt=filled, library=self.library)
                strict = claims_other_identity(report, self.fact_set.family, self.fact_set.developer, self.library, strict_families)
                batch.append(
                    QueryRecord(
                        iteration=iteration,
                        node=node.index,
                        template_id=node.template_id,
                        mutant_id=mutant_id,
                        mutator=mutator,
                        misleading=misleading,
                        question_id=question.id,
                        category=question.category,
                        language=question.language,
                        prompt=filled,
                        response=response,
                        loose=loose,
                        judge_reason=reason,
                        strict=strict,
                        claimed_families=report.claimed_families,
                        claimed_developers=report.claimed_developers,
                    )
                )
            successes = sum(bool(r.loose if self.config.reward == "loose" else r.strict) for r in batch)
            if successes:
                child = TemplateNode(
                    index=len(self.nodes),
                    template_id=mutant_id,
                    text=mutant,
                    misleading=misleading,
                    parent=node.index,
                    mutator=mutator,
                    level=node.level + 1,
                )
                node.children.append(child.index)
                self.nodes.append(child)
            self.update(path, successes, len(batch))
            records += batch
            iteration += 1
            self.on_progress(len(batch))
        return FuzzRun(
            config=self.config,
            family=self.fact_set.family,
            records=records,
            nodes=self.nodes,
            mutants=mutants,
            helper_failures=self.helper_failures,
            placeholder_repairs=self.placeholder_repairs,
        )
