"""Entropy units for display: the library works in nats; a chart, slider or legend may show bits.

One switch (state.unit) picks the unit for every page; these helpers convert and label.

>>> to_unit(math.log(2), "bits"), fmt_entropy(1.335442066192627, "nats")
(1.0, '1.335 nats')
"""

from __future__ import annotations

import math

NATS_PER_BIT = math.log(2)
UNIT_SCALE = {"nats": 1.0, "bits": 1.0 / NATS_PER_BIT}  # multiply nats by this to get the unit


def to_unit(nats, unit: str):
    """Nats (a number or a numpy array) in `unit`."""
    return nats * UNIT_SCALE[unit]


def from_unit(value: float, unit: str) -> float:
    """A value shown in `unit` back in nats (what the library expects).

    >>> from_unit(1.0, "bits") == math.log(2)
    True
    """
    return value / UNIT_SCALE[unit]


def fmt_entropy(nats: float, unit: str, digits: int = 3) -> str:
    """'1.335 nats' / '1.927 bits'."""
    return f"{to_unit(nats, unit):.{digits}f} {unit}"
