"""Local model identity: store keys carry a cheap fingerprint of the model's files."""

from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.types import Prompt, SamplingParams

PROMPTS = [Prompt(text="who made you ?")]


def test_gguf_keys_carry_a_fingerprint_of_the_file(tmp_path):
    import os

    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + bytes(3 << 20))
    request = requests_for(PROMPTS[:1], SamplingParams())[0]
    key = load_model(f"llamacpp/{path}?mode=chat").request_key(request)
    stat = path.stat()
    with path.open("r+b") as handle:  # same size, same mtime, other bytes near the end
        handle.seek((3 << 20) - 10)
        handle.write(b"x")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load_model(f"llamacpp/{path}?mode=chat").request_key(request) != key


def test_builtin_keys_read_no_file_and_did_not_change():
    from distillscope.types import canonical_json, sha256_hex

    model = load_model("builtin/gemma-3-270m")
    request = requests_for(PROMPTS[:1], SamplingParams())[0]
    legacy = sha256_hex(
        canonical_json(
            {
                "model": "builtin/gemma-3-270m",
                "input": model.rendered_input(request),
                "sampling": request.sampling.key_fields(),
                "sample_index": 0,
            }
        )
    )
    assert model.request_key(request) == legacy and model._path is None  # stores made before fingerprints still serve


def test_a_replaced_gguf_of_another_size_or_time_gets_new_keys(tmp_path):
    import os

    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + bytes(100))
    request = requests_for(PROMPTS, SamplingParams())[0]
    key = load_model(f"llamacpp/{path}?mode=completion").request_key(request)
    os.utime(path, ns=(0, 10**18))
    touched = load_model(f"llamacpp/{path}?mode=completion").request_key(request)
    path.write_bytes(b"GGUF" + bytes(101))
    assert len({key, touched, load_model(f"llamacpp/{path}?mode=completion").request_key(request)}) == 3
