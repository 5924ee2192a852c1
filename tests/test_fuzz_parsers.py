"""Property-based fuzzing of every file parser: any bytes in, a typed value or one UserError out.

Each parser is a boundary where a user's file enters: prompt files, replay
files, config YAML, results JSON. Whatever the bytes (other encodings, BOMs,
NULs, lone surrogates, CRLF, huge or empty fields, non-object lines, numbers
Python cannot hold, deep nesting), the parser either returns its value or
raises a `UserError` naming the file; a traceback would be a crash the CLI
cannot turn into one line. Settings and strategies: tests/fuzz_support.py.
"""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path

import pytest
from fuzz_support import ENCODINGS, any_record_file, encode, fuzz_settings, json_values, nasty_text
from hypothesis import example, given
from hypothesis import strategies as st

from distillscope.errors import UserError

FIXTURE = Path(__file__).parent / "data" / "fixture_results.json"

# -- prompt and replay files (JSONL / CSV) ---------------------------------------------------------------------------------


def _written(tmp_path: Path, suffix: str, content: bytes) -> Path:
    path = tmp_path / f"input{suffix}"
    path.write_bytes(content)
    return path


# inputs that crashed the readers before (each became a one-line error or, for long CSV fields, a prompt)
CRASHERS = (
    (".csv", b"text\r\n" + b"z" * 140_000 + b"\r\n"),  # csv.Error: field larger than field limit
    (".csv", b'text\n"open quote\n'),
    (".jsonl", b'{"text": "x", "id": ' + b"9" * 5000 + b"}\n"),  # ValueError: integer string conversion limit
    (".jsonl", b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"),  # RecursionError
    (".jsonl", b'{"text": "x", "sample_index": Infinity, "response": "r"}\n'),  # OverflowError in int()
    (".jsonl", b'{"text": "x", "sample_index": 1e400, "response": "r"}\n'),
    (".jsonl", b'{"text": "\\ud800", "response": "\\udfff"}\n'),  # lone surrogates: no UTF-8 file or row holds them
)


def _with_crashers(test):
    for file in CRASHERS:
        test = example(file=file)(test)
    return test


@fuzz_settings(80)
@given(file=any_record_file)
@_with_crashers
def test_prompt_files_load_or_fail_in_one_user_error(tmp_path, file):
    from distillscope.probes.loader import load_numbered_prompts, require_unique_ids

    path = _written(tmp_path, *file)
    try:
        numbered = load_numbered_prompts(path)
        require_unique_ids(numbered, path)
    except UserError as exc:
        assert "\n" not in exc.one_line().strip()
        return
    for number, prompt in numbered:
        assert number >= 1 and isinstance(prompt.text, str) and prompt.text.strip()
        # what the store and every output do with a prompt must work for any prompt the loader accepted
        prompt.text.encode("utf-8")
        json.dumps(prompt.model_dump(), ensure_ascii=False).encode("utf-8")


@fuzz_settings(30)
@given(file=any_record_file)
@_with_crashers
def test_suite_check_reads_any_file_or_fails_in_one_user_error(tmp_path, file):
    from distillscope.probes.validation import check_suite_file

    path = _written(tmp_path, *file)
    try:
        check = check_suite_file(path)
    except UserError:
        return
    assert check.prompts == sum(check.categories.values())


@fuzz_settings(60)
@given(file=any_record_file, only_model=st.one_of(st.none(), nasty_text.filter(lambda s: s and "&" not in s and "=" not in s)))
@example(file=CRASHERS[4], only_model=None)
@example(file=CRASHERS[5], only_model=None)
@example(file=CRASHERS[6], only_model=None)
def test_replay_files_index_or_fail_in_one_user_error(tmp_path, file, only_model):
    from distillscope.models.replay import ReplayModel
    from distillscope.models.spec import ModelSpec

    path = _written(tmp_path, *file)
    options = {"model": only_model} if only_model and only_model.strip() else {}
    try:
        model = ReplayModel(ModelSpec(provider="replay", name=str(path), options=options))
        index = model.index()
    except UserError:
        return
    assert index and all(isinstance(answer, str) for answer in index.values())
    for key, answer in index.items():
        answer.encode("utf-8")  # it is stored and served as text


def test_a_long_csv_field_is_a_prompt_not_an_error(tmp_path):
    """A prompt may be a long document: the csv module's 128 KiB field limit is not a limit of ours (JSONL has none)."""
    from distillscope.probes.loader import load_prompts

    path = _written(tmp_path, ".csv", b"text\n" + b"z" * 300_000 + b"\n")
    assert [len(p.text) for p in load_prompts(path)] == [300_000]


@pytest.mark.parametrize("line", ['{"text": "x", "n": NaN}', '{"text": "x", "n": -Infinity}', '{"text": "x", "n": 1e999}'])
def test_numbers_json_cannot_hold_are_refused_by_line(tmp_path, line):
    from distillscope.probes.loader import load_prompts

    path = _written(tmp_path, ".jsonl", ('{"text": "fine"}\n' + line + "\n").encode())
    with pytest.raises(UserError, match="line 2"):
        load_prompts(path)


# -- model specs -----------------------------------------------------------------------------------------------------------

spec_strings = st.one_of(
    nasty_text,
    st.builds(
        lambda provider, name, options: f"{provider}/{name}" + ("?" + "&".join(options) if options else ""),
        st.one_of(st.sampled_from(["mock", "openai", "replay", "llamacpp", "builtin", "hf", "MOCK", ""]), nasty_text),
        nasty_text,
        st.lists(
            st.builds(
                lambda k, v: f"{k}={v}",
                st.one_of(
                    st.sampled_from(["base_url", "concurrency", "rpm", "timeout", "api_key", "model", "mode", "latency", ""]), nasty_text
                ),
                st.one_of(
                    st.sampled_from(["http://127.0.0.1:9/v1", "-1", "nan", "inf", "0", "1e400", "9" * 5000, "", "%ff", "%zz"]), nasty_text
                ),
            ),
            max_size=4,
        ),
    ),
)


@fuzz_settings(150)
@given(text=spec_strings)
def test_any_spec_string_parses_or_fails_in_one_user_error(text):
    from distillscope.models.spec import ModelSpec

    try:
        spec = ModelSpec.parse(text)
    except UserError:
        return  # printed as one line by the CLI, whatever the spec held (tests/test_fuzz_cli.py)
    if not _is_text(text):
        return  # see the test below
    # what every command does with a spec it accepted: print it, key the store by it, parse it back
    rendered = str(spec)
    spec.identity().encode("utf-8")
    assert ModelSpec.parse(rendered) == spec


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("text", ["mock/\udcff", "openai/m?base_url=http://127.0.0.1:9/\udcff"])
def test_a_spec_that_is_not_utf8_text_is_refused(text):
    """A byte that is not UTF-8 on the command line arrives as a lone surrogate; the store key (sha256 of the
    identity) and every file the spec is written to need UTF-8, so the spec must be refused, not crash later."""
    from distillscope.models.spec import ModelSpec

    try:
        spec = ModelSpec.parse(text)
    except UserError:
        return
    spec.identity().encode("utf-8")


# -- config YAML -----------------------------------------------------------------------------------------------------------

CONFIG_KEYS = (
    "teacher",
    "students",
    "judge",
    "helper",
    "n",
    "sampling",
    "store",
    "seed",
    "metrics",
    "samples",
    "prices",
    "facts",
    "max_cost",
)
yaml_scalars = st.one_of(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), nasty_text),
    st.sampled_from(["mock/a", "mock/b?latency=0", "1e400", ".inf", "-.nan", "9" * 5000, "2020-01-01", "~", "0x10", "0o7", "!!str x"]),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(CONFIG_KEYS + ("spec", "options")), yaml_scalars), children, max_size=4),
    ),
    max_leaves=6,
)


