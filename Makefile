# Incident Desk: `make demo` sets up and runs the main job, `make test` runs the tests.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
SERVE ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000

# Secrets for the bundled sample deliveries; a deployment sets its own.
DEMO_ENV := LOG_LEVEL=WARNING \
	GITHUB_WEBHOOK_SECRET=demo-github-secret \
	CRASHLYTICS_RELAY_SECRET=demo-relay-secret \
	ZENDESK_WEBHOOK_SECRET=demo-zendesk-secret \
	PAGERDUTY_WEBHOOK_SECRETS=demo-pagerduty-secret \
	JIRA_WEBHOOK_SECRET=demo-jira-secret \
	SNS_CERT_CACHE_DIR=samples/sns-certs

.PHONY: install demo integrations-demo test lint format lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input -v0
	$(DEMO_ENV) $(BIN)/python manage.py load_runbooks
	$(DEMO_ENV) $(BIN)/python manage.py demo_admin
	$(DEMO_ENV) $(BIN)/python manage.py replay_deliveries samples/deliveries --sign
	$(DEMO_ENV) $(BIN)/python manage.py export_report --first --output var/reports
ifeq ($(SERVE),1)
	@echo "Serving the admin at http://$(HOST):$(PORT)/admin/ (Ctrl-C stops it)"
	@# The periodic tasks run beside the server, as Celery beat would, until it stops.
	$(DEMO_ENV) $(BIN)/python manage.py run_schedule & schedule=$$!; \
	trap 'kill $$schedule' EXIT INT TERM HUP; \
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)
endif

# The samples replayed against local fakes of PagerDuty, Slack, Jira and Drive.
integrations-demo: install
	rm -f var/integrations-demo.sqlite3
	$(DEMO_ENV) DATABASE_URL=sqlite:///var/integrations-demo.sqlite3 \
		$(BIN)/python manage.py migrate --no-input -v0
	$(DEMO_ENV) DATABASE_URL=sqlite:///var/integrations-demo.sqlite3 \
		$(BIN)/python manage.py integrations_demo --replay samples/deliveries

test: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	echo '# Pinned versions of every dependency; regenerate with `make lock` after changing pyproject.toml.' > constraints.txt
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' >> constraints.txt

clean:
	rm -rf $(VENV) var
