"""Shared settings and strategies of the property-based fuzz tests (tests/test_fuzz_*.py).

The defaults are modest and derandomized, so CI is reproducible and the whole
fuzz suite stays well under a minute and a half on two busy cores. To search
harder, set DISTILLSCOPE_FUZZ_EXAMPLES to a number of examples per test: the
search is then random (a new set of inputs each run), and hypothesis prints
any failing input it finds, shrunk to its smallest form.
"""

from __future__ import annotations

import csv
import io
import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_OVERRIDE = int(os.environ.get("DISTILLSCOPE_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(examples: int) -> settings:
    """`examples` inputs per test (or $DISTILLSCOPE_FUZZ_EXAMPLES), no time limit per example, no example database."""
    return settings(
        max_examples=_OVERRIDE or examples,
        deadline=None,
        derandomize=not _OVERRIDE,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


# Pieces that broke parsers somewhere: byte-order marks, NULs, lone surrogates, line-ending variants,
# quotes, separators, markup, numbers JSON or Python cannot hold, and very long runs.
NASTY_PIECES = (
    "\ufeff",
    "\x00",
    "\ud800",
    "\udcff",
    "\r\n",
    "\r",
    "\n",
    "\u2028",
    "\x85",
    '"',
    "'",
    '""',
    ",",
    ";",
    "\t",
    "\\",
    "{",
    "}",
    "[",
    "]",
    "<",
    ">",
    "?",
    "&",
    "=",
    "%",
    "%zz",
    "/",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "9" * 5000,
    "\U0001f513",
    "我是",
    "ChatGPT",
    "x" * 3000,
)

nasty_text = st.lists(
    st.one_of(st.sampled_from(NASTY_PIECES), st.text(max_size=12), st.characters(categories=["Cs", "Cc", "Zl", "Zp"])), max_size=12
).map("".join)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), nasty_text, st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=12,
)

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252")


def encode(text: str, encoding: str) -> bytes:
    """`text` in `encoding`; characters it cannot hold become '?' (lone surrogates pass through as in a broken file)."""
    return text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf-") and "sig" not in encoding else "replace")


# -- prompt and replay files (JSONL / CSV) --------------------------------------------------------------------------------


@st.composite
def jsonl_bytes(draw) -> bytes:
    """A JSONL file as a user's editor might have saved it: objects, other JSON, broken lines, any encoding."""
    line = st.one_of(
        st.fixed_dictionaries(
            {"text": st.one_of(nasty_text, json_values)},
            optional={
                "id": json_values,
                "category": st.one_of(nasty_text, json_values),
                "system": json_values,
                "prompt_id": json_values,
                "response": json_values,
                "sample_index": json_values,
                "model": json_values,
            },
        ).map(lambda record: json.dumps(record, ensure_ascii=draw(st.booleans()))),
        json_values.map(json.dumps),
        nasty_text,
        st.sampled_from(
            [
                "",
                "{}",
                '{"text": "a", "text": "b"}',  # duplicate keys
                '{"text": NaN}',
                '{"text": "x", "sample_index": Infinity}',
                '{"text": "x", "sample_index": 1e400}',
                '{"text": "x", "id": ' + "9" * 5000 + "}",
                '{"text": "\\ud800"}',
                '{"text": "a\\u0000b"}',
                '{"text": "' + "y" * 20_000 + '"}',
                '{"text": ""}',
            ]
        ),
    )
    lines = draw(st.lists(line, max_size=6))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = draw(st.sampled_from(["", "\ufeff"])) + newline.join(lines) + draw(st.sampled_from(["", newline]))
    return encode(text, draw(st.sampled_from(ENCODINGS)))


@st.composite
def csv_bytes(draw) -> bytes:
    """A CSV file: a header (maybe without a text column), rows of any length, quoted or not, any encoding."""
    header = draw(
        st.lists(st.one_of(st.sampled_from(["text", "prompt", "id", "category", "response", "prompt_id"]), nasty_text), max_size=4)
    )
    rows = draw(st.lists(st.lists(st.one_of(nasty_text, st.just(""), st.just("z" * 140_000)), max_size=5), max_size=5))
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])))
    for row in ([header] if header else []) + rows:
        writer.writerow(row)
    text = buffer.getvalue()
    if draw(st.booleans()):
        text = text.replace("\r\n", draw(st.sampled_from(["\n", "\r", '"', "\x00"])))
    return encode(draw(st.sampled_from(["", "\ufeff"])) + text, draw(st.sampled_from(ENCODINGS)))


any_record_file = st.one_of(
    st.tuples(st.just(".jsonl"), jsonl_bytes()),
    st.tuples(st.just(".csv"), csv_bytes()),
    st.tuples(st.sampled_from([".jsonl", ".csv"]), st.binary(max_size=300)),
)
