# `make demo` and `make test` set themselves up on a fresh Debian machine; running them again reinstalls nothing.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SYSTEM := $(VENV)/.system-deps

.PHONY: demo test test-slow test-fuzz test-all lint contracts mutation bench screenshots clean setup

setup: $(STAMP) $(SYSTEM)

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python $(SYSTEM)  # system libraries first: some wheels build against them
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

$(SYSTEM): installers/system-deps.sh | $(VENV)/bin/python
	bash installers/system-deps.sh
	touch $@

# The GUI where a display exists, a scripted headless registration run otherwise.
demo: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ "$$QT_QPA_PLATFORM" != offscreen ] || [ -n "$$OPENREG_DEMO_GUI" ]; then \
		$(VENV)/bin/openreg demo --data .demo; \
	else \
		$(VENV)/bin/openreg demo --headless --data .demo; \
	fi

# Where PYTHONDONTWRITEBYTECODE is set, every `openreg` process the tests start would compile the
# project again; compiled once here, the bytecode is read and never needs writing.
test: setup
	$(PY) -m compileall -q -j 2 abis_service client demo device_drivers security_rig shared sync_server tools > /dev/null
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -n 2 -m "not slow" tests

test-slow: setup
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -m slow tests

# Only the long API fuzz run (schemathesis, SQLite and PostgreSQL); `make test` runs a short one.
test-fuzz: setup
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -m slow -k fuzz_long tests/integration/sync_server/test_openapi_fuzz.py

test-all: setup
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -n 2 tests

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m tools.interface_gate check

# Rewrite the interface-gate baselines (refused while a breaking change has no protocol version bump).
contracts: setup
	$(PY) -m tools.interface_gate update

# Mutation testing, one target at a time (tools/mutation/targets.py: the files mutated and the tests that
# judge them), each in a copy under /tmp/mutwork, under nice; not part of `make test`. One target:
# `$(PY) -m tools.mutation run shared.uin`. The scores per module go into docs/testing.md.
mutation: setup
	$(PY) -m tools.mutation run --all
	$(PY) -m tools.mutation write docs/testing.md

# Every bench/bench_*.py; the goals table (date, machine, load, each ratio) goes into docs/performance.md.
bench: setup
	$(PY) bench/run_all.py

screenshots: setup
	$(PY) -m demo.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .demo build dist *.egg-info .pytest_cache .ruff_cache
