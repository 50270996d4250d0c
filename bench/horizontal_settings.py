"""Settings of ``bench/horizontal.py``'s Celery workers: ``settings.local`` with a real broker.

Mail goes to files in ``BENCH_EMAIL_DIR``, so the notification tasks do their whole
work, rendering and writing included, without a mail server; the benchmark's tasks go to a queue of
their own, so a worker of anything else on the same RabbitMQ never takes them.
"""

import os

from settings.local import *  # noqa: F403

DEBUG = False  # DEBUG keeps every query in memory: a worker running thousands of tasks would grow
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["BENCH_EMAIL_DIR"]  # set by bench/horizontal.py
CELERY_TASK_DEFAULT_QUEUE = "bench-horizontal"
CELERY_TASK_ALWAYS_EAGER = False
# As settings.production: persistent, health-checked database connections (a worker keeps its own
# between tasks unless --reconnect).
DATABASES["default"]["CONN_MAX_AGE"] = 300  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
# bench/horizontal.py --reconnect: Celery's default, a new connection for every task.
if os.environ.get("BENCH_RECONNECT") == "1":
    CELERY_DB_REUSE_MAX = None
