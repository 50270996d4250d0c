"""What a long-running process does once it has loaded the service, before it serves.

``collector_set_for_serving()`` sets CPython's cyclic garbage collector for a process that answers
requests, in two ways:

- Everything the process has loaded by then (Django, the apps, their modules, URL patterns, serializers,
  translation catalogs) lives as long as the process, yet the collector walked all of it at every full
  collection, and an answer that builds many objects (a bulk status of 10,000 items, a 30-course program)
  triggered such collections mid-request: on ``bulk_learner_cert_status`` 1,000 x 10 they were a third of the
  request's time, and the 70-90 ms outliers of the status benchmarks were full collections (issue 17;
  docs/performance.rst, "Garbage collection"). ``gc.freeze()`` moves what exists into a permanent generation
  the collector skips; objects made afterwards are collected as before.
- A young collection runs once ``YOUNG_COLLECTION_AFTER`` more container objects are alive than at the last
  one (CPython's default is 700). An answer's objects are alive until it is sent: a 100-course program
  status builds about 10,000, so at 700 the collector walked them a dozen times per request and moved them
  to older generations, for nothing (they are freed by their reference counts once the answer is sent).
  Higher is not better: what a young collection finds is mostly the garbage cycles small requests leave
  (about 140 objects per ``learner_cert_status`` call, Django's and DRF's own), and past a few thousand
  they are no longer in the processor's cache when it walks them. At 50,000 each collection took 50-65 ms
  and the HTTP p99 of ``learner_cert_status`` went from 33 to 60-111 ms; at 5,000 a collection takes
  1.4-2.2 ms, as much collector time per small request as at 700, and the 100-course status keeps most of
  the gain (96.8 -> 93.4 M instructions per call; docs/performance.rst, "eighth pass").

settings/wsgi.py calls it when a gunicorn worker has loaded the application; the benchmarks call it after
their setup, the same point in their process.
"""

import gc

YOUNG_COLLECTION_AFTER = 5_000


def collector_set_for_serving() -> int:
    """Collect what is already garbage, freeze the rest, space young collections; the number of objects frozen."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, *gc.get_threshold()[1:])
    return gc.get_freeze_count()
