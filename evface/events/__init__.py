"""Events in memory: the data model, operations, representations and transforms (files: :mod:`evface.io`)."""

from evface.events.core import (
    EVENT_DTYPE,
    SensorSize,
    concatenate,
    empty_events,
    make_events,
    slice_time,
    validate_events,
)

__all__ = ["EVENT_DTYPE", "SensorSize", "concatenate", "empty_events", "make_events", "slice_time", "validate_events"]
