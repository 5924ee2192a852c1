"""Keys never reach the store, results, report, console or exports: refused in specs, redacted in server errors."""

from __future__ import annotations

import json

import pytest

from distillscope.errors import UserError
from distillscope.models.spec import ModelSpec
from distillscope.secrets import is_secret_name, redact
from distillscope.testing.stub_server import StubConfig, StubServer

SECRET = "sk-test-Zq8vN3kR7tY2wP5s"  # key-shaped, and unique enough to grep for
PLAIN = "Zq8vN3kR7tY2wP5s"  # the same secret without its sk- prefix


def _assert_refused(code, err, fragment=""):
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "api_key_env" in lines[0] and fragment in lines[0], lines[0]
    assert PLAIN not in err  # the refusal never repeats the secret


@pytest.mark.parametrize(
    "option",
    [
        "api_key",
        "API_KEY",
        "apikey",
        "api-key",
        "Api_Key",
        "key",
        "token",
        "Token",
        "access_token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "auth",
        "authorization",
        "bearer",
        "hf_token",
        "x-api-key",
    ],
)
def test_secret_option_names_are_refused_in_any_spelling(cli, write_prompts, isolated_store, option):
    code, _, err = cli(
        "generate", "--model", f"openai/m?base_url=http://127.0.0.1:9/v1&{option}={PLAIN}", "--prompts", write_prompts(["x"])
    )
    _assert_refused(code, err, option)
    assert not isolated_store.exists()  # refused before the store is opened


@pytest.mark.parametrize(
    "base_url, fragment",
    [
        (f"http://user:{SECRET}@127.0.0.1:9/v1", "credentials in its URL"),
        (f"http://{PLAIN}@127.0.0.1:9/v1", "credentials in its URL"),
        (f"http://127.0.0.1:9/v1?api_key={PLAIN}", "key-shaped"),
        (f"http://127.0.0.1:9/v1?Token={PLAIN}", "key-shaped"),
    ],
)
def test_credentials_inside_base_url_are_refused(cli, write_prompts, isolated_store, base_url, fragment):
    from urllib.parse import quote

    code, _, err = cli("generate", "--model", f"openai/m?base_url={quote(base_url, safe='')}", "--prompts", write_prompts(["x"]))
    _assert_refused(code, err, fragment)
    assert not isolated_store.exists()


def test_key_shaped_values_and_env_names_holding_keys_are_refused():
    with pytest.raises(UserError, match="key-shaped"):
        ModelSpec.parse(f"openai/m?note={SECRET}")
    with pytest.raises(UserError, match="environment variable"):
        ModelSpec.parse(f"openai/m?api_key_env={SECRET}")
    with pytest.raises(UserError, match="name"):
        ModelSpec.parse(f"openai/{SECRET}")
    # ...and through the config file's mapping form, which builds the same spec
    with pytest.raises(UserError, match="carries a secret"):
        ModelSpec.parse("openai/m", Authorization=f"Bearer {PLAIN}")


def test_ordinary_options_are_not_mistaken_for_secrets():
    for name in ("base_url", "max_tokens", "tokenizer", "tpm", "concurrency", "api_key_env", "mode", "judge_format", "weights"):
        assert not is_secret_name(name) or name == "api_key_env"
    spec = ModelSpec.parse("openai/m?base_url=http://127.0.0.1:8000/v1&api_key_env=MY_KEY&tpm=1000&mode=chat")
    assert spec.opt_str("api_key_env") == "MY_KEY"


