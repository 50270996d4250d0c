"""gunicorn settings for the image (``gunicorn --config gunicorn.conf.py``, read from /app by default).

Request-size limits: gunicorn refuses what exceeds them before Django runs, with its own HTML 414 or
431 page. They sit above the limits Django answers in JSON (``core.middleware.RequestSizeLimitMiddleware``:
a query string over ``MAX_QUERY_STRING_BYTES``, a header over ``MAX_REQUEST_HEADER_BYTES``), so an API
client gets the JSON error in every case but grossly oversized requests. Documented in
docs/configuration.rst ("Request size limits").

The access log leaves out the query string and the ``Referer``: either can carry a learner's email
address (``?username=``, a search page's URL), and gunicorn's default format logs both (``%(r)s``,
``%(f)s``). It keeps the method, the path, the status and the size.
"""

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