@st.composite
def config_texts(draw) -> str:
    import yaml

    if draw(st.booleans()):
        return draw(
            st.one_of(
                nasty_text,
                st.sampled_from(
                    [
                        "a: &x [1, 2]\nb: *x\nteacher: *x\n",  # anchors and aliases
                        "base: &b {spec: mock/a}\nteacher: *b\nstudents: [*b, *b]\n",
                        "lol: &a [x, x, x, x, x, x, x, x, x]\nlol2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nstudents: [*b, *b, *b, *b]\n",
                        "teacher: {spec: mock/a, options: {1: 2}}\n",  # an option name that is not a string
                        "teacher: {spec: mock/a, options: {null: 2}}\n",
                        "? [a, b]\n: c\n",  # a key that is a list
                        "n: " + "9" * 5000 + "\n",
                        "n: 1.0e400\n",
                        "- 1\n- 2\n",
                        "just a string",
                        "\ufeffteacher: mock/a\n",
                        "teacher: mock/a\x00\n",
                        "!!python/object:os.system {}\n",
                        "1: 2\nnull: 3\ntrue: 4\n",
                    ]
                ),
            )
        )
    mapping = draw(st.dictionaries(st.one_of(st.sampled_from(CONFIG_KEYS), yaml_scalars), yaml_values, max_size=6))
    try:
        return yaml.safe_dump(mapping, allow_unicode=draw(st.booleans()))
    except yaml.YAMLError:
        return "{}"


