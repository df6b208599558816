"""The ``exactrelu`` command line: :mod:`.app` (the parser, the top-level error handling and
the commands ``info``, ``eval``, ``regions``, ``check``, ``demo``), one module per further
command family (:mod:`.shallow`, :mod:`.verify`, :mod:`.crosscheck`) and :mod:`.demo`.

``exactrelu = "exactrelu.cli:main"`` is the console script; ``python -m exactrelu.cli`` runs
the same.
"""

from .app import build_parser, main

__all__ = ["main", "build_parser"]
