"""The judge parsers over a corpus of messy outputs: well-formed answers parse, ambiguous ones fail."""

import re

import pytest

from distillscope.judges.parsing import ScoreParseError, parse_choice, parse_conflict, parse_scores
from distillscope.judges.templates import load_template

ASPECTS = ("style", "structure", "content")

GOOD = [
    ("<style>4</style><structure>3</structure><content>5</content>", (4, 3, 5)),
    ("Sure! Here are my scores:\n<style> 2 </style>\n<structure>2</structure>\n<content>1</content>\nThanks.", (2, 2, 1)),
    ('{"style": 5, "structure": 4, "content": 4}', (5, 4, 4)),
    ('```json\n{"response_style": 3, "logical_structure": 3, "content_detail": 2}\n```', (3, 3, 2)),
    ('The scores are {"Style": "4", "Logical Structure": 5, "Content Detail": 3}.', (4, 5, 3)),
    ('{\n  "style": 4,\n  "structure": 3,\n  "content": 2\n}', (4, 3, 2)),
    ("Style: 4\nLogical structure: 3\nContent detail: 2", (4, 3, 2)),
    ("**Response Style**: 4/5\n**Logical Structure** - 3/5\n**Content Detail**: 5/5", (4, 3, 5)),
    ("**Style:** 4\n**Structure:** 3\n**Content:** 5", (4, 3, 5)),
    ("- style score = 1\n- structure score = 2\n- content score = 3", (1, 2, 3)),
    ("1. Style: 4\n2. Structure: 3\n3. Content: 5", (4, 3, 5)),
    ("Style: 4, Structure: 3, Content: 5", (4, 3, 5)),
    ("Style: 4 out of 5\nStructure: 3 out of 5\nContent: 5 out of 5", (4, 3, 5)),
    ("Style: 4.\nStructure: 3.\nContent: 5.", (4, 3, 5)),
    ("风格：4\n逻辑结构：3\n内容细节：5", (4, 3, 5)),
    ("回答风格：4分，逻辑结构：三分，内容细节：2分", (4, 3, 2)),
    ("<style>4.5</style><structure>3</structure><content>4</content>", (4.5, 3, 4)),
    ("Style: 4 (formal tone)\nStructure: 4 - same order of ideas\nContent: 3, misses an example", (4, 4, 3)),
    # the same score twice, and prose around well-formed tags, are not ambiguous
    ("Style: 4\nStructure: 3\nContent: 5\nStyle: 4", (4, 3, 5)),
    ("<style>4</style><structure>3</structure><content>5</content>\nStyle: both answers are formal.", (4, 3, 5)),
    ("<style>4</style><structure>3</structure><content>5</content>\nThe candidate covers 3 of the 5 points.", (4, 3, 5)),
]
BAD = [
    "",
    "I cannot evaluate this.",
    "The responses are quite similar overall.",
    "list 3 steps; 2 examples and 5 bullet points",  # numbers in prose are not scores
    "4 3 5",  # bare numbers: which is which is a guess
    "Scores: 4/5, 3/5, 2/5",
    "1 2 3 4 5",
    "I'd give style 4, structure 3 and content 5.",
    "Style: 4\nStructure: 3",  # one aspect missing
    "Style: excellent, structure: good, content: poor",
    "<style>7</style><structure>3</structure><content>5</content>",  # out of range
    "Style: 0\nStructure: 3\nContent: 5",
    "Style: 4/10\nStructure: 3\nContent: 5",  # another scale
    "Style: 4 or 5\nStructure: 3\nContent: 5",
    "Style: between 3 and 4\nStructure: 3\nContent: 5",
    "Style: 3-4\nStructure: 3\nContent: 5",
    "Style: 3 to 4\nStructure: 3\nContent: 5",
    "Style: about 4\nStructure: 3\nContent: 5",
    "Style: not 4\nStructure: 3\nContent: 5",
    "Style: 4?\nStructure: 3\nContent: 5",
    "Style: 4 (maybe 5)\nStructure: 3\nContent: 5",
    "Style: 4\nStructure: 3\nContent: 3 of the 5 points",
    "<style>4</style><style>5</style><structure>3</structure><content>5</content>",  # two different tags
    "<style>4 or 5</style><structure>3</structure><content>5</content>",
    "<style>X</style><structure>X</structure><content>X</content>",  # the template's placeholder echoed
    "<style>4</style><structure>3</structure><content>5</content>\nStyle: 2",  # tag and label disagree
    '{"style": "4 or 5", "structure": 3, "content": 5}',
    '{"style": 4, "structure": 3, "content": 5} {"style": 2, "structure": 3, "content": 5}',
    '{"style": true, "structure": 3, "content": 5}',
]


@pytest.mark.parametrize("text, expected", GOOD)
def test_well_formed_scores_parse(text, expected):
    assert parse_scores(text, ASPECTS) == dict(zip(ASPECTS, map(float, expected)))


