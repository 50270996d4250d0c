"""App boundaries (ADR 0015): ``make quality`` runs import-linter with ``.importlinter``; a new import of
another app's models, services or selectors (anything but its ``api.py``) fails it."""

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
