#!/usr/bin/env bash
# Start the machine's PostgreSQL and Redis when they are down, and install what the browser test
# needs (Debian chromium). Idempotent; prints what it did.
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  sleep 1
fi

# The support console's browser test drives Debian's Chromium through Playwright's Python package.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# makemessages and compilemessages need GNU gettext (xgettext, msgmerge, msgfmt).
if ! command -v msgfmt >/dev/null || ! command -v xgettext >/dev/null; then
  echo "installing gettext"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext
fi

if ! mysqladmin -h 127.0.0.1 -u root ping --silent 2>/dev/null; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 30); do mysqladmin -h 127.0.0.1 -u root ping --silent 2>/dev/null && break; sleep 1; done
fi
mysql -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS credentials_status_ci CHARACTER SET utf8mb4"
