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
    assert ModelSpec.parse("mock/x?b=2&a=1").identity() == ModelSpec.parse("mock/x?a=1&b=2").identity()


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
