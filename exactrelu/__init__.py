"""exactrelu: exact analysis of ReLU networks with certificates.

The package is laid out as its pipeline (``ARCHITECTURE.md``): ``numbers`` (exact numbers,
the LP adapter) → ``model`` (the network) → ``io`` (loaders) → ``domain`` (polytopes,
VNN-LIB properties) → ``regions`` (the certified splitting tree) → ``graph`` (adjacency)
→ ``certificate`` → ``scale`` (parallel walks) → ``verify`` → ``shallow`` →
``crosscheck`` → ``plot`` → ``cli``; ``checker`` is the independent, standard-library-only
certificate checker and imports nothing from the rest.

The main entry points are re-exported here and imported on first use, so that
``import exactrelu.checker`` (and ``python -m exactrelu.checker``) loads the checker only.

Examples
--------
>>> import exactrelu
>>> net = exactrelu.mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])   # |x|
>>> len(exactrelu.enumerate_regions(net, exactrelu.box([-1], [1])).regions)
2
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_API = {
    "ExactReluError": "errors",
    "Network": "model.network", "NetworkBuilder": "model.network", "mlp": "model.network",
    "residual_block": "model.network",
    "evaluate": "model.evaluation", "evaluate_batch": "model.evaluation", "evaluate_float": "model.evaluation",
    "activation_pattern": "model.evaluation", "affine_map": "model.evaluation",
    "Polytope": "domain.polytope", "box": "domain.polytope", "parse_box": "domain.polytope",
    "polytope": "domain.polytope", "load_domain": "domain.polytope",
    "enumerate_regions": "regions.walk", "iter_regions": "regions.walk", "Partition": "regions.walk",
    "Region": "regions.walk",
    "region_graph": "graph.region_graph", "adjacencies": "graph.region_graph", "linear_pieces": "graph.region_graph",
    "partition_certificate": "certificate.partition", "write_certificate": "certificate.partition",
    "output_bounds": "verify.bounds", "bounds_certificate": "verify.bounds",
    "equivalent": "verify.equivalence", "equivalence_certificate": "verify.equivalence",
    "compress": "verify.compress",
    "load_vnnlib": "domain.vnnlib", "parse_vnnlib": "domain.vnnlib",
    "property_certificate": "verify.property",
    "load_model": "io.loader",
    "check_certificate": "checker",
    "shallow_representation": "shallow",
}

# modules that moved when the package took its pipeline layout, kept importable under
# their old names (those the documentation and notebooks used to import)
MOVED = {
    "exactrelu.network": "exactrelu.model.network",
    "exactrelu.evaluation": "exactrelu.model.evaluation",
    "exactrelu.random_nets": "exactrelu.model.random_nets",
    "exactrelu.rationals": "exactrelu.numbers.rationals",
    "exactrelu.vnnlib": "exactrelu.domain.vnnlib",
    "exactrelu.cex": "exactrelu.domain.cex",
    "exactrelu.float_regions": "exactrelu.regions.float_walk",
    "exactrelu.executor": "exactrelu.scale.executor",
    "exactrelu.parallel": "exactrelu.scale.parallel",
    "exactrelu.bounds": "exactrelu.verify.bounds",
    "exactrelu.equivalence": "exactrelu.verify.equivalence",
    "exactrelu.compress": "exactrelu.verify.compress",
    "exactrelu.report": "exactrelu.crosscheck.report",
    "exactrelu.demo": "exactrelu.cli.demo",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports a moved module under its old name (the same module object)."""

    def find_spec(self, name, path=None, target=None):
        if name in MOVED:
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):
        pass


if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
    sys.meta_path.append(_MovedFinder())


_STAGES = ("numbers", "model", "io", "domain", "regions", "graph", "certificate", "scale", "verify", "shallow",
           "crosscheck", "plot", "cli", "checker", "errors", "limits")


def __getattr__(name: str):
    if name in _STAGES:  # exactrelu.verify is the stage package, and callable as verify(net, prop)
        return importlib.import_module(f"{__name__}.{name}")
    mod = _API.get(name)
    if mod is None:
        raise AttributeError(f"module 'exactrelu' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_API))


__all__ = sorted(_API) + ["verify"]
