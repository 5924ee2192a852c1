"""Creative-writing requests, to top up the real ones from ShareGPT."""

from __future__ import annotations

import random

FORMS = [
    "a short story",
    "a poem",
    "a haiku sequence",
    "song lyrics",
    "a limerick",
    "a fable",
    "a diary entry",
    "a monologue",
    "a letter",
    "a scene for a play",
    "a fairy tale",
    "a sonnet",
]
SUBJECTS = [
    "a lighthouse keeper who finds a message in a bottle",
    "the last bookstore on Mars",
    "a robot learning to cook",
    "a city where it never stops raining",
    "two rival bakers",
    "a dragon afraid of heights",
    "the first day of spring",
    "an old violin",
    "a detective cat",
    "a forgotten subway station",
    "a time traveller stuck in 1999",
    "a garden that grows memories",
    "a chess match between a child and a grandmaster",
    "the sound of the ocean",
    "a mountain village during a snowstorm",
    "a friendship between a whale and a seagull",
    "a lost umbrella",
    "a midnight train to nowhere",
    "an astronaut's goodbye",
    "a library that rearranges itself",
]
TWISTS = [
    "",
    " with a surprising ending",
    " told from the object's point of view",
    " in the style of a noir film",
    " for children aged six",
    " with exactly one line of dialogue",
    " that makes the reader laugh",
    " set in the year 3000",
]


def creative_candidates(rng: random.Random) -> list[dict]:
    out = []
    for f_index, form in enumerate(FORMS):
        for s_index, subject in enumerate(SUBJECTS):
            for t_index, twist in enumerate(TWISTS):
                verb = rng.choice(["Write", "Compose", "Create", "Please write"])
                out.append(
                    {
                        "text": f"{verb} {form} about {subject}{twist}.",
                        "subcategory": "template-" + form.split()[-1],
                        "language": "en",
                        "source": f"template:creative/{f_index}/{s_index}/{t_index}",
                        "group": "template",
                    }
                )
    rng.shuffle(out)
    return out
