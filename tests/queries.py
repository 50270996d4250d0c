"""Counting queries in tests: what per-row query checks count."""

import re

_HISTORY_INSERT = re.compile(r"\s*INSERT INTO [`\"]?\w+_historical\w*[`\"]?", re.IGNORECASE)


def queries_but_history_inserts(queries: list[dict]) -> int:
    """Queries of a CaptureQueriesContext, less the INSERTs of history rows.

    Bulk writers add one history INSERT per batch they write; SQLite splits each at 999 bound
    parameters, so on SQLite their number follows the rows written. Query-count tests that look for
    per-row queries count the rest (tests/core/test_history.py checks the history rows themselves).
    """
    return sum(1 for query in queries if not _HISTORY_INSERT.match(query["sql"]))
