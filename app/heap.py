"""Short full garbage collections in the long-lived processes (the API, the worker).

A full collection walks every object the collector tracks, and in a started process most of
them were made at import and live as long as it does: FastAPI's routes, SQLAlchemy's tables,
pydantic's schemas. In the API a full pass took ~110 ms on 2 cores and held up every request
and every WebSocket viewer meanwhile (seen with `gc.callbacks` as one stalled line in 200 of a
live stream, at a random point). Frozen once the process has started, they are never walked
again; what the process makes afterwards is collected as before. In the worker's main process
the freeze comes before the pool processes are forked, so their collections neither walk nor
write to the pages they share with it.
"""

import gc

_frozen = False


def freeze_what_startup_made() -> None:
    """Once per process: collect startup's garbage, then leave the rest out of every future
    collection (`gc.freeze`)."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