@pytest.mark.parametrize("text", BAD)
def test_ambiguous_or_malformed_scores_fail_instead_of_guessing(text):
    with pytest.raises(ScoreParseError):
        parse_scores(text, ASPECTS)


GOOD_CHOICES = [
    ("<answer>B</answer>", "B"),
    ("Answer: A", "A"),
    ("B", "B"),
    ("答案：A", "A"),
    ("  a. ", "A"),
    ("**Answer:** B", "B"),
    ("Verdict: A", "A"),
    ("**B**", "B"),
    ("(A)", "A"),
    ('{"answer": "B"}', "B"),
    ("Final answer: B", "B"),
    ("<answer>A</answer> because B is less formal", "A"),
    ("Answer: A, because it is more formal", "A"),
    ("Answer: B\nAnswer A is more formal than answer B.", "B"),
    ("<answer>B</answer>\nAnswer: B", "B"),
]
BAD_CHOICES = [
    "a close call, but B",
    "Answer: a close call, but B",
    "The answer is **B** because it matches.",
    "A and B",
    "not A",
    "Answer: not A",
    "Answer: A or B",
    "**A** or **B**",
    "Answer: A/B",
    "A?",
    "Both are fine.",
    "Neither.",
    "<answer>A</answer><answer>B</answer>",
    "<answer>A or B</answer>",
    "<answer>C</answer>",
    "Verdict: A\nVerdict: B",
    "<answer>A</answer>\nVerdict: I think B",
    "Answer: A (B is close)",
    '{"answer": "A or B"}',
    "",
]


@pytest.mark.parametrize("text, expected", GOOD_CHOICES)
def test_well_formed_choices_parse(text, expected):
    assert parse_choice(text, ("A", "B")) == expected


@pytest.mark.parametrize("text", BAD_CHOICES)
def test_ambiguous_choices_fail(text):
    with pytest.raises(ScoreParseError):
        parse_choice(text, ("A", "B"))


GOOD_CONFLICTS = [
    ("<judge>1</judge> It names OpenAI.", True, "It names OpenAI"),
    ("<judge> 0 </judge>", False, ""),
    ("1 - conflicts", True, "conflicts"),
    ("Conflict: 1", True, None),
    ("0", False, ""),
    ("0\nThe answer agrees.", False, "The answer agrees"),
    ('{"judge": 1, "reason": "names OpenAI"}', True, None),
    ("<judge>1</judge> It says it is GPT-4, trained in 2023.", True, "It says it is GPT-4, trained in 2023"),
]
BAD_CONFLICTS = [
    "Conflict: none",
    "Yes, the answer is consistent",
    "No. It matches.",
    "是，存在冲突",
    "yes",
    "The answer is interesting.",
    "<judge>1</judge><judge>0</judge>",
    "<judge>yes</judge>",
    "<judge>0 or 1</judge>",
    "<judge>0</judge>\nConflict: 1",
    "0 conflicts found",
    "1. No conflict",
    "Conflict: 0 or 1",
    "Verdict: no conflict (0)",
    "",
]


@pytest.mark.parametrize("text, verdict, reason", GOOD_CONFLICTS)
def test_well_formed_conflict_verdicts_parse(text, verdict, reason):
    parsed, why = parse_conflict(text)
    assert parsed is verdict
    if reason is not None:
        assert why == reason


@pytest.mark.parametrize("text", BAD_CONFLICTS)
def test_ambiguous_conflict_verdicts_fail(text):
    with pytest.raises(ScoreParseError):
        parse_conflict(text)


def test_every_template_asks_for_exactly_the_grammar_its_parser_reads():
    """The format line of each packaged judge template, filled in, parses; so the prompt and the parser agree."""
    rse = load_template("rse").render(prompt="p", reference="r", candidate="c")
    line = next(line for line in rse.splitlines() if line.startswith("<style>"))
    assert parse_scores(line.replace("X", "3"), ASPECTS) == dict.fromkeys(ASPECTS, 3.0)
    conflict = load_template("ice_conflict").render(facts=["made by Alibaba"], response="I am Qwen.")
    asked = re.findall(r"<judge>[01]</judge>", conflict)
    assert asked == ["<judge>1</judge>", "<judge>0</judge>"] and [parse_conflict(t)[0] for t in asked] == [True, False]
    pairwise = load_template("indist_pairwise").render(examples=[], prompt="p", a="x", b="y")
    asked = re.findall(r"<answer>[AB]</answer>", pairwise)
    assert asked == ["<answer>A</answer>", "<answer>B</answer>"] and [parse_choice(t, ("A", "B")) for t in asked] == ["A", "B"]
    # and the template, echoed back whole with its example tags, is ambiguous rather than read as a verdict
    with pytest.raises(ScoreParseError):
        parse_choice(pairwise, ("A", "B"))
    with pytest.raises(ScoreParseError):
        parse_conflict(conflict)
