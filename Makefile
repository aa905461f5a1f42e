# LIS-portalen: `make run` serves the demo portal, `make test` runs every test.
# Both install what is missing first (Debian packages when run as root, Python packages
# into .venv), so they work on a fresh Debian machine and in CI.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
WORKERS ?= 2

APT_RUN := libldap2-dev libsasl2-dev gcc python3-dev python3-venv
APT_TEST := slapd ldap-utils chromium fonts-liberation

.PHONY: run test lint translations messages system-packages system-packages-test clean

run: system-packages $(VENV)/.installed translations
	set -a && . demo/demo.env && set +a && \
	$(VENV)/bin/flask --app wsgi db upgrade && \
	$(VENV)/bin/flask --app wsgi ldap-sync --ldif demo/exempelby.ldif && \
	$(VENV)/bin/flask --app wsgi demo-systems && \
	$(VENV)/bin/flask --app wsgi demo-documents && \
	$(VENV)/bin/flask --app wsgi demo-trainings && \
	$(VENV)/bin/flask --app wsgi demo-checklists && \
	$(VENV)/bin/flask --app wsgi demo-follow-up && \
	exec $(VENV)/bin/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) \
	  --access-logfile - wsgi:app

test: system-packages system-packages-test $(VENV)/.installed-test translations
	$(VENV)/bin/ruff check app ldap_sync tests benchmarks demo wsgi.py
	$(VENV)/bin/pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check app ldap_sync tests benchmarks demo wsgi.py

# Debian packages: only those missing, and only root may install them; others are told.
apt_ensure = missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "Missing Debian packages: $$missing (sudo apt-get install $$missing)"; exit 1; fi; \
	fi

system-packages:
	@$(call apt_ensure,$(APT_RUN))

system-packages-test:
	@$(call apt_ensure,$(APT_TEST))

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@ $(VENV)/.installed

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d app/translations

clean:
	rm -rf $(VENV) instance/*.sqlite3*

# After changing user-facing texts: refresh the catalog, then translate the new entries
# in app/translations/en/LC_MESSAGES/messages.po (tests/test_translations.py checks it).
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs '.*' \
	  --no-location --sort-output -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations \
	  --no-fuzzy-matching --ignore-obsolete
