"""App boundaries (ADR 0015): ``make quality`` runs import-linter with ``.importlinter``; a new import of
another app's models, services or selectors (anything but its ``api.py``) fails it."""

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "core",
    "credentials_status",
    "credit",
    "enrollments",
    "events",
    "learner_portal",
    "privacy",
    "programs",
    "support",
]


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (the pinned lint-imports of this virtualenv, fixed arguments)
        [str(Path(sys.executable).with_name("lint-imports")), "--config", str(tree / ".importlinter"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for app in APPS:
        shutil.copytree(ROOT / app, tree / app, ignore=shutil.ignore_patterns("migrations", "templates", "static"))
    shutil.copy(ROOT / ".importlinter", tree / ".importlinter")
    return tree


def test_a_new_cross_app_model_import_breaks_the_contracts(tmp_path):
    tree = _copy(tmp_path)
    assert _lint(tree).returncode == 0, "the tree as committed keeps every contract"
    (tree / "credit" / "boundary_probe.py").write_text("from programs.models import CourseRun  # noqa: F401\n")

    result = _lint(tree)

    assert result.returncode != 0
    assert "credit.boundary_probe -> programs.models" in result.stdout


def test_no_exception_to_the_contracts_is_left():
    """The cross-app ORM reads once listed as known exceptions are selectors of the owning apps now."""
    assert "ignore_imports" not in (ROOT / ".importlinter").read_text()


def test_no_api_hands_out_an_orm_model():
    """An app's ``api.py`` offers functions and plain values: a model re-exported there would let another
    app query the owner's tables through the door the contracts leave open. (``core`` is the shared
    base: its ``User`` is every app's.)"""
    from django.db import models

    handed_out = []
    for app in APPS:
        if app == "core" or not (ROOT / app / "api.py").exists():
            continue
        module = importlib.import_module(f"{app}.api")
        for name in getattr(module, "__all__", dir(module)):
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, models.Model):
                handed_out.append(f"{app}.api.{name}")

    assert handed_out == []
