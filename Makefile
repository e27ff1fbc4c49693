# bevaka: two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := demo-out

.PHONY: demo test lint venv clean bench bench-1m docs sysdeps

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 or 3.12 is needed (set PY=python3.12 to use 3.12)."; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	BEVAKA=$(BIN)/bevaka bash examples/demo.sh $(DEMO_DIR)

# The audit tests edit the log with the sqlite3 command-line tool, as an auditor would; the IVO
# reports' PDFs are made by WeasyPrint (Pango) and read back with pdftotext (poppler-utils); the
# web tests drive Debian's chromium through Playwright (which cannot download a browser here).
sysdeps:
	@command -v sqlite3 >/dev/null 2>&1 || { echo "Installing the sqlite3 command-line tool (used by the tests)"; \
	  { apt-get update -qq && apt-get install -y -qq sqlite3; } >/dev/null 2>&1 || \
	  echo "Could not install sqlite3; install it with your package manager (apt-get install sqlite3)"; }
	@{ command -v pdftotext >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q libpango-1.0; } || \
	  { echo "Installing Pango (WeasyPrint, PDF) and poppler-utils (pdftotext, used by the tests)"; \
	  { apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 poppler-utils fonts-dejavu-core; } >/dev/null 2>&1 || \
	  echo "Could not install them; install libpango-1.0-0 and poppler-utils with your package manager"; }
	@test -x /usr/bin/chromium || { echo "Installing chromium (the web view's browser tests)"; \
	  { apt-get update -qq && apt-get install -y -qq chromium; } >/dev/null 2>&1 || \
	  echo "Could not install chromium; install it with your package manager (apt-get install chromium)"; }

test: $(STAMP) sysdeps
	$(BIN)/ruff check .
	$(BIN)/mypy bevaka engine facts notifications
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bevaka engine facts notifications
	$(BIN)/lint-imports

# Not tests: measurements with a table of targets (bench/README.md). bench-1m takes about an hour.
# BENCH_ARGS adds options, e.g. make bench BENCH_ARGS="--work /tmp/bench --json /tmp/bench.json"
bench: $(STAMP)
	$(BIN)/python bench/bench.py --n 10000 --n 100000 $(BENCH_ARGS)

bench-1m: $(STAMP)
	nice -n 10 $(BIN)/python bench/bench.py --n 1000000 $(BENCH_ARGS)

docs: $(STAMP)
	$(BIN)/python docs/gen_cli_reference.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
