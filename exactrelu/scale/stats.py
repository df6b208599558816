"""Counters of pruning and verification runs, as dataclasses with explicit units.

Fields ending in ``_seconds`` are wall-clock seconds (float); every other field is a count.
Each class also reads like the dict it replaces (``stats["pruned"]``, ``stats.get(key, 0)``,
``key in stats``; a field that is None is absent) and :meth:`Counters.to_dict` gives that dict.

Examples
--------
>>> st = VerificationStats(regions=3, nodes=5)
>>> st["regions"], "prune_attempts" in st, st.get("prune_seconds", 0)
(3, False, 0)
>>> st.add({"regions": 2, "prune_attempts": 4}); st.to_dict()
{'regions': 5, 'pruned': 0, 'nodes': 5, 'prune_attempts': 4}
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Iterator, Mapping

__all__ = ["Counters", "PrunerStats", "VerificationStats"]


class Counters:
    """Dict-style read access to a dataclass of counters (fields that are None are absent)."""

    def to_dict(self) -> dict[str, Any]:
        """The fields that are not None, in declaration order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, None) if key in self._names() else None
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        """The field ``key``, or ``default`` if it is absent."""
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._names() and getattr(self, key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def keys(self) -> list[str]:
        """The present fields' names."""
        return list(self.to_dict())

    def add(self, other: "Mapping[str, Any] | Counters") -> None:
        """Add the present counters of ``other`` (an absent field becomes present)."""
        for key in other.keys():
            if key in self._names():
                mine = getattr(self, key)
                setattr(self, key, other[key] if mine is None else mine + other[key])

    def _names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))


@dataclass
class PrunerStats(Counters):
    """Counters of one :class:`~exactrelu.verify.prune.Pruner`.

    Attributes
    ----------
    unit_choices : cells not pruned for which the pruner chose the unit to split
    attempts : cells offered to the pruner
    proposed : cells for which the float side proposed a relaxation
    pruned : proposals confirmed exactly (evidence returned)
    failed_exact : proposals the exact side rejected
    seconds : time in the pruner
    exact_seconds : of which in the exact confirmation
    """

    unit_choices: int = 0
    attempts: int = 0
    proposed: int = 0
    pruned: int = 0
    failed_exact: int = 0
    seconds: float = 0.0
    exact_seconds: float = 0.0


@dataclass
class VerificationStats(Counters):
    """Counters of a verification (``VerificationResult.stats``), summed over input regions.

    Attributes
    ----------
    regions : linear regions walked
    pruned : cells pruned by the relaxation
    nodes : splitting-tree nodes
    prune_attempts, prune_seconds : pruning attempts and their time (None: no pruner ran)
    busy_seconds, replay_seconds : parallel workers' time in tasks and in replaying paths
    tasks : parallel tasks run (None: a serial walk)
    """

    regions: int = 0
    pruned: int = 0
    nodes: int = 0
    prune_attempts: int | None = None
    prune_seconds: float | None = None
    busy_seconds: float | None = None
    replay_seconds: float | None = None
    tasks: int | None = None
