# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_DEV  := $(VENV)/.installed-dev

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# `make run` bakes the starters to USD, so it installs the usd extra it needs.
$(STAMP_RUN): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[usd]"
	touch $@

$(STAMP_DEV): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/moks demo graphs --host usd --out out

test: $(STAMP_DEV)
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n 2 -q

lint: $(STAMP_DEV)
	$(BIN)/ruff check .

BENCHES := engine_overhead bake host_write metrics sh editor farm inverse inverse_blender light_meter

bench: $(STAMP_DEV)
	for b in $(BENCHES); do echo "== bench/$$b.py"; QT_QPA_PLATFORM=offscreen $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
