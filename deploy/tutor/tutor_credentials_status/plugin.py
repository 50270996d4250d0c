"""The credentials_status Tutor plugin: configuration, image, init tasks, services and patches.

Settings are ``CREDENTIALS_STATUS_*`` Tutor values; ``templates/credentials_status/apps/config/env``
turns them into the service's environment variables (docs/configuration.rst), shared by every
process through ``env_file`` (Compose) or a ConfigMap (Kubernetes).
"""

from __future__ import annotations

from pathlib import Path

from tutor import hooks

HERE = Path(__file__).parent

CONFIG_DEFAULTS: dict[str, object] = {
    "VERSION": "main",
    # Where the image build fetches the code; or `tutor mounts add /path/to/credentials-status`.
    "REPOSITORY": "https://github.com/openedx/credentials-status.git",
    "DOCKER_IMAGE": "{{ DOCKER_REGISTRY }}credentials-status:{{ CREDENTIALS_STATUS_VERSION }}",
    "HOST": "credentials-status.{{ LMS_HOST }}",
    # gunicorn.conf.py's defaults: gthread workers, one per core (docs/configuration.rst, "Web server").
    "GUNICORN_WORKERS": 2,
    "GUNICORN_THREADS": 4,
    "MYSQL_DATABASE": "credentials_status",
    "MYSQL_USERNAME": "credentials_status",
    "REDIS_CACHE_DB": 5,
    "REDIS_BROKER_DB": 6,
    "OAUTH2_CLIENT_ID": "credentials-status",
    # The LMS user the service's OAuth2 client acts as (enrollment and account APIs).
    "LMS_SERVICE_USERNAME": "credentials_status_worker",
    # Service accounts created here: the retirement pipeline's and a read-only status reader.
    "RETIREMENT_USERNAME": "retirement_service_worker",
    "STATUS_READER_USERNAME": "credentials_status_reader",
    "ENROLLMENT_BACKEND": "lms",
    "PROGRAM_SYNC_INTERVAL_MINUTES": 60,
    "LOG_LEVEL": "INFO",
    "OPENEDX_TELEMETRY": "",
}
CONFIG_UNIQUE: dict[str, str] = {
    "SECRET_KEY": "{{ 32|random_string }}",
    "MYSQL_PASSWORD": "{{ 16|random_string }}",
    "OAUTH2_CLIENT_SECRET": "{{ 32|random_string }}",
}

hooks.Filters.CONFIG_DEFAULTS.add_items(
    [(f"CREDENTIALS_STATUS_{key}", value) for key, value in CONFIG_DEFAULTS.items()]
)
hooks.Filters.CONFIG_UNIQUE.add_items([(f"CREDENTIALS_STATUS_{key}", value) for key, value in CONFIG_UNIQUE.items()])

# Templates: rendered under env/plugins/credentials_status/{build,apps}.
hooks.Filters.ENV_TEMPLATE_ROOTS.add_item(str(HERE / "templates"))
hooks.Filters.ENV_TEMPLATE_TARGETS.add_items(
    [("credentials_status/build", "plugins"), ("credentials_status/apps", "plugins")]
)

# Image.
_IMAGE = ("credentials-status", "{{ CREDENTIALS_STATUS_DOCKER_IMAGE }}")
hooks.Filters.IMAGES_BUILD.add_item(
    (_IMAGE[0], ("plugins", "credentials_status", "build", "credentials-status"), _IMAGE[1], ())
)
hooks.Filters.IMAGES_PULL.add_item(_IMAGE)


@hooks.Filters.IMAGES_BUILD_MOUNTS.add()
def _build_from_a_checkout(mounts: list[tuple[str, str]], path: str) -> list[tuple[str, str]]:
    """`tutor mounts add /path/to/credentials-status` builds the image from that checkout."""
    if Path(path).name == "credentials-status":
        mounts.append(("credentials-status", "credentials-status-code"))
    return mounts


hooks.Filters.IMAGES_PUSH.add_item(_IMAGE)

# Init tasks, in order: the database, the LMS side (service user and OAuth2 client), then the service.
for service in ("mysql", "lms", "credentials-status"):
    task = (HERE / "templates" / "credentials_status" / "tasks" / f"{service}.sh").read_text()
    hooks.Filters.CLI_DO_INIT_TASKS.add_item((service, task))

# Patches: one file per patch name.
for patch in sorted((HERE / "patches").iterdir()):
    hooks.Filters.ENV_PATCHES.add_item((patch.name, patch.read_text()))
