# bevaka: two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := demo-out

.PHONY: demo test lint venv clean bench bench-1m docs sysdeps reliability fuzz

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 or 3.12 is needed (set PY=python3.12 to use 3.12)."; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP) sysdeps
	BEVAKA=$(BIN)/bevaka bash examples/demo.sh $(DEMO_DIR)

# System tools the tests use, installed with apt-get when missing: the sqlite3 command-line
# tool (the audit tests edit the log as an auditor would), poppler-utils (pdftotext and
# pdftoppm read back and render the PDF reports), Pango with the DejaVu fonts (WeasyPrint
# writes the PDFs with them) and Debian's chromium (the web view's browser tests drive it
# through Playwright, which cannot download a browser here).
SYSDEPS_CHECK = command -v sqlite3 >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 \
  && command -v pdftoppm >/dev/null 2>&1 && ldconfig -p | grep -q libpango-1.0 \
  && ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset \
  && fc-list | grep -qi dejavu
sysdeps:
	@$(SYSDEPS_CHECK) || { echo "Installing sqlite3, poppler-utils, Pango and the DejaVu fonts (used by the tests and the PDF reports)"; \
	  { apt-get update -qq && apt-get install -y -qq sqlite3 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 \
	    libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core fontconfig; } >/dev/null 2>&1 || \
	  echo "Could not install them; install with your package manager: apt-get install sqlite3 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; }
	@test -x /usr/bin/chromium || { echo "Installing chromium (the web view's browser tests)"; \
	  { apt-get update -qq && apt-get install -y -qq chromium; } >/dev/null 2>&1 || \
	  echo "Could not install chromium; install it with your package manager (apt-get install chromium)"; }

test: $(STAMP) sysdeps
	$(BIN)/ruff check .
	$(BIN)/mypy bevaka engine facts notifications
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# The property tests with new random examples each run (make test draws the same ones every
# run; a test without its own max_examples draws 1000); a failure prints how to reproduce it.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q $$(grep -l "@given" tests/*.py tests/*/*.py)

# The reliability campaign at its full size (tests/reliability; make test runs it at CI size).
reliability: $(STAMP) sysdeps
	BEVAKA_RELIABILITY=full $(BIN)/python -m pytest -s tests/reliability

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bevaka engine facts notifications
	$(BIN)/lint-imports

# Not tests: measurements with a table of targets (bench/README.md). bench-1m takes 30–60 minutes.
# BENCH_ARGS adds options, e.g. make bench BENCH_ARGS="--work /tmp/bench --json /tmp/bench.json"
bench: $(STAMP)
	$(BIN)/python bench/bench.py --n 10000 --n 100000 $(BENCH_ARGS)

bench-1m: $(STAMP)
	nice -n 10 $(BIN)/python bench/bench.py --n 1000000 $(BENCH_ARGS)

docs: $(STAMP)
	$(BIN)/python docs/gen_cli_reference.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
