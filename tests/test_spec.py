import pytest

from distillscope.errors import UnknownProviderError, UserError
from distillscope.models.registry import load_model
from distillscope.models.spec import ModelSpec


def test_parse_provider_name_and_options():
    spec = ModelSpec.parse("openai/gpt-4o-mini?base_url=http://127.0.0.1:8000/v1&concurrency=4")
    assert (spec.provider, spec.name) == ("openai", "gpt-4o-mini")
    assert spec.opt_int("concurrency") == 4
    assert spec.opt_str("base_url") == "http://127.0.0.1:8000/v1"


def test_identity_ignores_operational_options_but_keeps_identity_ones():
    a = ModelSpec.parse("openai/m?base_url=http://a/v1&concurrency=4&rpm=60&api_key_env=K")
    b = ModelSpec.parse("openai/m?base_url=http://a/v1")
    c = ModelSpec.parse("openai/m?base_url=http://b/v1")
    assert a.identity() == b.identity()
    assert a.identity() != c.identity()


def test_option_order_does_not_change_identity():
    assert ModelSpec.parse("mock/x?words=tiny&judge=rse").identity() == ModelSpec.parse("mock/x?judge=rse&words=tiny").identity()


def test_paths_survive_as_names():
    spec = ModelSpec.parse("llamacpp//tmp/models/x.gguf?mode=completion")
    assert spec.name == "/tmp/models/x.gguf"
    assert str(spec).startswith("llamacpp//tmp/models/x.gguf")


@pytest.mark.parametrize("text", ["gpt-4o", "/x", "openai/"])
def test_incomplete_specs_are_refused(text):
    with pytest.raises(UserError):
        ModelSpec.parse(text)


def test_secrets_in_spec_are_refused():
    with pytest.raises(UserError, match="api_key_env"):
        ModelSpec.parse("openai/m?api_key=sk-123")


def test_unknown_provider_names_the_known_ones():
    with pytest.raises(UnknownProviderError, match="builtin, hf, llamacpp, mock, openai, replay"):
        load_model("nosuch/model")


def test_bad_option_type_is_a_user_error():
    with pytest.raises(UserError, match="concurrency"):
        load_model("mock/x?concurrency=many")


def test_mock_operational_options_do_not_change_identity():
    assert load_model("mock/x?latency=0.5").identity == load_model("mock/x").identity == "mock/x"


@pytest.mark.parametrize("option", ["rpm=-1", "tpm=0", "timeout=-0.5", "concurrency=0", "batch_size=0", "n_ctx=-1", "rpm=nan"])
def test_impossible_operational_values_are_refused_when_parsed(option):
    with pytest.raises(UserError, match=option.split("=")[0]):
        ModelSpec.parse(f"openai/m?base_url=http://h/v1&{option}")


def test_valid_operational_values_pass():
    spec = ModelSpec.parse("openai/m?base_url=http://h/v1&rpm=0.5&tpm=1000&timeout=30&concurrency=1&max_retries=0")
    assert spec.opt_float("rpm") == 0.5 and spec.opt_int("max_retries") == 0


@pytest.mark.parametrize(
    "base_url, match", [("", "empty base_url"), ("http://a/v1,", "empty base_url"), ("localhost:8000/v1", "not an http")]
)
def test_base_url_must_be_http_urls(base_url, match):
    with pytest.raises(UserError, match=match):
        ModelSpec.parse(f"openai/m?base_url={base_url}")
    assert ModelSpec.parse("openai/m?base_url=http://a/v1,https://b/v1").opt_str("base_url") == "http://a/v1,https://b/v1"


def test_specs_built_directly_are_checked_too():
    with pytest.raises(UserError, match="secret"):
        ModelSpec(provider="openai", name="m", options={"API_KEY": "x"})


