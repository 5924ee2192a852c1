"""Building the default probe suite: 5,000 prompts, 10 categories of 500.

Real prompts come from the packaged data sets (ShareGPT first turns, GSM8K
test, AIME 2025, GPQA diamond); templated categories are generated from the
seed by the modules in `templates/`. Every choice goes through one seeded
`random.Random` and one near-duplicate index, in a fixed order, so the same
seed gives byte-identical output on every machine. The suite's version is the
sha256 of that output.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from distillscope.errors import UserError
from distillscope.probes.sources import aime_2025, gpqa_diamond, gsm8k_test, sharegpt_first_turns
from distillscope.probes.suite import ProbeSuite
from distillscope.probes.templates.creative import creative_candidates
from distillscope.probes.templates.identity import identity_candidates
from distillscope.probes.templates.multilingual import native_candidates, translation_candidates
from distillscope.probes.templates.reasoning import reasoning_candidates
from distillscope.probes.templates.robustness import robustness_candidates
from distillscope.probes.templates.safety import safety_candidates
from distillscope.probes.templates.style_format import style_candidates
from distillscope.probes.text_filters import NearDuplicateIndex, detect_language, looks_personal
from distillscope.types import Prompt

CATEGORIES = (
    "general",
    "reasoning",
    "math",
    "domain_technical",
    "style_format",
    "robustness",
    "creative",
    "safety",
    "multilingual",
    "identity",
)
PER_CATEGORY = 500
TEST_PER_CATEGORY = 100
MIN_CHARS, MAX_CHARS = 20, 2000

CODE = re.compile(
    r"```|\b(python|javascript|typescript|java|c\+\+|c#|golang|rust|sql|html|css|react|node\.?js|django|flask|"
    r"docker|kubernetes|git|linux|bash|regex|api|json|function|class|compile|bug|error|stack trace|algorithm|"
    r"database|server|code|script|program)\b",
    re.IGNORECASE,
)
SCIENCE = re.compile(
    r"\b(physics|chemistry|biology|quantum|molecule|protein|cell|dna|equation|statistics|probability|theorem|"
    r"machine learning|neural network|climate|energy|electron|enzyme|calculus|astronomy|genetics|medicine)\b",
    re.IGNORECASE,
)
CREATIVE = re.compile(
    r"\b(write|compose|create)\b.{0,40}\b(story|poem|song|lyrics|haiku|limerick|screenplay|script|fable|"
    r"fairy tale|novel|rap|sonnet|dialogue)\b|\b(poem|short story|fiction)\b",
    re.IGNORECASE,
)
# Real prompts that only make sense with their conversation (pasted context, "continue", ...).
CONTEXT_DEPENDENT = re.compile(r"^(continue|go on|more|next|yes|no|ok|okay|thanks|thank you)\W*$", re.IGNORECASE)


def classify_sharegpt(text: str) -> str:
    if CREATIVE.search(text):
        return "creative"
    if CODE.search(text):
        return "code"
    if SCIENCE.search(text):
        return "science"
    return "general"


def _sharegpt_pool(rng: random.Random) -> list[dict]:
    pool = []
    for record in sharegpt_first_turns():
        text = record.text.strip()
        if not MIN_CHARS <= len(text) <= MAX_CHARS or CONTEXT_DEPENDENT.match(text) or looks_personal(text):
            continue
        pool.append(
            {
                "text": text,
                "source": f"sharegpt:{record.source_id}",
                "language": detect_language(text),
                "kind": classify_sharegpt(text),
            }
        )
    rng.shuffle(pool)
    return pool


class _Selector:
    """Takes candidates in order, skipping near-duplicates of anything already chosen.

    A real prompt is used at most once in the whole suite, also as the base of
    a templated variant (`base_source`), so no two categories share a request.
    """

    def __init__(self) -> None:
        self.index = NearDuplicateIndex()
        self.used_sources: set[str] = set()

    def _usable(self, candidate: dict) -> bool:
        sources = (candidate["source"], candidate.get("base_source"))
        return not any(s in self.used_sources for s in sources if s)

    def take(self, candidates: Iterable[dict], n: int) -> list[dict]:
        chosen: list[dict] = []
        for candidate in candidates:
            if len(chosen) == n:
                break
            if not self._usable(candidate):
                continue
            if self.index.add(Prompt(text=candidate["text"]).id, candidate["text"]):
                self.used_sources.update(s for s in (candidate["source"], candidate.get("base_source")) if s)
                chosen.append(candidate)
        return chosen

    def take_balanced(self, candidates: Iterable[dict], n: int) -> list[dict]:
        """An equal share from every `group` (sorted by name); shortfalls are filled from the others."""
        groups: dict[str, list[dict]] = {}
        for candidate in candidates:
            groups.setdefault(candidate.get("group", ""), []).append(candidate)
        names = sorted(groups)
        quota = allocate_evenly(names, n)
        chosen: list[dict] = []
        for name in names:
            chosen += self.take(groups[name], quota[name])
        for name in names:
            if len(chosen) < n:
                chosen += self.take(groups[name], n - len(chosen))
        return chosen

    def unused(self, pool: list[dict]) -> list[dict]:
        return [p for p in pool if self._usable(p)]


def allocate_evenly(names: list[str], n: int) -> dict[str, int]:
    base, extra = divmod(n, len(names))
    return {name: base + (i < extra) for i, name in enumerate(names)}


def _fill(category: str, chosen: list[dict]) -> list[dict]:
    if len(chosen) < PER_CATEGORY:
        raise UserError(
            f"the probe-suite build found only {len(chosen)} usable prompts for '{category}' (needs {PER_CATEGORY})",
            "check that the source data packages are complete",
        )
    return chosen


def build_records(seed: int = 0) -> list[dict]:
    """All 5,000 prompt records, in category order, with a stratified split."""
    rng = random.Random(seed)
    select = _Selector()
    pool = _sharegpt_pool(rng)
    english = [p for p in pool if p["language"] == "en"]
    by_category: dict[str, list[dict]] = {}

    gsm8k = [
        dict(text=r.text, source=f"gsm8k:{r.source_id}", reference_answer=r.reference_answer, subcategory="gsm8k") for r in gsm8k_test()
    ]
    rng.shuffle(gsm8k)
    by_category["math"] = _fill("math", select.take(gsm8k, PER_CATEGORY))

    real_reasoning = [
        dict(text=r.text, source=f"{r.source}:{r.source_id}", reference_answer=r.reference_answer, subcategory=r.subcategory or r.source)
        for r in [*aime_2025(), *gpqa_diamond()]
    ]
    reasoning = select.take(real_reasoning, len(real_reasoning))
    reasoning += select.take_balanced(reasoning_candidates(rng), PER_CATEGORY - len(reasoning))
    by_category["reasoning"] = _fill("reasoning", reasoning)

    by_category["identity"] = _fill("identity", select.take_balanced(identity_candidates(rng), PER_CATEGORY))
    by_category["safety"] = _fill("safety", select.take_balanced(safety_candidates(rng), PER_CATEGORY))

    technical = [dict(p, subcategory=p["kind"], group=p["kind"]) for p in english if p["kind"] in ("code", "science")]
    by_category["domain_technical"] = _fill("domain_technical", select.take_balanced(technical, PER_CATEGORY))

    real_creative = [dict(p, subcategory="sharegpt") for p in english if p["kind"] == "creative"]
    creative = select.take(real_creative, PER_CATEGORY // 2)
    creative += select.take(creative_candidates(rng), PER_CATEGORY - len(creative))
    by_category["creative"] = _fill("creative", creative)

    general = [dict(p, subcategory="sharegpt") for p in select.unused(english) if p["kind"] == "general"]
    by_category["general"] = _fill("general", select.take(general, PER_CATEGORY))

    rest = [p for p in select.unused(english) if p["kind"] == "general"]
    short = [p for p in rest if len(p["text"]) <= 300]
    by_category["style_format"] = _fill(
        "style_format", select.take_balanced(style_candidates(rng, short[: PER_CATEGORY * 2]), PER_CATEGORY)
    )
    rest = [p for p in select.unused(english) if p["kind"] == "general" and 40 <= len(p["text"]) <= 800]
    by_category["robustness"] = _fill(
        "robustness", select.take_balanced(robustness_candidates(rng, rest[: PER_CATEGORY * 2]), PER_CATEGORY)
    )

    real_other = [dict(p, subcategory=f"sharegpt-{p['language']}") for p in pool if p["language"] != "en"]
    multilingual = select.take(real_other, 100)
    native = native_candidates(rng)
    multilingual += select.take([c for c in native if c["group"] == "native-zh"], 200 - sum(p["language"] == "zh" for p in multilingual))
    bases = [p for p in select.unused(english) if p["kind"] == "general" and len(p["text"]) <= 400]
    multilingual += select.take(translation_candidates(rng, bases[:300]), 100)
    multilingual += select.take([c for c in native if c["group"] == "native-other"], PER_CATEGORY - len(multilingual))
    by_category["multilingual"] = _fill("multilingual", multilingual)

    records = []
    for category in CATEGORIES:
        chosen = by_category[category]
        test_rows = set(random.Random(f"{seed}:split:{category}").sample(range(len(chosen)), TEST_PER_CATEGORY))
        for row, candidate in enumerate(chosen):
            prompt = Prompt(
                text=candidate["text"],
                category=category,
                subcategory=candidate.get("subcategory"),
                source=candidate["source"],
                language=candidate.get("language") or detect_language(candidate["text"]),
                reference_answer=candidate.get("reference_answer"),
                split="test" if row in test_rows else "train",
            )
            records.append(prompt.model_dump(exclude_none=True))
    return records


def build_suite(seed: int = 0, name: str = "default") -> ProbeSuite:
    """The default suite rebuilt from its sources: byte for byte the packaged one for seed 0."""
    return ProbeSuite(name=name, prompts=[Prompt(**r) for r in build_records(seed)])
