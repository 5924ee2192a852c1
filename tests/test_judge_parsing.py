"""The score parser over a corpus of messy judge outputs."""

import pytest

from distillscope.judges.parsing import ScoreParseError, parse_choice, parse_scores

ASPECTS = ("style", "structure", "content")

GOOD = [
    ("<style>4</style><structure>3</structure><content>5</content>", (4, 3, 5)),
    ("Sure! Here are my scores:\n<style> 2 </style>\n<structure>2</structure>\n<content>1</content>\nThanks.", (2, 2, 1)),
    ('{"style": 5, "structure": 4, "content": 4}', (5, 4, 4)),
    ('```json\n{"response_style": 3, "logical_structure": 3, "content_detail": 2}\n```', (3, 3, 2)),
    ('The scores are {"Style": "4", "Logical Structure": 5, "Content Detail": 3}.', (4, 5, 3)),
    ("Style: 4\nLogical structure: 3\nContent detail: 2", (4, 3, 2)),
    ("**Response Style**: 4/5\n**Logical Structure** - 3/5\n**Content Detail**: 5/5", (4, 3, 5)),
    ("- style score = 1\n- structure score = 2\n- content score = 3", (1, 2, 3)),
    ("风格：4\n逻辑结构：3\n内容细节：5", (4, 3, 5)),
    ("回答风格：4分，逻辑结构：三分，内容细节：2分", (4, 3, 2)),
    ("4 3 5", (4, 3, 5)),
    ("Scores: 4/5, 3/5, 2/5", (4, 3, 2)),
    ("<style>4.5</style><structure>3</structure><content>4</content>", (4.5, 3, 4)),
    ("Style: 4 (formal tone)\nStructure: 4 - same order of ideas\nContent: 3, misses an example", (4, 4, 3)),
]
BAD = [
    "",
    "I cannot evaluate this.",
    "The responses are quite similar overall.",
    "<style>7</style><structure>3</structure><content>5</content>",  # out of range
    "Style: 4\nStructure: 3",  # one aspect missing, and two bare numbers are not three
    "1 2 3 4 5",  # too many bare numbers to map onto aspects
    "Style: excellent, structure: good, content: poor",
]


@pytest.mark.parametrize("text, expected", GOOD)
def test_messy_outputs_parse(text, expected):
    assert parse_scores(text, ASPECTS) == dict(zip(ASPECTS, map(float, expected)))


@pytest.mark.parametrize("text", BAD)
def test_unreadable_outputs_fail_instead_of_guessing(text):
    with pytest.raises(ScoreParseError):
        parse_scores(text, ASPECTS)


@pytest.mark.parametrize(
    "text, expected",
    [("<answer>B</answer>", "B"), ("Answer: A", "A"), ("The answer is **B** because...", "B"), ("B", "B"),
     ("答案：A", "A"), ("  a. ", "A")],
)
def test_choices(text, expected):
    assert parse_choice(text, ("A", "B")) == expected


def test_choice_failure():
    with pytest.raises(ScoreParseError):
        parse_choice("Both are fine.", ("A", "B"))
