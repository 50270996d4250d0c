#!/usr/bin/env bash
# The translation pipeline: makemessages then compilemessages. Fails when locale/ is out of date with
# the marked strings (a string added or changed without `make messages`) or a catalog does not compile.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=settings.test
PYTHON=.venv/bin/python

for po in locale/*/LC_MESSAGES/django.po; do
  cp "$po" "$po.before"
done
make messages
stale=0
for po in locale/*/LC_MESSAGES/django.po; do
  # The creation date changes at every run; anything else is a change of the catalog.
  if ! diff -u -I '^"POT-Creation-Date: ' "$po.before" "$po"; then
    echo "$po is out of date: run 'make messages', translate the new entries and commit." >&2
    stale=1
  fi
  mv "$po.before" "$po"
  msgfmt --check --statistics -o /dev/null "$po"
done
$PYTHON manage.py compilemessages --ignore '.venv/*'
exit "$stale"