@fuzz_settings(25)
@given(text=config_texts(), encoding=st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "latin-1")))
@example(text="[" * 700 + "]" * 700, encoding="utf-8")  # RecursionError: deeper than PyYAML's recursion (slow: once)
@example(text="n: " + "9" * 5000 + "\n", encoding="utf-8")  # ValueError: PyYAML's int() of 5000 digits
@example(text="teacher: {spec: mock/a, options: {1: 2}}\n", encoding="utf-8")  # TypeError: keywords must be strings
@example(text="teacher:\n  spec: null\n  null: null\n  teacher: null\n", encoding="utf-8")  # TypeError: sorting None with str
def test_any_yaml_config_loads_or_fails_in_one_user_error(tmp_path, text, encoding):
    from distillscope.audit.config import AuditConfig, load_audit_config, load_config

    path = tmp_path / "config.yaml"
    path.write_bytes(encode(text, encoding))
    for load in (load_config, lambda p: load_audit_config(p, {"teacher": "mock/t", "students": ["mock/s"]})):
        try:
            config = load(path)
        except UserError as exc:
            assert "\n" not in exc.one_line().strip(" \n")
            continue
        assert isinstance(config, AuditConfig)


# -- judge outputs ---------------------------------------------------------------------------------------------------------

judge_pieces = st.sampled_from(
    [
        "<style>4</style>",
        "<structure>2</structure>",
        "<content>5</content>",
        "<answer>A</answer>",
        "<answer>B</answer>",
        "<judge>1</judge>",
        "<judge>0</judge>",
        "Style: 4",
        "Structure: 3/5",
        "Content: 4 or 5",
        "**Verdict:** A",
        "Answer: not A",
        "Conflict: 0",
        "1 - it names OpenAI",
        '{"style": 4, "answer": "B", "judge": 1}',
        "风格：4分",
        "<style>",
        "</style>",
        "A",
        "B",
        "\n",
        " ",
        "*",
        ">",
        "(",
        ",",
    ]
)
judge_texts = st.one_of(nasty_text, st.lists(st.one_of(judge_pieces, nasty_text), max_size=12).map("".join))
DIGITS = set("0123456789一二两三四五")


@fuzz_settings(200)
@given(text=judge_texts)
@example(text="Structure: 3/5" + "9" * 5000)  # ValueError: int() of the scale's 5000 digits
def test_judge_parsers_return_a_valid_value_or_a_parse_failure_never_a_guess(text):
    from distillscope.judges.parsing import ScoreParseError, parse_choice, parse_conflict, parse_scores

    try:
        scores = parse_scores(text, ("style", "structure", "content"))
    except ScoreParseError:
        pass
    else:
        assert all(1 <= v <= 5 for v in scores.values())
        assert DIGITS & set(text), "a score read from text with no number in it is a guess"
    try:
        choice = parse_choice(text, ("A", "B"))
    except ScoreParseError:
        pass
    else:
        assert choice in ("A", "B") and choice.lower() in text.lower()
    try:
        verdict, reason = parse_conflict(text)
    except ScoreParseError:
        pass
    else:
        assert isinstance(verdict, bool) and ("1" if verdict else "0") in text and isinstance(reason, str)


