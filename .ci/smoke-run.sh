#!/usr/bin/env bash
# The README's first command as a new user runs it: `make run` (SQLite, in-process Celery, demo data)
# serves, and the README's two curls with a dev JWT get the demo learners' answers.
set -euo pipefail
cd "$(dirname "$0")/.."
port=8765
base="http://127.0.0.1:$port"
log=$(mktemp)

setsid make run PORT=$port >"$log" 2>&1 &
server=$!
trap 'kill -- -$server 2>/dev/null; sleep 1; kill -9 -- -$server 2>/dev/null || true' EXIT

for _ in $(seq 1 180); do
  curl -sf "$base/health/" >/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$log"; echo "make run exited"; exit 1; }
  sleep 1
done
curl -sf "$base/health/" >/dev/null || { cat "$log"; echo "make run did not serve within 180 s"; exit 1; }

token=$(.venv/bin/python manage.py create_dev_jwt support)
status=$(curl -s -X POST "$base/api/credentials/v1/learner_cert_status/" \
  -H "Authorization: JWT $token" -H 'Content-Type: application/json' \
  -d '{"username": "demo", "course_runs": ["course-v1:edX+DemoX+1T2024"]}')
program=$(curl -s -X POST "$base/api/credentials/v1/learner_program_status/" \
  -H "Authorization: JWT $token" -H 'Content-Type: application/json' \
  -d '{"username": "sam", "program_uuid": "5b1f2c3d-0000-4000-8000-00000000d3e0"}')

.venv/bin/python - "$status" "$program" <<'PY'
import json, sys

status, program = (json.loads(arg) for arg in sys.argv[1:])
assert status["username"] == "demo", status
assert [(i["course_run"]["key"], i["status"]) for i in status["status"]] == [
    ("course-v1:edX+DemoX+1T2024", "awarded")
], status
assert program["is_complete"] is False, program
assert [w["code"] for w in program["warnings"]] == ["completed_excluded_run"], program
assert program["warnings"][0]["course_run_key"] == "course-v1:edX+DemoX+2T2023", program
print("make run serves: the README's curls answer demo (awarded) and sam (completed_excluded_run)")
PY
