from django.apps import AppConfig


class LearnerPortalConfig(AppConfig):
    name = "learner_portal"
    verbose_name = "Learner program pages"
