from django.apps import AppConfig


class ScaleConfig(AppConfig):
    """Synthetic data sets for measuring growth (docs/scaling.rst); no models of its own."""

    name = "scale"
    verbose_name = "Scale data sets"
