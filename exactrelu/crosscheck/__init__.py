"""Cross-checking floating-point implementations against the exact network (:mod:`.crosscheck`) and readable reports (:mod:`.report`).

The names of the stage's main module are re-exported here.
"""

from .crosscheck import (STRATEGIES, BACKENDS, FloatBackend, NumpyBackend, OnnxRuntimeBackend, TorchBackend,
                         make_backend, Flip, StrategyStats, CrossCheckReport, crosscheck, RecheckResult,
                         recheck_counterexample, sliver_network)

__all__ = ['STRATEGIES', 'BACKENDS', 'FloatBackend', 'NumpyBackend', 'OnnxRuntimeBackend', 'TorchBackend',
           'make_backend', 'Flip', 'StrategyStats', 'CrossCheckReport', 'crosscheck', 'RecheckResult',
           'recheck_counterexample', 'sliver_network']
