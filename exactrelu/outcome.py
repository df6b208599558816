"""Outcomes shared by the stages: a verification's :class:`Verdict` and why a walk stopped
(:class:`StopReason`).

Both are ``str`` enums: a member equals, hashes, prints, shows (``repr``) and serialises to
JSON as its value, so output and comparisons with the plain strings are unchanged.

Examples
--------
>>> import json
>>> Verdict.HOLDS == "holds", f"stopped by {StopReason.TIME_LIMIT}", json.dumps([Verdict.UNKNOWN])
(True, 'stopped by time_limit', '["unknown"]')
>>> Verdict("violated") is Verdict.VIOLATED, (Verdict.HOLDS, StopReason.STOP)
(True, ('holds', 'stop'))
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Verdict", "StopReason"]


class Verdict(str, Enum):
    """The answer of :func:`exactrelu.verify.property.verify`."""

    HOLDS = "holds"  # certified: no input meets a disjunct
    VIOLATED = "violated"  # an exactly confirmed counterexample
    UNKNOWN = "unknown"  # a limit stopped the search, or a candidate failed the exact re-check

    __str__ = str.__str__
    __format__ = str.__format__
    __repr__ = str.__repr__


class StopReason(str, Enum):
    """Why a walk stopped before it was complete."""

    TIME_LIMIT = "time_limit"
    MAX_REGIONS = "max_regions"
    INTERRUPTED = "interrupted"  # SIGINT / SIGTERM
    STOP = "stop"  # a leaf hook asked the whole walk to stop (e.g. a counterexample)

    __str__ = str.__str__
    __format__ = str.__format__
    __repr__ = str.__repr__
