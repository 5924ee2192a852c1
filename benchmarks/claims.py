"""Identity-claim extractor throughput: `extract_claims` vs a plain regex scan of the same texts (the floor).

Builds N answers of about 1 KB from the labelled sets (tests/data/identity_claims*.jsonl), each
padded with ordinary prose to ~1,000 characters, English and Chinese, persona formats and reasoning
traces included. In one process, on one core, it times:

1. the floor: one `re.findall` of all family and developer names over every text (what any
   name-based reader must at least do);
2. `extract_claims` on every text (goal: at least 2,000 answers per second);
3. single 100 KB answers, including the ones that were quadratic before ("I am ChatGPT " * 7700,
   "我是ChatGPT，" * 6500, many persona sections; goal: each at most 0.5 s).

It prints answers per second for both, their ratio, and the worst single-answer time.

    python benchmarks/claims.py [--n 4000]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PROSE_EN = (
    "Large language models answer questions, write code and summarise documents; they can also be wrong, "
    "so check important facts against reliable sources before you rely on them. "
)
PROSE_ZH = "大型语言模型可以回答问题、编写代码、总结文档，但也可能出错，因此在依赖这些信息之前，请对照可靠来源核实重要事实。"


def texts(n: int) -> list[str]:
    rows = [
        json.loads(line)
        for path in sorted(DATA.glob("identity_claims*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rows = [row for row in rows if "text" in row]  # the ShareGPT set holds references only
    out = []
    for i in range(n):
        text = rows[i % len(rows)]["text"]
        prose = PROSE_ZH if re.search(r"[\u4e00-\u9fff]", text) else PROSE_EN
        size = 330 if prose is PROSE_ZH else 1000  # ~1 KB of UTF-8 either way
        while len(text) < size:
            text = f"{prose}{text}" if i % 2 else f"{text} {prose}"
        out.append(text[:size] if len(text) > size * 2 else text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    args = parser.parse_args()
    from distillscope.ice.claims import default_library, extract_claims
    from distillscope.ice.claims.window import judge_window as _judge_window

    library = default_library()
    answers = texts(args.n)
    size = sum(len(t.encode("utf-8")) for t in answers) / len(answers)
    aliases = sorted(
        {a for f in library.families.values() for a in f.names.all()} | {a for d in library.developers.values() for a in d.all()},
        key=len,
        reverse=True,
    )
    floor = re.compile("|".join(re.escape(a.lower()) for a in aliases))  # lower-cased text, so no IGNORECASE slowdown
    extract_claims("warm-up: I am ChatGPT.")

    start = time.perf_counter()
    found = sum(len(floor.findall(t.lower())) for t in answers)
    floor_s = time.perf_counter() - start

    start = time.perf_counter()
    claims = 0
    for text in answers:
        _judge_window.cache_clear()  # no help from answers seen before: the labelled sentences repeat in this sample
        claims += len(extract_claims(text).claims)
    extract_s = time.perf_counter() - start

    print(f"{len(answers)} answers, mean {size:.0f} bytes; names found: floor {found}, extractor {claims}")
    print(f"plain regex scan (floor): {len(answers) / floor_s:,.0f} answers/s")
    print(f"extract_claims:           {len(answers) / extract_s:,.0f} answers/s  (goal >= 2,000)")
    print(f"extractor / floor time:   {extract_s / floor_s:.1f}x slower than the plain scan")

    singles = {
        "'I am ChatGPT ' * 7700": "I am ChatGPT " * 7700,
        "'我是ChatGPT，' * 6500": "我是ChatGPT，" * 6500,
        "'[GPT]: I am ChatGPT\\n' * 5000": "[GPT]: I am ChatGPT\n" * 5000,
        "100 KB of mixed labelled answers": "\n".join(answers)[:100_000],
        "'<think>' * 14000": "<think>" * 14000,
    }
    worst = 0.0
    for label, text in singles.items():
        _judge_window.cache_clear()
        start = time.perf_counter()
        extract_claims(text)
        elapsed = time.perf_counter() - start
        worst = max(worst, elapsed)
        print(f"single {len(text.encode('utf-8')) / 1000:.0f} KB answer {label}: {elapsed:.3f} s")
    print(f"worst single answer: {worst:.3f} s  (goal <= 0.5 s)")


if __name__ == "__main__":
    main()
