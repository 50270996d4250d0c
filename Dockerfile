# credentials-status: production image.
#   docker build -t credentials-status .
#   docker run -p 8000:8000 -e SECRET_KEY=... -e ALLOWED_HOSTS=credentials.example.com \
#     -e JWT_SECRET_KEY=... -e JWT_ISSUER=... -e JWT_AUDIENCE=... -e DATABASE_URL=postgres://... credentials-status
# DATABASE_URL should name PostgreSQL or MySQL: /app is read-only to the service user, so the
# SQLite default cannot be written. Migrations are a deploy step, not a start step:
#   docker run --rm -e ... credentials-status python manage.py migrate --noinput
# WEB_CONCURRENCY sets the number of gunicorn workers (gunicorn reads it natively).

# --- builder: the pinned runtime requirements in a virtualenv ----------------------------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
COPY requirements/production.txt /tmp/requirements/production.txt
# Every pinned package ships a wheel for this platform (psycopg[binary], cryptography, ...):
# no compiler in either stage.
RUN /opt/venv/bin/pip install --requirement /tmp/requirements/production.txt

# --- runtime: the virtualenv, the code, collected static files; runs unprivileged --------------
FROM python:3.11-slim AS runtime

# PYTHONPATH puts the project root first on sys.path: edx-opaque-keys installs a stray top-level
# `settings` package into site-packages, which would otherwise shadow ours outside manage.py.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=settings.production \
    WEB_CONCURRENCY=2

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root . /app

# Static files (admin, API docs) are served by WhiteNoise from STATIC_ROOT (/app/staticfiles).
# settings.production requires these variables; the values exist only for this build step (the JWT
# secret is random: production refuses published or short ones).
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost CACHE_URL=redis://localhost:6379/0 \
    JWT_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    JWT_ISSUER=collectstatic-only JWT_AUDIENCE=collectstatic-only \
    DATABASE_URL=postgres://collectstatic-only@localhost/unused \
    python manage.py collectstatic --noinput --verbosity 0

USER app:app
EXPOSE 8000

# /health/ answers 200 when the database answers. Django checks the Host header against
# ALLOWED_HOSTS, so the probe sends the first concrete allowed host.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as r; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',') if h.strip() and '*' not in h]; req = r.Request('http://127.0.0.1:8000/health/', headers={'Host': hosts[0] if hosts else 'localhost'}); sys.exit(0 if r.urlopen(req, timeout=4).status == 200 else 1)"]

# gunicorn.conf.py: request-line and header limits (docs/configuration.rst, "Request size limits").
CMD ["gunicorn", "settings.wsgi:application", \
     "--config", "/app/gunicorn.conf.py", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--no-control-socket", \
     "--timeout", "60"]