def test_empty_base_url_never_falls_back_to_the_public_endpoint(cli, write_prompts, isolated_store, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    for spec in ("openai/gpt-4o-mini?base_url=", "openai/gpt-4o-mini?base_url=%20"):
        code, _, err = cli("generate", "--model", spec, "--prompts", write_prompts(["x"]))
        assert code == 2 and "empty base_url" in err and "Fix: " in err and len(err.strip().splitlines()) == 1, err
    assert not isolated_store.exists()


@pytest.mark.parametrize(
    "text, hidden",
    [
        (f"bad request from key Bearer {SECRET}", PLAIN),
        (f"Authorization: Basic {PLAIN}==", PLAIN),
        (f"GET http://u:{PLAIN}@host/v1 failed", PLAIN),
        (f"url http://host/v1?API_KEY={PLAIN}&x=1", PLAIN),
        (f'{{"api_key": "{PLAIN}"}}', PLAIN),
        (f"client_secret={PLAIN}; retry", PLAIN),
        (f"token: {PLAIN}", PLAIN),
        (f"hf_{PLAIN}abc", PLAIN),
    ],
)
def test_redact_masks_every_key_shape(text, hidden):
    assert hidden not in redact(text) and "***" in redact(text)


def test_redact_leaves_ordinary_error_text_alone():
    for text in (
        "max_tokens=4096 is too large",
        "HTTP 500: internal error",
        "token count 5 exceeds the limit",
        "rate limited",
        "a Basic assistant, bearer of news",
        "KeyError: 'text'",
        "completion_tokens=12",
    ):
        assert redact(text) == text


def test_a_server_that_echoes_the_key_leaks_it_nowhere(cli, write_prompts, tmp_path, isolated_store, monkeypatch):
    """The key is in the environment; the server quotes it back in a 400. Grep every artefact for it."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    prompts = write_prompts(["ok one", "echo", "ok two"])
    answers, export = tmp_path / "answers.jsonl", tmp_path / "export.jsonl"
    with StubServer(StubConfig(faults={"echo": ["echo_key"] * 10})) as stub:
        spec = f"openai/stub?base_url={stub.base_url}&api_key_env=OPENAI_API_KEY"
        code, out, err = cli("generate", "--model", spec, "--prompts", prompts, "--out", answers, "--no-progress")
        assert code == 1, err  # the echoing request failed; the others were answered
        assert any(e.fault == "echo_key" for e in stub.log)
    outputs = [out, err]
    code, out, err = cli("store", "stats")
    assert code == 0 and "bad request from key Bearer ***" in out, out
    outputs += [out, err]
    code, out, err = cli("store", "export", "--out", export)
    assert code == 0, err
    outputs += [out, err]
    files = [isolated_store, *isolated_store.parent.glob(isolated_store.name + "-*"), answers, export]
    for path in files:
        assert PLAIN.encode() not in path.read_bytes(), path
    for text in outputs:
        assert PLAIN not in text
    rows = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["prompt"] for r in rows) == ["ok one", "ok two"]


def test_the_audit_writes_no_key_to_results_report_or_console(cli, tmp_path, monkeypatch):
    import distillscope.metrics.embeddings as embeddings
    from distillscope.testing.hashing_embedder import HashingEmbedder

    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: HashingEmbedder())
    monkeypatch.setenv("MY_TEACHER_KEY", SECRET)
    with StubServer() as stub:
        teacher = f"openai/stub?base_url={stub.base_url}&api_key_env=MY_TEACHER_KEY"
        config = {
            "teacher": teacher,
            "students": ["mock/beta"],
            "judge": "mock/judge?judge=auto",
            "facts": {"mock/beta": "qwen"},
            "metrics": ["similarity", "rse"],
            "n": 6,
            "n_train": 4,
            "swap_n": 0,
        }
        path = tmp_path / "audit.yaml"
        path.write_text(json.dumps(config), encoding="utf-8")
        code, out, err = cli("audit", "--config", path, "-o", tmp_path / "out", "--no-progress")
        assert code == 0, err
    for artefact in (tmp_path / "out" / "results.json", tmp_path / "out" / "report.html"):
        assert PLAIN.encode() not in artefact.read_bytes()
    assert PLAIN not in out and PLAIN not in err


WORDS_KEY = "correct-horse-battery-staple-rides"  # no digit, no case change, no known prefix: no shape to recognise


@pytest.mark.parametrize("variable", ["OPENAI_API_KEY", "MYVAR"])  # a secret-named variable, and one only api_key_env names
def test_a_key_without_any_shape_is_masked_by_value_everywhere(cli, write_prompts, tmp_path, isolated_store, monkeypatch, variable):
    monkeypatch.setenv(variable, WORDS_KEY)
    prompts = write_prompts(["ok one", "echo"])
    answers, export = tmp_path / "answers.jsonl", tmp_path / "export.jsonl"
    with StubServer(StubConfig(faults={"echo": ["echo_key"] * 10})) as stub:
        spec = f"openai/stub?base_url={stub.base_url}&api_key_env={variable}"
        code, out, err = cli("generate", "--model", spec, "--prompts", prompts, "--out", answers, "--no-progress")
        assert code == 1, err
    outputs = [out, err]
    for command in (["store", "stats"], ["store", "export", "--out", export]):
        code, out, err = cli(*command)
        assert code == 0, err
        outputs += [out, err]
    assert "bad request from key Bearer ***" in outputs[2]
    for path in [isolated_store, *isolated_store.parent.glob(isolated_store.name + "-*"), answers, export]:
        assert b"horse-battery" not in path.read_bytes(), path
    for text in outputs:
        assert "horse-battery" not in text


def test_registered_secrets_are_masked_in_their_encodings_too(monkeypatch):
    import base64
    from urllib.parse import quote

    from distillscope.secrets import register_secret

    value = "plain words & letters/only"
    register_secret(value)
    for form in (value, quote(value, safe=""), json.dumps(value)[1:-1], base64.b64encode(value.encode()).decode()):
        masked = redact(f"the server said: {form} was refused")
        assert form not in masked and "***" in masked
    register_secret("1")  # too short to be told apart from ordinary text: not masked
    assert redact("HTTP 1 error") == "HTTP 1 error"


def test_secret_named_environment_variables_are_masked_without_registration(monkeypatch):
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "quietlettersonlyvalue")
    monkeypatch.setenv("HOME_DIRECTORY_NAME", "notasecretatall")
    assert redact("echo: quietlettersonlyvalue") == "echo: ***"
    assert redact("echo: notasecretatall") == "echo: notasecretatall"


def test_a_bugs_traceback_is_printed_with_known_secrets_masked(cli, write_prompts, monkeypatch):
    import distillscope.probes.loader as loader

    monkeypatch.setenv("SOME_SERVICE_TOKEN", WORDS_KEY)

    def broken(path):  # noqa: ANN001, ANN202
        raise RuntimeError(f"a bug that happened to format the key {WORDS_KEY} into its message")

    monkeypatch.setattr(loader, "load_numbered_prompts", broken)
    code, out, err = cli("generate", "--model", "mock/m", "--prompts", write_prompts(["x"]), "--no-progress")
    assert code == 1 and "Traceback" in err and "RuntimeError: a bug that happened to format the key *** into" in err
    assert "horse-battery" not in err + out


def test_a_known_value_inside_a_longer_key_masks_the_whole_key():
    """A registered value that is only part of a key (its prefix) must not leave the rest of the key in view."""
    from distillscope.secrets import _registered, register_secret

    register_secret("sk-test")
    try:
        masked = redact(f"bad request from key Bearer {SECRET}")
        assert PLAIN not in masked and "***" in masked
    finally:
        _registered.discard("sk-test")
