"""exactrelu: exact analysis of ReLU networks with certificates.

The main entry points are re-exported here; see the README for a tour.
"""

from __future__ import annotations

from .errors import ExactReluError
from .network import Network, NetworkBuilder, mlp, residual_block
from .evaluation import evaluate, evaluate_batch, evaluate_float, activation_pattern, affine_map
from .domain import Polytope, box, parse_box, polytope, load_domain
from .regions import enumerate_regions, iter_regions, Partition, Region
from .graph import region_graph, adjacencies, linear_pieces
from .certificate import partition_certificate, write_certificate
from .bounds import output_bounds, bounds_certificate
from .equivalence import equivalent, equivalence_certificate
from .compress import compress
from .vnnlib import load_vnnlib, parse_vnnlib
from .verify import verify, property_certificate


def shallow_representation(net, method="lattice", domain=None, **kw):
    """Exact max-of-shallow representation (see :mod:`exactrelu.shallow`)."""
    from .shallow import shallow_representation as _sr

    return _sr(net, method, domain, **kw)

__version__ = "0.1.0"


def load_model(path, fmt=None):
    """Load a model file (native JSON, ONNX, .nnet, .npz); see :mod:`exactrelu.io.loader`."""
    from .io.loader import load_model as _load

    return _load(path, fmt) if fmt is not None else _load(path)


def check_certificate(cert, base_dir=None):
    """Run the independent checker (:mod:`exactrelu.checker`)."""
    from .checker import check_certificate as _check

    return _check(cert, base_dir=base_dir)


__all__ = [
    "ExactReluError", "Network", "NetworkBuilder", "mlp", "residual_block",
    "evaluate", "evaluate_batch", "evaluate_float", "activation_pattern", "affine_map",
    "Polytope", "box", "parse_box", "polytope", "load_domain",
    "enumerate_regions", "iter_regions", "Partition", "Region",
    "region_graph", "adjacencies", "linear_pieces",
    "partition_certificate", "write_certificate", "load_model", "check_certificate",
    "output_bounds", "bounds_certificate", "equivalent", "equivalence_certificate", "compress",
    "load_vnnlib", "parse_vnnlib", "verify", "property_certificate", "shallow_representation",
]