def _seconds(function, argument) -> float:
    """Seconds per call, the best of three batches; a batch repeats the call for at least 50 ms, so timer and
    scheduler noise on a busy machine cannot make a 1 ms call look 10 times slower. The cyclic garbage collector
    is paused while timing: its passes over every live object (thousands of claims at 200 KB) are the
    interpreter's cost, not the reader's, and land on one run or another at random."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            calls, start = 0, time.perf_counter()
            while True:
                function(argument)
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= 0.05:
                    break
            best = min(best, elapsed / calls)
    finally:
        gc.enable()
    return best


def _growth(function, unit: str, n: int = 50_000) -> float:
    """Time at 4n over time at n: about 4 for a linear reader, 16 for a quadratic one (the bar, 8, leaves room for noise)."""
    small, large = unit * (n // len(unit)) + "x", unit * (4 * n // len(unit)) + "x"
    return _seconds(function, large) / _seconds(function, small)


def _quietly(parse):
    from distillscope.judges.parsing import ScoreParseError

    def run(text):
        try:
            parse(text)
        except ScoreParseError:
            pass

    return run


# runs that were quadratic before (a blank line split n² ways; n unclosed tags; n labels on one line re-sliced)
JUDGE_PATHOLOGIES = (" ", " \n", "<style>", "Style: 4, ", "Answer: A; ", "**", ">")


@pytest.mark.parametrize("unit", JUDGE_PATHOLOGIES)
def test_judge_parsers_take_linear_time_on_degenerate_answers(unit):
    from distillscope.judges.parsing import parse_choice, parse_conflict, parse_scores

    for parse in (lambda t: parse_scores(t, ("style", "structure", "content")), lambda t: parse_choice(t, ("A", "B")), parse_conflict):
        assert _growth(_quietly(parse), unit) < 8


openai_positions = st.lists(
    st.fixed_dictionaries(
        {"token": st.one_of(st.text(max_size=3), json_values), "logprob": st.one_of(st.floats(), json_values)},
        optional={
            "top_logprobs": st.one_of(
                json_values,
                st.lists(st.fixed_dictionaries({"token": json_values, "logprob": st.one_of(st.floats(), json_values)}), max_size=3),
            )
        },
    ),
    max_size=4,
)
logprob_payloads = st.one_of(
    st.fixed_dictionaries({"content": st.one_of(openai_positions, json_values)}),
    st.fixed_dictionaries(
        {"tokens": st.one_of(st.lists(st.sampled_from(["<", "answer", ">A", "1", "4", "B"]), max_size=4), json_values)},
        optional={
            "token_logprobs": st.one_of(st.lists(st.one_of(st.floats(), st.none()), max_size=4), json_values),
            "top_logprobs": json_values,
        },
    ),
    json_values,
)


@fuzz_settings(150)
@given(payload=logprob_payloads)
@example(payload={"content": [{"token": "4"}]})  # KeyError: no logprob
@example(payload={"content": [{"token": "4", "logprob": 1000.0}]})  # OverflowError: exp(1000)
@example(payload={"content": [{"token": "4", "logprob": "high"}]})  # ValueError
@example(payload={"tokens": ["4"], "token_logprobs": [0.0], "top_logprobs": [["4"]]})  # AttributeError: a list, not a mapping
def test_logprob_payloads_read_or_fail_as_parse_failures(payload):
    import math

    from distillscope.judges.logprob import choice_probabilities, conflict_probability, rse_scores
    from distillscope.models.logprobs import LogprobParseError, from_llamacpp, from_openai

    for read in (from_openai, from_llamacpp):
        try:
            positions = read(payload)
        except LogprobParseError:
            continue
        for measure in (lambda p: rse_scores(p, ("style",)), lambda p: choice_probabilities(p), conflict_probability):
            try:
                value = measure(positions)
            except LogprobParseError:
                continue
            numbers = value.values() if isinstance(value, dict) else [value]
            assert all(math.isfinite(v) for v in numbers), value


# -- the ICE claim extractor -----------------------------------------------------------------------------------------------

claim_pieces = st.sampled_from(
    [
        "I am ChatGPT",
        "I'm Claude, made by Anthropic",
        "我是通义千问",
        "As an AI developed by OpenAI, I",
        "[GPT]: ",
        "DAN: ",
        "<think>",
        "</think>",
        "If I were GPT-4",
        '"I am Gemini"',
        "not",
        "\n",
        " ",
        "，",
        "。",
        "(",
        "**",
        "> ",
        "[🔓JAILBREAK] ",
        "Qwen",
        "我",
    ]
)


@fuzz_settings(100)
@given(
    response=st.lists(st.one_of(claim_pieces, nasty_text), max_size=16).map("".join), prompt=st.one_of(st.none(), nasty_text, claim_pieces)
)
def test_the_claim_extractor_never_raises_and_spans_point_into_the_answer(response, prompt):
    from distillscope.ice.claims import extract_claims

    report = extract_claims(response, prompt)
    for claim in report.claims:
        assert 0 <= claim.start < claim.end <= len(response)
    assert set(report.claimed_families) <= {c.id for c in report.claims}


# runs that cost n² or worse before (a line of spaces or blank lines split n² ways in the persona-label pattern)
# (unit, n): the slowest pieces (a name or a label every few characters) at 12.5 KB and 50 KB, to keep the suite short
CLAIM_PATHOLOGIES = (
    (" ", 50_000),
    (" \n", 50_000),
    ("\n\n[GPT]: ", 12_500),
    ("I am ChatGPT. ", 50_000),
    ("我是ChatGPT", 12_500),
    ("GPT: ", 12_500),
)


@pytest.mark.parametrize(("unit", "n"), CLAIM_PATHOLOGIES)
def test_the_claim_extractor_takes_linear_time_up_to_200_kb(unit, n):
    """An answer of one repeated piece at n and at 4n (up to 200 KB): 4n may cost at most 8 times n (linear: 4)."""
    from distillscope.ice.claims import extract_claims
    from distillscope.ice.claims import window as claims_window

    def extract(text):
        claims_window.judge_window.cache_clear()  # each size pays for its own verdicts
        extract_claims(text)

    extract("I am ChatGPT.")  # the fact library, loaded once
    assert _growth(extract, unit, n) < 8


# -- results files --------------------------------------------------------------------------------------------------------


def _mutate(document, path: list, replacement):
    """`document` with the value at `path` (keys / indices, a prefix of a real path) replaced."""
    if not path:
        return replacement
    key, rest = path[0], path[1:]
    if isinstance(document, dict) and key in document:
        return {**document, key: _mutate(document[key], rest, replacement)}
    if isinstance(document, list) and isinstance(key, int) and key < len(document):
        return [*document[:key], _mutate(document[key], rest, replacement), *document[key + 1 :]]
    return document


def _paths(document, prefix=()) -> list:
    out = [list(prefix)]
    if isinstance(document, dict):
        for key, value in document.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(document, list):
        for index, value in enumerate(document[:3]):
            out.extend(_paths(value, (*prefix, index)))
    return out


FIXTURE_DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))
FIXTURE_PATHS = _paths(FIXTURE_DATA)


@st.composite
def results_bytes(draw) -> bytes:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return encode(json.dumps(draw(json_values)), draw(st.sampled_from(ENCODINGS)))
    document = FIXTURE_DATA
    for _ in range(draw(st.integers(1, 3))):
        document = _mutate(document, draw(st.sampled_from(FIXTURE_PATHS)), draw(json_values))
    text = json.dumps(document)
    if kind == 3:  # a truncated write
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8")


@fuzz_settings(60)
@given(content=results_bytes())
@example(content=b"[" * 100_000 + b"]" * 100_000)
@example(content=b'{"schema": "distillscope.results/2", "seed": ' + b"9" * 5000 + b"}")
@example(content=b'{"schema": "distillscope.results/2", "seed": NaN}')
@example(content=FIXTURE.read_bytes().replace(b'"kind": "', b'"kind": "\\ud800', 1))  # read, then unprintable
def test_any_results_file_reads_or_fails_in_one_user_error(tmp_path, content):
    from distillscope.results import Results, read_results

    path = tmp_path / "results.json"
    path.write_bytes(content)
    try:
        results = read_results(path)
    except UserError as exc:
        assert "\n" not in exc.one_line().strip(" \n")
        return
    assert isinstance(results, Results)
    results.model_dump_json()  # what `report` and every reader do next
