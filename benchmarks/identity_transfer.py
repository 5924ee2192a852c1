"""Identity transfer on the zoo: do students start claiming their teacher's identity, and from which budget?

Every zoo student, its base and the local candidates answer ICE's identity
questions (the probe suite's, English and Chinese, five fact categories) as
plain questions, greedy, through the zoo's store; the claim extractor then
reads which family or developer each answer claims. Per model it prints the
share of answers claiming each family (Wilson 95% intervals) and the claims
naming its true teacher's family. This is ICE's question set without the
fuzzing templates: the direct probe, the lower end of what fuzzing finds. A family counts when an
answer claims it or its developer ("created by Alibaba Cloud" counts for qwen).

    python benchmarks/identity_transfer.py --zoo DIR [--n 40] [--max-tokens 40]
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", required=True, help="a zoo directory (manifest.json)")
    parser.add_argument("--n", type=int, default=40, help="identity questions, half English, half Chinese")
    parser.add_argument("--max-tokens", type=int, default=40)
    parser.add_argument("--out", help="write the table as JSON here")
    args = parser.parse_args()

    from distillscope.attribution.families import candidate_family
    from distillscope.ice.claims import default_library, extract_claims
    from distillscope.ice.templates import identity_questions
    from distillscope.stats import proportion
    from distillscope.types import Prompt, SamplingParams
    from distillscope.workspace import Workspace
    from distillscope.zoo.spec import read_manifest

    manifest = read_manifest(args.zoo)
    library = default_library()
    questions = identity_questions()
    rng = random.Random("identity-transfer")
    picked = [q for lang in ("en", "zh") for q in rng.sample([q for q in questions if q.language == lang], args.n // 2)]
    prompts = [Prompt(id=f"identity-{q.id}", text=q.text, category="identity", language=q.language) for q in picked]
    sampling = SamplingParams(max_tokens=args.max_tokens, temperature=0.0)
    models = {name: spec for name, spec in manifest.candidates.items() if not spec.startswith("replay/")}
    models.update({s.name: s.spec for s in manifest.students})
    teacher_of = {s.name: s.true_teacher for s in manifest.students}
    rows = []
    with Workspace(manifest.store, progress=True, embedder="minilm") as ws:
        for name, spec in models.items():
            answers = [a[0] for a in ws.answers(ws.model(spec), prompts, sampling)]
            claimed = Counter()
            answered = [a for a in answers if a]
            for answer in answered:
                report = extract_claims(answer)
                # a family counts when the answer names it or its developer ("created by Alibaba Cloud" -> qwen)
                named = set(report.claimed_families) | {
                    f for f, facts in library.families.items() if facts.developer in report.claimed_developers
                }
                for family in named:
                    claimed[family] += 1
            teacher = teacher_of.get(name)
            family = candidate_family(teacher, manifest.candidates.get(teacher, "")) if teacher else None
            row = {
                "model": name,
                "true_teacher": teacher,
                "answers": len(answered),
                "claims": {f: proportion(k, len(answered)).model_dump() for f, k in claimed.most_common()},
                "teacher_family": family,
                "teacher_family_claims": proportion(claimed.get(family, 0), len(answered)).model_dump() if family else None,
            }
            rows.append(row)
            shares = ", ".join(f"{f} {k}/{len(answered)}" for f, k in claimed.most_common(4)) or "none"
            print(f"{name:24s} teacher {teacher or '-':8s} claims: {shares}", flush=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump({"questions": [p.model_dump() for p in prompts], "rows": rows}, handle, indent=2)


if __name__ == "__main__":
    main()
