"""The django-stubs mypy plugin, set up so that it sees *this* project's ``settings`` package.

mypy loads this file by path (``plugins`` in pyproject.toml); nothing at runtime imports it.

Why not ``mypy_django_plugin.main`` directly: the plugin sets Django up by importing
``[tool.django-stubs] django_settings_module`` (``settings.test``) and only *appends* the working
directory to ``sys.path``. edx-opaque-keys (every release checked, 2.12.0 to 4.0.0) ships a stray
top-level ``settings`` package (its own test settings, no apps) in its wheel, and site-packages
comes first, so under the ``mypy`` console script the plugin configured Django with no project
apps and no model hook ran (``Model.objects`` and ``<fk>_id`` "missing", ``get_user_model()``
typed ``AbstractBaseUser``). ``python -m mypy`` happened to work: it puts the working directory
first. Putting the project root first before Django is set up makes every way of running mypy see
the same settings.
"""

import sys
from pathlib import Path

from mypy.options import Options
from mypy_django_plugin.main import NewSemanalDjangoPlugin

PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)


class ProjectDjangoPlugin(NewSemanalDjangoPlugin):
    def __init__(self, options: Options) -> None:
        if PROJECT_ROOT in sys.path:
            sys.path.remove(PROJECT_ROOT)
        sys.path.insert(0, PROJECT_ROOT)
        # A ``settings`` imported from elsewhere before this point would shadow ours.
        for name in [name for name in sys.modules if name == "settings" or name.startswith("settings.")]:
            if not (getattr(sys.modules[name], "__file__", None) or "").startswith(PROJECT_ROOT):
                del sys.modules[name]
        super().__init__(options)


def plugin(version: str) -> type[NewSemanalDjangoPlugin]:
    return ProjectDjangoPlugin
