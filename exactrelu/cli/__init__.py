"""The ``exactrelu`` command line.

:mod:`.app` builds the parser from the command modules and runs :func:`main`; one module
per command (family): :mod:`.info`, :mod:`.eval`, :mod:`.regions`, :mod:`.check`,
:mod:`.demo`, :mod:`.shallow`, :mod:`.verify` (``bounds``, ``verify``, ``equiv``,
``compress``) and :mod:`.crosscheck` (``crosscheck``, ``recheck``), each with
``register(subparsers)``; :mod:`.common` holds what they share (one-line errors, argument
types and groups, loading the model and the domain, the error handling of a run).

``exactrelu = "exactrelu.cli:main"`` is the console script; ``python -m exactrelu.cli`` runs
the same.
"""

from .app import build_parser, main

__all__ = ["main", "build_parser"]
