#!/usr/bin/env bash
# CI: the Tutor plugin (deploy/tutor) installs with pip, enables and renders with Tutor 22; every
# rendered YAML and Python file parses, the service's environment names are the documented ones and
# settings.production and gunicorn.conf.py load with that environment. No Docker needed. TUTOR_VENV reuses a virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
VENV=${TUTOR_VENV:-$WORK/venv}
if [ ! -x "$VENV/bin/tutor" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "tutor==22.0.3"
fi
cp -r deploy/tutor "$WORK/plugin"  # builds outside the checkout
"$VENV/bin/pip" install --quiet --force-reinstall --no-deps "$WORK/plugin"
export TUTOR_ROOT="$WORK/root" TUTOR_PLUGINS_ROOT="$WORK/plugins"
"$VENV/bin/tutor" plugins enable credentials_status
"$VENV/bin/tutor" config save
"$VENV/bin/python" .ci/tutor_render_check.py "$TUTOR_ROOT/env" docs/configuration.rst
# The rendered environment satisfies the service's own checks (settings/env.py).
env -i PATH="$PATH" HOME="$HOME" PYTHONPATH="$PWD" \
    $(grep -v '^#' "$TUTOR_ROOT/env/plugins/credentials_status/apps/config/env" | grep -v '^JWT_PUBLIC_SIGNING_JWK_SET=' | xargs) \
    JWT_PUBLIC_SIGNING_JWK_SET="$(grep '^JWT_PUBLIC_SIGNING_JWK_SET=' "$TUTOR_ROOT/env/plugins/credentials_status/apps/config/env" | cut -d= -f2-)" \
    "${PYTHON:-.venv/bin/python}" -c "import django, runpy; django.setup(); runpy.run_path('gunicorn.conf.py'); print('settings.production and gunicorn.conf.py load with the rendered environment')"
"$VENV/bin/pip" uninstall --quiet --yes tutor-contrib-credentials-status
