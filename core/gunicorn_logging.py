"""Gunicorn's own logs as JSON lines, like every other process of the service.

``gunicorn.conf.py`` names ``GunicornLogger`` as gunicorn's ``logger_class``: the master and the
workers then write their error log and the access log with ``core.logging.json_formatter``
(ISO-8601 UTC ``time``). An access line holds the method, the path without its query string
(query strings may carry usernames or emails), the status, the bytes sent, the duration and the
request id the service answered with.
"""

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from core.logging import json_formatter
from core.request_id import REQUEST_ID_HEADER


class GunicornLogger(Logger):
    """Gunicorn's logger with JSON output and an access log that leaves query strings out."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(json_formatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((value for name, value in headers if name.lower() == REQUEST_ID_HEADER.lower()), None)
        self.access_log.info(
            "request",
            extra={
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "status": int(status) if str(status).isdigit() else status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "request_id": request_id,
            },
        )
