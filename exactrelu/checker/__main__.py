"""Command line: ``python -m exactrelu.checker CERT [--vnnlib P] [--box B | --domain F] [--quiet] [--json] [--workers N]``.

Exit status: 0 valid, 1 invalid (``invalid: <rule>: <message>``; ``invalid: pinned: ...``
when the certificate is valid but not about the property or domain given), 2 unusable
input (the certificate, or a file or argument given for pinning). The driver is
:func:`exactrelu.checker.checker.run`, given the tables of :mod:`.registry`; ``--vnnlib``,
``--box`` and ``--domain`` are read by the checker's own readers (:mod:`.vnnlib`,
:mod:`.pinning`) before the certificate is checked (``proofs/rules/pinning.md``).
"""

import sys

from . import run

if __name__ == "__main__":
    sys.exit(run())
