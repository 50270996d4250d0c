# credentials-status: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test test-postgres quality pii_check bench bench-http bench-horizontal bench-scale requirements upgrade static migrate demo clean tutor-render messages

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "} {printf "  %-16s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.test-installed: requirements/test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@ $(VENV)/.base-installed

migrate: $(VENV)/.base-installed ## Apply database migrations
	$(BIN)/python manage.py migrate --noinput

demo: migrate ## Load the demo data set (idempotent)
	$(BIN)/python manage.py load_demo_data

run: demo ## Set up, load demo data and serve on http://127.0.0.1:8000 (SQLite, in-process Celery)
	@echo
	@echo "credentials-status on http://$(HOST):$(PORT)/  (API docs: /api/docs/, health: /health/)"
	@echo "A token for the support user (learner_status_readers role):"
	@echo "  TOKEN=\$$($(BIN)/python manage.py create_dev_jwt support)"
	@echo "  curl -s -X POST http://$(HOST):$(PORT)/api/credentials/v1/learner_cert_status/ \\"
	@echo "    -H \"Authorization: JWT \$$TOKEN\" -H 'Content-Type: application/json' \\"
	@echo "    -d '{\"username\": \"demo\", \"course_runs\": [\"course-v1:edX+DemoX+1T2024\"]}'"
	@echo "Admin and support console: $(BIN)/python manage.py createsuperuser, then"
	@echo "  http://$(HOST):$(PORT)/admin/ and http://$(HOST):$(PORT)/support/ (try learner 'sam')"
	@echo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.test-installed ## Install test requirements and run the whole suite (DATABASE_URL picks the database)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

quality: $(VENV)/.test-installed ## ruff lint and format check, mypy, app boundaries (import-linter), OpenAPI without warnings, missing migrations, PII annotations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports  # app boundaries (.importlinter, ADR 0015)
	DJANGO_SETTINGS_MODULE=settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	DJANGO_SETTINGS_MODULE=settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) pii_check

pii_check: $(VENV)/.test-installed ## Every model's PII annotations (Open edX format) at 100% coverage (code-annotations)
	DJANGO_SETTINGS_MODULE=settings.test $(BIN)/code_annotations django_find_annotations \
		--config_file .pii_annotations.yml --lint --report --coverage

messages: $(VENV)/.base-installed ## Update locale/*/django.po from the marked strings and compile them (needs gettext)
	DJANGO_SETTINGS_MODULE=settings.test $(BIN)/python manage.py makemessages --all --no-location \
		--ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'staticfiles/*'
	DJANGO_SETTINGS_MODULE=settings.test $(BIN)/python manage.py compilemessages --ignore '.venv/*'

bench: $(VENV)/.test-installed ## Run the benchmarks and print their figures
	$(BIN)/python bench/run.py

bench-http: $(VENV)/.test-installed ## HTTP benchmark: gunicorn configurations under wrk, settings.production, PostgreSQL (~5 min; not in CI; needs wrk)
	@command -v wrk >/dev/null || { echo "bench-http needs wrk (Debian: apt-get install wrk)"; exit 1; }
	$(BIN)/python bench/http_load.py $(BENCH_HTTP_ARGS)

bench-horizontal: $(VENV)/.test-installed ## Celery: one worker against two on queued notification and realisation work, PostgreSQL + RabbitMQ (~5 min; not in CI)
	$(BIN)/python bench/horizontal.py $(BENCH_HORIZONTAL_ARGS)

SCALE_DB ?= postgres://postgres@127.0.0.1:5432
bench-scale: $(VENV)/.test-installed ## Growth benchmark: 1,000 vs 1,000,000 generated learners on PostgreSQL (~20 min; not in CI)
	@for n in 1000 1000000; do \
		db=cs_scale_$$n; url=$(SCALE_DB)/$$db; \
		if ! psql "$$url" -Atc "select 1 from core_user where email like '%.scale.example' limit 1" 2>/dev/null | grep -q 1; then \
			psql "$(SCALE_DB)/postgres" -qc "drop database if exists $$db" -c "create database $$db" && \
			DATABASE_URL=$$url DJANGO_SETTINGS_MODULE=settings.test $(BIN)/python manage.py migrate -v0 && \
			DATABASE_URL=$$url DJANGO_SETTINGS_MODULE=settings.test $(BIN)/python manage.py generate_scale_dataset --learners $$n; \
		fi; \
		DATABASE_URL=$$url $(BIN)/python bench/scale.py --json bench-scale-$$n.json || exit 1; \
	done

requirements: $(VENV)/.test-installed ## Install the pinned requirements (development and tests) into .venv

upgrade: | $(BIN)/python ## Recompile the pins (requirements/*.txt) from requirements/*.in
	$(BIN)/pip install --quiet pip-tools
	cd requirements && for f in base production test dev; do \
		../$(BIN)/pip-compile --quiet --upgrade --strip-extras --allow-unsafe --no-emit-index-url $$f.in -o $$f.txt; done

static: $(VENV)/.base-installed ## Collect static files into STATIC_ROOT (staticfiles/)
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

tutor-render: ## Render the Tutor plugin (deploy/tutor) with Tutor 22 and check the result (no Docker)
	bash .ci/tutor-render.sh

clean: ## Remove the virtualenv, caches and the local SQLite database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache credentials_status.sqlite3
