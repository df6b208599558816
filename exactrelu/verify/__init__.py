"""Verification: VNN-LIB properties (:mod:`.property`, with the counterexample searches
:mod:`.attack` and :mod:`.region_descent` and the certified pruning :mod:`.prune`), exact
output bounds (:mod:`.bounds`), equivalence (:mod:`.equivalence`) and lossless compression
(:mod:`.compress`).

``exactrelu.verify`` is both this package and, as before the package existed, the function
:func:`~exactrelu.verify.property.verify`: the module is callable, so
``from exactrelu import verify; verify(net, prop)`` and ``from exactrelu.verify import verify``
both work.
"""

import sys
import types

from .property import EXIT_CODES, VerificationResult, property_certificate, verify


class _CallableModule(types.ModuleType):
    """``exactrelu.verify(net, prop, ...)`` calls :func:`.property.verify`."""

    def __call__(self, *args, **kwargs):
        return verify(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["verify", "property_certificate", "VerificationResult", "EXIT_CODES"]
