"""gunicorn settings for the image (``gunicorn --config gunicorn.conf.py``, read from /app by default).

Request-size limits: gunicorn refuses what exceeds them before Django runs (414, 431, 400 for a
malformed request). Its answer is made JSON here (``_json_error_writer``, installed over gunicorn's HTML
page writer) in the error envelope the service uses everywhere, without echoing the request. The limits
sit above the ones Django answers with a detailed JSON error (``core.middleware.RequestSizeLimitMiddleware``:
a query string over ``MAX_QUERY_STRING_BYTES``, a header over ``MAX_REQUEST_HEADER_BYTES``), which names
the header and the limit; gunicorn's JSON says only which limit was exceeded. Documented in
docs/configuration.rst ("Request size limits").

The access log leaves out the query string and the ``Referer``: either can carry a learner's email
address (``?username=``, a search page's URL), and gunicorn's default format logs both (``%(r)s``,
``%(f)s``). It keeps the method, the path, the status and the size.
"""

from settings.env import env_int, env_str, problem, raise_problems

# Workers (docs/performance.rst, "HTTP"; docs/configuration.rst, "Web server"). Python runs one request
# at a time per process, so processes bring the parallelism: WEB_CONCURRENCY of them, one per core.
# Threads let a worker keep connections alive and overlap its database and Redis round trips; each
# thread holds its own database connection (DATABASE_CONN_MAX_AGE), so a web container opens up to
# WEB_CONCURRENCY x GUNICORN_THREADS of them.
workers = env_int("WEB_CONCURRENCY", 2, min_value=1)
worker_class = env_str("GUNICORN_WORKER_CLASS", "gthread")
if worker_class not in ("gthread", "sync"):
    problem("GUNICORN_WORKER_CLASS", f"must be 'gthread' or 'sync', not {worker_class!r}")
threads = env_int("GUNICORN_THREADS", 4, min_value=1)
# Seconds an idle client connection stays open (gthread): the proxy in front reuses it.
keepalive = env_int("GUNICORN_KEEPALIVE", 5, min_value=0)
raise_problems()

# The request line (method, path, query string, protocol): 8190 is gunicorn's maximum.
limit_request_line = 8190
# Header lines ("Name: value") and how many: a JWT or a shared-domain Cookie header fits; the header
# buffer a worker may hold stays at about gunicorn's default (50 x 16 KB instead of 100 x 8 KB).
limit_request_field_size = 16380
limit_request_fields = 50

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
# Logging: the master and workers write JSON lines (core.gunicorn_logging). Its access lines hold the
# same fields as access_log_format above (no query string, no Referer) plus the duration and the
# request id; access_log_format applies when another logger_class is configured.
logger_class = "core.gunicorn_logging.GunicornLogger"
accesslog = "-"


def _json_error_writer(util):  # type: ignore[no-untyped-def]
    """A replacement for ``util.write_error`` (gunicorn's HTML error page) that answers the service's JSON.

    gunicorn calls ``write_error(sock, status_int, reason, mesg)`` for requests it refuses before the
    application runs. The body has the fields of ``core.errors.error_body``; its detail is fixed per
    status and never repeats ``mesg``, which can quote the request line (and a query string with it).
    """
    import json

    details = {
        414: ("uri-too-long", f"The request line is longer than this server accepts ({limit_request_line} bytes)."),
        431: (
            "request-header-fields-too-large",
            "A header or the number of headers exceeds what this server accepts "
            f"({limit_request_field_size} bytes per header line, {limit_request_fields} headers).",
        ),
    }

    def write_error(sock, status_int, reason, mesg):  # type: ignore[no-untyped-def]
        code, detail = details.get(status_int, ("bad-request" if status_int < 500 else "server-error", reason + "."))
        body = json.dumps(
            {
                "type": "https://docs.openedx.org/errors/" + code,
                "code": code,
                "title": reason,
                "status": status_int,
                "detail": detail,
            }
        ).encode()
        head = "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        util.write_nonblock(sock, (head % (status_int, reason, len(body))).encode("latin-1") + body)

    return write_error


try:
    import gunicorn.util
except ImportError:  # read by the tests, where gunicorn is not installed
    pass
else:
    gunicorn.util.write_error = _json_error_writer(gunicorn.util)
