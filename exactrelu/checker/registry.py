"""The checker's explicit tables: every claim kind with the function that checks it, every
rule id, the schema of every kind of object, the adjacency, stream and pinning readers
(standard library only).

:mod:`.checker` checks what its driver is given: ``check_certificate(cert, claims=CLAIMS,
stream=STREAM, adjacency=ADJACENCY, schema=SCHEMA)`` (what
:func:`exactrelu.checker.check_certificate` does) checks every claim; ``checker.py``
copied out alone checks ``partition`` certificates without adjacency evidence. Nothing is
registered by importing a module: these tables are the only place the modules are put
together.

>>> sorted(CLAIMS)
['bounds', 'counterexample', 'equivalence', 'lattice', 'partition', 'property']
>>> RULES[:3]
('network-hash', 'domain-witness', 'tree-structure')
"""

from __future__ import annotations

from typing import Callable

from . import checker, stream
from .claims import adjacency, lattice, outputs, prune
from .pinning import PinRequest

__all__ = ["CLAIMS", "RULES", "STREAM", "PINNING", "ADJACENCY", "SCHEMA"]

#: claim kind -> the function checking a prepared certificate of that claim
CLAIMS: dict[str, Callable[[checker.Context], dict]] = {
    "partition": checker.check_partition,
    "equivalence": outputs.check_equivalence,
    "bounds": outputs.check_bounds,
    "property": outputs.check_property,
    "counterexample": outputs.check_counterexample,
    "lattice": lattice.check_lattice,
}
#: every rule id a rejection can name (``invalid: <rule>: ...``)
RULES: tuple[str, ...] = (checker.RULES + adjacency.ADJACENCY_RULES + outputs.OUTPUT_RULES + prune.PRUNE_RULES
                          + lattice.LATTICE_RULES)
#: the reader of stream-form certificates (``check_certificate``'s ``stream``)
STREAM = stream.prepare_stream
#: the reader of the command line's ``--vnnlib/--box/--domain`` (``__main__.run``)
PINNING = PinRequest
#: the checker of adjacency evidence (``check_certificate``'s ``adjacency``)
ADJACENCY = adjacency
#: the fields of every kind of object: the core's and those the modules declare
SCHEMA: dict[str, frozenset] = {**checker.SCHEMA, **stream.SCHEMA, **adjacency.SCHEMA, **outputs.SCHEMA,
                                 **prune.SCHEMA, **lattice.SCHEMA}
