"""The newer-wins rule every writer of a learner record applies (docs/decisions/0011).

A pure function over plain values: the services call it with the stored record's ``source_time``
and the time of the change they are asked to apply.
"""

from datetime import datetime


def change_is_stale(*, stored_time: datetime | None, incoming_time: datetime) -> bool:
    """True when the stored state was made by a strictly later change than the incoming one.

    A record with no stored time (written before times were kept) takes any change; a change
    made at the same moment as the stored one is applied (the later arrival wins a tie).
    """
    return stored_time is not None and incoming_time < stored_time
