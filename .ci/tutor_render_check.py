"""Check a Tutor environment rendered with the credentials_status plugin (called by .ci/tutor-render.sh).

Usage: tutor_render_check.py ENV_DIR docs/configuration.rst. Exits non-zero naming every problem.
"""

import json
import sys
from pathlib import Path

import yaml

PLUGIN = "plugins/credentials_status"
SERVICES = ("credentials-status", "credentials-status-worker", "credentials-status-beat", "credentials-status-consumer")


def main(env_dir: Path, documentation: Path) -> list[str]:
    problems: list[str] = []
    checked = 0
    for path in sorted(env_dir.rglob("*")):
        if path.suffix in {".yml", ".yaml"}:
            try:
                list(yaml.safe_load_all(path.read_text()))
            except yaml.YAMLError as exc:
                problems.append(f"{path}: not YAML: {exc}")
            checked += 1
        elif path.suffix == ".py":
            try:
                compile(path.read_text(), str(path), "exec")
            except SyntaxError as exc:
                problems.append(f"{path}: not Python: {exc}")
            checked += 1

    env_file = env_dir / PLUGIN / "apps" / "config" / "env"
    documented = documentation.read_text()
    variables = {}
    for line in env_file.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            variables[name] = value
    problems += [
        f"{env_file}: {name} is not in {documentation}" for name in variables if f"``{name}``" not in documented
    ]
    try:
        keys = json.loads(variables["JWT_PUBLIC_SIGNING_JWK_SET"])["keys"]
        assert keys and keys[0]["n"] and keys[0]["e"]
    except (KeyError, ValueError, AssertionError, IndexError) as exc:
        problems.append(f"{env_file}: JWT_PUBLIC_SIGNING_JWK_SET is not a JWK set ({exc!r})")

    compose = yaml.safe_load((env_dir / "local" / "docker-compose.yml").read_text())
    problems += [f"docker-compose.yml: no service {name}" for name in SERVICES if name not in compose["services"]]
    jobs = yaml.safe_load((env_dir / "local" / "docker-compose.jobs.yml").read_text())
    if "credentials-status-job" not in jobs["services"]:
        problems.append("docker-compose.jobs.yml: no credentials-status-job")
    deployments = {
        d["metadata"]["name"] for d in yaml.safe_load_all((env_dir / "k8s" / "deployments.yml").read_text()) if d
    }
    problems += [f"k8s/deployments.yml: no deployment {name}" for name in SERVICES if name not in deployments]
    lms_settings = (env_dir / "apps" / "openedx" / "settings" / "lms" / "production.py").read_text()
    if "CREDENTIALS_STATUS_URL" not in lms_settings:
        problems.append("LMS settings: the plugin's patch is missing")
    if not (env_dir / PLUGIN / "build" / "credentials-status" / "Dockerfile").exists():
        problems.append("the image's Dockerfile was not rendered")
    print(f"{checked} rendered YAML/Python files parse; {len(variables)} environment variables are documented")
    return problems


if __name__ == "__main__":
    found = main(Path(sys.argv[1]), Path(sys.argv[2]))
    for problem in found:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)
