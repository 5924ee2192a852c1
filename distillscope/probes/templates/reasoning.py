"""Generated reasoning puzzles with answers computed by code.

They complement GPQA diamond and AIME 2025 (too few to fill the category) with
puzzles whose reference answer is known exactly: orderings, knights and
knaves, calendar and clock arithmetic, sequences, counting and age problems.
"""

from __future__ import annotations

import itertools
import random

NAMES = [
    "Alice",
    "Bob",
    "Chen",
    "Dana",
    "Emeka",
    "Fatima",
    "Gustavo",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Yusuf",
    "Zoe",
]
RELATIONS = [
    ("taller", "shorter", "tallest", "shortest"),
    ("older", "younger", "oldest", "youngest"),
    ("faster", "slower", "fastest", "slowest"),
    ("heavier", "lighter", "heaviest", "lightest"),
    ("richer", "poorer", "richest", "poorest"),
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ACTIVITIES = [
    "training plan",
    "road trip",
    "hospital stay",
    "language course",
    "fasting challenge",
    "software sprint",
    "art residency",
    "sailing voyage",
    "reading marathon",
    "field study",
]
PHRASES = [
    "strawberry milkshake",
    "mississippi river",
    "bookkeeper's ledger",
    "parallel universes",
    "committee meeting",
    "occasionally embarrassing",
    "banana bread recipe",
    "successful assessment",
    "programming paradigm",
    "independent bookstore",
    "referee whistle",
    "cheese and tomato sandwich",
]


def ordering(rng: random.Random) -> tuple[str, str]:
    people = rng.sample(NAMES, rng.randint(3, 6))
    more, less, most, least = rng.choice(RELATIONS)
    clues = []
    for a, b in zip(people, people[1:]):  # people[0] is the most
        clues.append(f"{a} is {more} than {b}." if rng.random() < 0.5 else f"{b} is {less} than {a}.")
    rng.shuffle(clues)
    ask = rng.choice(["most", "least", "second"])
    if ask == "most":
        question, answer = f"Who is the {most}?", people[0]
    elif ask == "least":
        question, answer = f"Who is the {least}?", people[-1]
    else:
        question, answer = f"Who is the second {most}?", people[1]
    intro = rng.choice(["Consider these facts.", "Read carefully.", "Here is a small logic puzzle.", ""])
    return f"{intro} {' '.join(clues)} {question} Explain your reasoning.".strip(), answer


def knights_and_knaves(rng: random.Random) -> tuple[str, str] | None:
    people = rng.sample(NAMES, rng.choice([2, 3]))
    statements = []
    for speaker in people:
        other = rng.choice([p for p in people if p != speaker])
        kind = rng.choice(["is_knave", "is_knight", "same", "different"])
        statements.append((speaker, other, kind))

    def holds(world: dict, other_kind: tuple) -> bool:
        speaker, other, kind = other_kind
        if kind == "is_knave":
            return not world[other]
        if kind == "is_knight":
            return world[other]
        if kind == "same":
            return world[speaker] == world[other]
        return world[speaker] != world[other]

    solutions = []
    for values in itertools.product([True, False], repeat=len(people)):
        world = dict(zip(people, values))
        if all(world[s[0]] == holds(world, s) for s in statements):
            solutions.append(world)
    if len(solutions) != 1:
        return None
    said = {
        "is_knave": "{o} is a knave.",
        "is_knight": "{o} is a knight.",
        "same": "{o} and I are the same kind.",
        "different": "{o} and I are different kinds.",
    }
    lines = " ".join(f'{s} says: "{said[k].format(o=o)}"' for s, o, k in statements)
    text = (
        f"On an island, knights always tell the truth and knaves always lie. You meet {', '.join(people[:-1])} "
        f"and {people[-1]}. {lines} Who is a knight and who is a knave?"
    )
    answer = ", ".join(f"{p}: {'knight' if solutions[0][p] else 'knave'}" for p in people)
    return text, answer


def calendar(rng: random.Random) -> tuple[str, str]:
    start = rng.randrange(7)
    days = rng.randint(9, 1500)
    name = rng.choice(NAMES)
    activity = rng.choice(ACTIVITIES)
    if rng.random() < 0.5:
        text = f"{name} begins a {days}-day {activity} on a {DAYS[start]} (that is day 1). On which day of the week is its last day?"
        return text, DAYS[(start + days - 1) % 7]
    text = f"If today is {DAYS[start]}, what day of the week was it {days} days ago? {name} needs this for a {activity} log."
    return text, DAYS[(start - days) % 7]


def clock(rng: random.Random) -> tuple[str, str]:
    hour, minute = rng.randint(1, 12), rng.choice(range(0, 60, 1))
    angle = abs(30 * hour - 5.5 * minute) % 360
    angle = min(angle, 360 - angle)
    text = rng.choice(
        [
            "What is the smaller angle between the hour and minute hands of a clock at {h}:{m:02d}?",
            "At exactly {h}:{m:02d}, how many degrees separate the hands of an analogue clock (take the smaller angle)?",
        ]
    ).format(h=hour, m=minute)
    return text, f"{angle:g} degrees"


def sequence(rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["arithmetic", "geometric", "quadratic", "fibonacci"])
    a = rng.randint(1, 20)
    if kind == "arithmetic":
        d = rng.randint(2, 17)
        terms = [a + d * i for i in range(7)]
    elif kind == "geometric":
        r = rng.randint(2, 4)
        terms = [a * r**i for i in range(7)]
    elif kind == "quadratic":
        b, c = rng.randint(1, 5), rng.randint(0, 9)
        terms = [b * i * i + c * i + a for i in range(1, 8)]
    else:
        terms = [a, rng.randint(a, a + 9)]
        while len(terms) < 7:
            terms.append(terms[-1] + terms[-2])
    shown = ", ".join(map(str, terms[:6]))
    text = rng.choice(
        [
            "What is the next number in the sequence {s}, ...?",
            "Find the pattern and continue the sequence: {s}, ?",
            "A puzzle book lists {s}. Which number comes next, and why?",
        ]
    ).format(s=shown)
    return text, str(terms[6])


def counting(rng: random.Random) -> tuple[str, str]:
    phrase = rng.choice(PHRASES)
    letter = rng.choice(sorted({c for c in phrase if c.isalpha()}))
    text = rng.choice(
        [
            "How many times does the letter '{c}' appear in \"{p}\"?",
            "Count the occurrences of '{c}' in the phrase \"{p}\". Show your count letter by letter.",
        ]
    ).format(c=letter, p=phrase)
    return text, str(phrase.count(letter))


def ages(rng: random.Random) -> tuple[str, str]:
    a_name, b_name = rng.sample(NAMES, 2)
    b = rng.randint(3, 30)
    k = rng.randint(2, 4)
    years = rng.randint(2, 15)
    total = (k * b + years) + (b + years)
    text = f"{a_name} is {k} times as old as {b_name}. In {years} years, the sum of their ages will be {total}. How old is {b_name} now?"
    return text, str(b)


GENERATORS = {
    "ordering": ordering,
    "knights_and_knaves": knights_and_knaves,
    "calendar": calendar,
    "clock_angle": clock,
    "sequence": sequence,
    "letter_counting": counting,
    "age_problem": ages,
}


def reasoning_candidates(rng: random.Random, per_kind: int = 150) -> list[dict]:
    out = []
    for kind in sorted(GENERATORS):
        made = 0
        for attempt in range(per_kind * 10):
            puzzle = GENERATORS[kind](rng)
            if puzzle is None:
                continue
            text, answer = puzzle
            out.append(
                {
                    "text": text,
                    "subcategory": f"puzzle-{kind}",
                    "language": "en",
                    "reference_answer": answer,
                    "source": f"template:reasoning/{kind}/{attempt}",
                    "group": kind,
                }
            )
            made += 1
            if made == per_kind:
                break
    return out
