"""A one-line verdict per student, stated with the numbers it rests on.

The verdict never goes beyond the evidence: an interval that contains 0 but
is wide says "too few prompts", not "indistinguishable". Only two things decide it: the
strongest adversary's advantage, and whether identity leakage was seen.
Similarity and RSE are quoted alongside but decide nothing, because a weak
judge or a short answer limit can move them without any distillation.
"""

from __future__ import annotations

WIDE = 0.4  # an advantage interval wider than this cannot call a student indistinguishable


def _best_adversary(indist: dict) -> tuple[str, dict] | None:
    learned = indist.get("learned") or {}
    scored = [(name, r["advantage"]) for name, r in learned.items() if r["advantage"]["mean"] is not None]
    return max(scored, key=lambda item: item[1]["mean"]) if scored else None


def _fmt(estimate: dict) -> str:
    if estimate.get("low") is None:
        return f"{estimate['mean']:.2f}"
    return f"{estimate['mean']:.2f} [{estimate['low']:.2f}, {estimate['high']:.2f}]"


def verdict_for(section: dict) -> dict:
    points: list[str] = []
    headline = "not enough evidence for a verdict"
    best = _best_adversary(section.get("indist") or {})
    if best:
        name, advantage = best
        low, high = advantage["low"], advantage["high"]
        if low is not None and low > 0.5:
            headline = "clearly distinguishable from the teacher"
        elif low is not None and low <= 0 <= high and high - low > WIDE:
            headline = f"too few prompts to tell it from the teacher (n = {advantage['n']}; the advantage interval is wide)"
        elif low is not None and low <= 0 <= high:
            headline = "indistinguishable from the teacher by the adversaries tried"
        else:
            headline = "partly distinguishable from the teacher"
        points.append(f"strongest adversary ({name}) advantage {_fmt(advantage)} at q = 1")
    ice = section.get("ice") or {}
    if ice.get("overall"):
        strict = ice["overall"]["strict"]
        if strict["mean"] and strict["low"] is not None and strict["low"] > 0:
            headline += "; claims another family's identity"
        points.append(f"ICE strict {_fmt(strict)}, hard {_fmt(ice['overall']['hard'])} over {ice['queries']} fuzzed queries")
    similarity = (section.get("similarity") or {}).get("overall")
    if similarity:
        points.append(f"embedding cosine to the teacher {_fmt(similarity['cosine'])}")
    rse = (section.get("rse") or {}).get("rse")
    if rse and rse.get("mean") is not None:
        points.append(f"RSE {_fmt(rse)} (1-5; check the judge's identical-answer control before trusting it)")
    return {"headline": headline, "points": points}
