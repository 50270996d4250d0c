"""What a long-running process does once it has loaded the service, before it serves.

``loaded_objects_freeze()``: everything a process has loaded by then (Django, the apps, their modules,
URL patterns, serializers, translation catalogs) lives as long as the process. CPython's cyclic garbage
collector nonetheless walks all of it at every full collection, and an answer that builds many objects
(a bulk status of 10,000 items, a 30-course program) triggers such collections mid-request: on
``bulk_learner_cert_status`` 1,000 x 10 they were a third of the request's time, and the 70-90 ms
outliers of the status benchmarks were full collections (issue 17; docs/performance.rst, "Garbage
collection"). ``gc.freeze()`` moves what exists into a permanent generation the collector skips; objects
made afterwards are collected as before. settings/wsgi.py calls it when a gunicorn worker has loaded the
application; the benchmarks call it after their setup, the same point in their process.
"""

import gc


def loaded_objects_freeze() -> int:
    """Collect what is already garbage, then freeze the rest; the number of objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
