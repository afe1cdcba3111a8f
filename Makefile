# Two entry points: `make demo` (the main job on embedded defaults) and `make test`.
# Each builds .venv on first use. torch is installed first with an exact pin so pip takes
# the local CPU wheel instead of pulling CUDA builds from the registry.
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.mynah-installed

.PHONY: demo test lint format clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/mynah demo --out runs/demo

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
