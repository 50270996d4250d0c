from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: users and roles"

    def ready(self) -> None:
        # backends connects the login-failure receivers; schema registers the JWT security scheme.
        from core import backends, errors, schema  # noqa: F401

        errors.register_error_types()
