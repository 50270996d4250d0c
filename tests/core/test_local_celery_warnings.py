"""``make run`` (settings.local, no CELERY_BROKER_URL): queuing a task prints no kombu warning."""

import os
import subprocess
import sys
from pathlib import Path

SNIPPET = """
import warnings
warnings.simplefilter("always")
import django
django.setup()
from settings.celery import app
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    with app.producer_or_acquire() as producer:  # what queuing a task takes, as every .delay() of make run
        producer.publish({"probe": 1}, routing_key="probe")
for warning in caught:
    print("WARNING:", warning.category.__name__, warning.message)
print("broker:", app.conf.broker_url)
"""


def test_local_settings_queue_a_task_without_the_no_hostname_warning():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_URL", "CACHE_URL"))}
    env["DJANGO_SETTINGS_MODULE"] = "settings.local"
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", SNIPPET],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "broker: memory://" in result.stdout
    assert "No hostname was supplied" not in output
    assert "WARNING:" not in result.stdout, output
