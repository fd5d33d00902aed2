# The README's commands. Each one creates .venv and installs the pinned set when needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.molkit-installed
# The run profile: PROFILE=..., else $MOLKIT_PROFILE (as the README says), else demo.
PROFILE ?= $(or $(MOLKIT_PROFILE),demo)

.PHONY: install test reproduce lab bench screenshots clean

install: $(STAMP)

# torch goes in first from the pinned set, so that nothing later can pull a CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt torch
	$(PY) -m pip install --quiet -c constraints.txt -e ".[lab,test]"
	$(PY) -m ipykernel install --sys-prefix --name molkit --display-name "molkit (.venv)" >/dev/null
	touch $(STAMP)

# Lint and format checks (ruff, no cache) come first. The tests run on one pytest-xdist worker a
# core (at most four), a test file to a worker (tests/conftest.py). Leaves the working tree as it found it:
# notebooks run under nbval write into a temporary folder ($MOLKIT_WORK_DIR, removed afterwards),
# and no bytecode is written next to the sources.
test: install
	$(VENV)/bin/ruff check --no-cache . && $(VENV)/bin/ruff format --no-cache --check .
	@work=$$(mktemp -d -t molkit-test-XXXXXX) && trap 'rm -rf "$$work"' EXIT && set -x && \
	MOLKIT_PROFILE=smoke MOLKIT_WORK_DIR=$$work PYTHONDONTWRITEBYTECODE=1 \
	$(PY) -m pytest -n auto --maxprocesses 4 --no-loadscope-reorder tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

reproduce: install
	MOLKIT_PROFILE=$(PROFILE) $(VENV)/bin/molkit reproduce --profile $(PROFILE)

lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# Check a rendered report in a real browser: make screenshots RUN=reports/<run name>
screenshots: install
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(PY) scripts/check_report_screenshots.py $(RUN)

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
