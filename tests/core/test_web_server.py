"""The web server's shipped configuration: gthread workers and persistent database connections.

docs/performance.rst ("HTTP") measured these against the image's earlier configuration (2 sync
workers, a new database connection per request). gunicorn.conf.py and settings.production are read
in a fresh interpreter: both are read once, at start, and a refused value is recorded for the
process's lifetime.
"""

import json

from tests.core.test_production_settings import ROOT, load_settings

GUNICORN_CONFIG = (
    "import json, runpy; c = runpy.run_path('gunicorn.conf.py'); "
    "print(json.dumps({k: c[k] for k in ('workers', 'worker_class', 'threads', 'keepalive')}))"
)


def gunicorn_config(**overrides: str | None) -> dict[str, object]:
    result = load_settings(GUNICORN_CONFIG, **overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gunicorn_ships_two_gthread_workers_of_four_threads_with_keep_alive():
    config = gunicorn_config(WEB_CONCURRENCY=None, GUNICORN_WORKER_CLASS=None, GUNICORN_THREADS=None)
    assert config == {"workers": 2, "worker_class": "gthread", "threads": 4, "keepalive": 5}


def test_gunicorn_reads_workers_and_threads_from_the_environment():
    config = gunicorn_config(WEB_CONCURRENCY="3", GUNICORN_WORKER_CLASS="sync", GUNICORN_THREADS="1")
    assert (config["workers"], config["worker_class"], config["threads"]) == (3, "sync", 1)


def test_gunicorn_refuses_to_start_on_bad_values_naming_each():
    result = load_settings(GUNICORN_CONFIG, WEB_CONCURRENCY="0", GUNICORN_WORKER_CLASS="gevent", GUNICORN_THREADS="x")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in ("WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS"):
        assert name in result.stderr


def test_the_image_and_the_tutor_plugin_start_gunicorn_with_its_configuration_file():
    # gunicorn reads ./gunicorn.conf.py from its working directory (/app) unless told otherwise.
    assert '"--config", "/app/gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
    tutor = ROOT / "deploy/tutor/tutor_credentials_status"
    assert "WORKDIR /app" in (tutor / "templates/credentials_status/build/credentials-status/Dockerfile").read_text()
    assert (
        "GUNICORN_THREADS={{ CREDENTIALS_STATUS_GUNICORN_THREADS }}"
        in (tutor / "templates/credentials_status/apps/config/env").read_text()
    )


DATABASE = (
    "from django.conf import settings; d = settings.DATABASES['default']; "
    "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
)


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    result = load_settings(DATABASE, DATABASE_CONN_MAX_AGE=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["300", "True"]


def test_production_connection_lifetime_can_be_set_to_a_connection_per_request():
    result = load_settings(DATABASE, DATABASE_CONN_MAX_AGE="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "0"


def test_a_worker_sets_the_collector_for_serving_once_the_application_is_ready():
    # A full collection in the middle of a request walked every object Django and the apps had loaded, and
    # young collections walked the answer being built (docs/performance.rst, "Garbage collection" and "eighth
    # pass"); the WSGI module freezes what it loaded and spaces young collections.
    import gc
    import importlib
    import sys

    thresholds = gc.get_threshold()
    gc.unfreeze()
    sys.modules.pop("settings.wsgi", None)
    collections: list[int] = []

    def counted(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    try:
        module = importlib.import_module("settings.wsgi")
        frozen = gc.get_freeze_count()
        assert callable(module.application)
        assert frozen > 50_000, frozen  # Django, DRF and the apps: a few hundred thousand objects
        gc.callbacks.append(counted)
        try:
            answer = [{"run": index} for index in range(4_000)]  # a 30-course status holds about 3,000
        finally:
            gc.callbacks.remove(counted)
        assert len(answer) == 4_000
        assert collections == [], collections  # at Python's default, 5 collections walked it
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        sys.modules.pop("settings.wsgi", None)
