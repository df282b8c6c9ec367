# Périsco: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Where `make run` serves, e.g. `make run ADDR=0.0.0.0:8080` (with DJANGO_ALLOWED_HOSTS set
# to the name or address browsers use); the printed links and e-mails follow it.
ADDR ?= 127.0.0.1:8000
# The first Python >= 3.12 found (pyenv reads .python-version).
PYTHON ?= $(shell for p in python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: run test install system-deps bench-deps help-screens lint messages check-messages clean

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --base-url "$${PERISCO_BASE_URL:-http://$(ADDR)}"
	$(PY) manage.py runserver $(ADDR)

test: $(STAMP) system-deps
	$(PY) -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "Périsco needs Python 3.12 or newer: install it (e.g. 'pyenv install 3.12')."; exit 1; fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev]'
	@touch $(STAMP)

# What the benchmarks of bench/ need beyond the suite (locust for bench/rush.py).
bench-deps: $(STAMP)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev,bench]'

# What the browser tests and PDFs need from Debian: Chromium, fonts, Pango.
system-deps:
	@bash scripts/install-system-deps.sh

# The help page's screens, taken from the demo that `make run` serves (run it first).
help-screens: $(STAMP) system-deps
	$(PY) scripts/help_screens.py http://127.0.0.1:8000

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Refresh the translation catalogues after changing strings, then translate the new
# entries of perisco/locale/fr/LC_MESSAGES/django.po.
messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l en -i '.venv/*' -i 'var/*' --no-obsolete --no-location
	$(PY) manage.py compilemessages -l fr -l en -i '.venv'

check-messages: $(STAMP)
	@bash scripts/check-messages.sh

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var
