"""A probe suite: the stated prompt distribution every metric is measured over.

A suite is a list of prompts plus its version, the sha256 of its canonical
JSONL form, which every result file records. The default suite ships inside
the package (gzip, a few MB); user suites are JSONL or CSV files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import Counter, defaultdict
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel

from distillscope.errors import UserError
from distillscope.probes.loader import load_prompts
from distillscope.types import Prompt

DEFAULT_SUITE_FILE = "probe_suite.jsonl.gz"
SPLITS = ("train", "test")


def canonical_jsonl(records: list[dict]) -> bytes:
    """One JSON object per line, keys sorted, UTF-8: the same records always give the same bytes."""
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


class ProbeSuite(BaseModel):
    name: str
    prompts: list[Prompt]

    @property
    def version(self) -> str:
        records = [p.model_dump(exclude_none=True) for p in self.prompts]
        return "sha256:" + hashlib.sha256(canonical_jsonl(records)).hexdigest()

    def split(self, name: str | None) -> list[Prompt]:
        if name is None or name == "all":
            return list(self.prompts)
        if name not in SPLITS:
            raise UserError(f"unknown split '{name}'", "use train, test or all")
        if not any(p.split for p in self.prompts):
            return stratified_split(self.prompts, seed=0)[name]
        return [p for p in self.prompts if p.split == name]

    def sample(self, n: int, split: str | None = "test", seed: int = 0) -> list[Prompt]:
        return stratified_sample(self.split(split), n, seed)

    def to_jsonl(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(canonical_jsonl([p.model_dump(exclude_none=True) for p in self.prompts]))


def _by_category(prompts: list[Prompt]) -> dict[str, list[Prompt]]:
    groups: dict[str, list[Prompt]] = defaultdict(list)
    for prompt in prompts:
        groups[prompt.category].append(prompt)
    return dict(sorted(groups.items()))


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Split n across categories in proportion to their sizes (largest remainder, ties by name)."""
    total = sum(sizes.values())
    exact = {c: n * size / total for c, size in sizes.items()}
    counts = {c: int(value) for c, value in exact.items()}
    leftovers = sorted(sizes, key=lambda c: (-(exact[c] - counts[c]), c))
    for category in leftovers[: n - sum(counts.values())]:
        counts[category] += 1
    return counts


def stratified_sample(prompts: list[Prompt], n: int, seed: int = 0) -> list[Prompt]:
    """n prompts with each category's share of the pool kept, drawn reproducibly from the seed."""
    if n > len(prompts):
        raise UserError(f"cannot sample {n} prompts from {len(prompts)}", f"ask for at most {len(prompts)}")
    groups = _by_category(prompts)
    counts = allocate({c: len(g) for c, g in groups.items()}, n)
    chosen: list[Prompt] = []
    for category, group in groups.items():
        chosen.extend(random.Random(f"{seed}:sample:{category}").sample(group, counts[category]))
    return chosen


def nested_sample(prompts: list[Prompt], sizes: list[int], seed: int = 0) -> list[Prompt]:
    """Stratified samples in rounds, each from what the earlier ones left: the first k rounds are the same
    prompts whatever comes after, so a grown sample reuses every answer to the smaller one."""
    chosen: list[Prompt] = []
    for size in sizes:
        taken = {p.id for p in chosen}
        chosen.extend(stratified_sample([p for p in prompts if p.id not in taken], size, seed))
    return chosen


def stratified_split(prompts: list[Prompt], seed: int = 0, test_share: float = 0.2) -> dict[str, list[Prompt]]:
    """Train/test by category, for user suites that do not carry a split."""
    split: dict[str, list[Prompt]] = {"train": [], "test": []}
    for category, group in _by_category(prompts).items():
        n_test = round(len(group) * test_share)
        test_ids = {p.id for p in random.Random(f"{seed}:split:{category}").sample(group, n_test)}
        for prompt in group:
            split["test" if prompt.id in test_ids else "train"].append(prompt)
    return split


def load_default_suite() -> ProbeSuite:
    data = files("distillscope.data").joinpath(DEFAULT_SUITE_FILE).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return ProbeSuite(name="default", prompts=[Prompt(**json.loads(line)) for line in lines])


def load_suite(path: str | Path | None = None) -> ProbeSuite:
    """The packaged default suite, or a user's JSONL/CSV file."""
    if path is None or str(path) == "default":
        return load_default_suite()
    return ProbeSuite(name=Path(path).name, prompts=load_prompts(path))


def source_family(source: str | None) -> str:
    """'sharegpt', 'gsm8k', ... or 'template:identity' for generated prompts."""
    head, _, rest = (source or "unknown").partition(":")
    return f"{head}:{rest.split('/')[0]}" if head == "template" else head


def find_duplicates(numbered: list[tuple[int, Prompt]], threshold: float = 0.7) -> list[tuple[int, int, str]]:
    """(line, line of the earlier twin, 'exact' or 'near') for every duplicate, in file order."""
    from distillscope.probes.text_filters import NearDuplicateIndex, normalise

    first_line: dict[str, int] = {}
    index = NearDuplicateIndex(threshold=threshold)
    found = []
    for line, prompt in numbered:
        norm = normalise(prompt.text)
        if norm in first_line:
            found.append((line, first_line[norm], "exact"))
            continue
        twin = index.duplicate_of(prompt.text)
        if twin is not None:
            found.append((line, int(twin), "near"))
            continue
        first_line[norm] = line
        index.add(str(line), prompt.text)
    return found


def suite_stats(suite: ProbeSuite) -> dict:
    lengths = sorted(len(p.text) for p in suite.prompts)

    def percentile(q: float) -> int:
        return lengths[min(len(lengths) - 1, int(q * (len(lengths) - 1) + 0.5))]

    return {
        "name": suite.name,
        "version": suite.version,
        "prompts": len(suite.prompts),
        "by_category": dict(sorted(Counter(p.category for p in suite.prompts).items())),
        "by_split": dict(sorted(Counter(p.split or "none" for p in suite.prompts).items())),
        "by_language": dict(Counter(p.language or "unknown" for p in suite.prompts).most_common()),
        "by_source": dict(Counter(source_family(p.source) for p in suite.prompts).most_common()),
        "with_reference_answer": sum(p.reference_answer is not None for p in suite.prompts),
        "length_chars": {f"p{int(q * 100)}": percentile(q) for q in (0.05, 0.25, 0.5, 0.75, 0.95)},
    }
