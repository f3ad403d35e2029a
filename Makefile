# Developer entry points. The README's two commands are the canonical ones.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install up test lint format typecheck bench eval clean

$(VENV)/bin/myloware: pyproject.toml
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -q -e '.[dev]'

install: $(VENV)/bin/myloware

up: install
	$(VENV)/bin/myloware up

test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts

format: install
	$(VENV)/bin/ruff format src tests benchmarks scripts
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts

typecheck: install
	$(VENV)/bin/mypy

eval: install
	$(PY) scripts/eval_accuracy.py

bench: install
	$(PY) -m benchmarks.run_all

clean:
	rm -rf .myloware .pytest_cache .mypy_cache .ruff_cache