@pytest.mark.parametrize(
    "text, match",
    [
        ("openai/m?base_ulr=http://127.0.0.1:9/v1", "unknown option 'base_ulr' for openai \\(did you mean 'base_url'\\?\\)"),
        ("openai/m?concurency=4", "unknown option 'concurency' for openai \\(did you mean 'concurrency'\\?\\)"),
        ("mock/a?latncy=1", "unknown option 'latncy' for mock \\(did you mean 'latency'\\?\\)"),
        ("mock/a?base_url=http://h/v1", "unknown option 'base_url' for mock"),  # per provider: mock has no server
        ("openai/m?latency=1", "unknown option 'latency' for openai"),
        ("replay/x.jsonl?modle=gpt", "did you mean 'model'"),
        ("hf/some/dir?dtpye=float16", "did you mean 'dtype'"),
        ("llamacpp/x.gguf?n_thread=2", "did you mean 'n_threads'"),
        ("builtin/x?mdoe=chat", "did you mean 'mode'"),
    ],
)
def test_unknown_options_are_refused_by_name_with_the_closest_known_one(text, match):
    with pytest.raises(UserError, match=match):
        ModelSpec.parse(text)


@pytest.mark.parametrize(
    "text, match",
    [
        ("mock/a?=1", "option with no name"),
        ("mock/a?&=&", "no name"),
        ("mock/a?latency=-1", "latency"),
        ("mock/a?latency=soon", "not a float"),
        ("mock/a?transient_failures=-2", "transient_failures"),
        ("mock/a?concurrency=-3", "concurrency"),
        ("mock/a?concurrency=0", "concurrency"),
        ("mock/a?concurrency=2.5", "not a int"),
        ("openai/m?timeout=abc", "timeout"),
        ("openai/m?circuit_breaker=-1", "circuit_breaker"),
        ("openai/m?base_url=http://a/v1&base_url=http://b/v1", "twice"),
    ],
)
def test_empty_names_impossible_and_non_numeric_values_are_refused(text, match):
    with pytest.raises(UserError, match=match):
        ModelSpec.parse(text)


def test_the_cli_refuses_a_misspelt_option_before_anything_is_sent_or_stored(cli, write_prompts, isolated_store):
    code, _, err = cli("generate", "--model", "openai/m?base_ulr=http://127.0.0.1:9/v1", "--prompts", write_prompts(["x"]))
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "did you mean 'base_url'" in lines[0], err
    assert not isolated_store.exists()


@pytest.mark.parametrize(
    "written",
    ["http://127.0.0.1:8000/v1/", "HTTP://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1//", " http://127.0.0.1:8000/v1 "],
)
def test_base_url_is_normalised_before_it_is_keyed(written):
    plain = load_model("openai/m?base_url=http://127.0.0.1:8000/v1")
    assert load_model(ModelSpec(provider="openai", name="m", options={"base_url": written})).identity == plain.identity


def test_default_ports_and_host_case_do_not_change_the_key():
    assert ModelSpec.parse("openai/m?base_url=http://Example.COM:80/v1").opt_str("base_url") == "http://example.com/v1"
    assert ModelSpec.parse("openai/m?base_url=https://example.com:443/v1/").opt_str("base_url") == "https://example.com/v1"
    assert ModelSpec.parse("openai/m?base_url=https://example.com:8443/v1").opt_str("base_url") == "https://example.com:8443/v1"
    assert ModelSpec.parse("openai/m?base_url=http://a/v1/,HTTP://B:80/v1").opt_str("base_url") == "http://a/v1,http://b/v1"


def test_operational_options_never_reach_the_store_key():
    plain = load_model("openai/m?base_url=http://h:8000/v1")
    busy = load_model(
        "openai/m?base_url=http://h:8000/v1&concurrency=4&rpm=60&tpm=1000&timeout=5&max_retries=2&circuit_breaker=3&api_key_env=K"
    )
    assert busy.identity == plain.identity == "openai/m?base_url=http://h:8000/v1"
    mock = load_model("mock/x?latency=0.1&transient_failures=1&batch_size=4&concurrency=2&unreachable=1&circuit_breaker=0")
    assert mock.identity == "mock/x"
    assert load_model("mock/x?variant=1").identity != "mock/x"  # identity options stay


def test_each_backend_declares_its_options():
    from distillscope.models.registry import PROVIDERS, provider_class

    for provider in PROVIDERS:
        known = provider_class(provider).known_options()
        assert {"concurrency", "rpm", "tpm", "max_retries", "circuit_breaker"} <= known, provider
    assert "base_url" in provider_class("openai").known_options() and "base_url" not in provider_class("mock").known_options()


def test_a_nameless_option_never_repeats_its_value():
    with pytest.raises(UserError, match="no name") as info:
        ModelSpec.parse("openai/m?=quietlettersonly")
    assert "quietlettersonly" not in str(info.value)
