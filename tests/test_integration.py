"""Leaky integration of events (evface.events.integration) at the edges of its ranges."""

from __future__ import annotations

import warnings

from evface.events.core import empty_events, make_events
from evface.events.integration import leaky_counts


def test_a_leak_past_the_float_range_weighs_old_events_zero_without_a_warning():
    """Was: "RuntimeWarning: overflow encountered in multiply" for alpha_rad_s=1e300 over 2^63 µs
    (an error where warnings are), though the weights, exp(-inf) = 0, were right."""
    ev = make_events([-(2**63), 0, 2**63 - 1], [0, 0, 0], [0, 0, 0], [1, 1, -1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = leaky_counts(ev, (1, 1), -(2**63), 2**63 - 1, 1e300)
    assert out.ravel().tolist() == [0.0, 1.0]


def test_no_events_and_a_one_pixel_sensor():
    assert leaky_counts(empty_events(), (1, 1), 0, 10, 1.0).tolist() == [[[0.0]], [[0.0]]]
    assert leaky_counts(make_events([5], [0], [0], [-1]), (1, 1), 5, 5, 1e6).tolist() == [[[0.0]], [[1.0]]]
