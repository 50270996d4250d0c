from django.apps import AppConfig


class CredentialsStatusConfig(AppConfig):
    name = "credentials_status"
    verbose_name = "Learner credentials and status"
