from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Learner privacy: retirement and username replacement"

    def ready(self) -> None:
        from edx_rest_framework_extensions import errors as edx_errors

        from privacy.exceptions import RetirementNotConfigured

        edx_errors.register_error_type(
            RetirementNotConfigured, "retirement-not-configured", "Retirement Not Configured"
        )
