"""PyTorch import (optional dependency): exact weights, fx tracing of residual modules."""

from __future__ import annotations

import builtins
import sys
from fractions import Fraction

import numpy as np
import pytest

from exactrelu.errors import BackendUnavailableError, ShapeError, UnsupportedOperatorError
from exactrelu.model.evaluation import evaluate, evaluate_batch


def test_missing_torch_gives_backend_unavailable(monkeypatch):
    from exactrelu.io import torch_io

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.delitem(sys.modules, "torch.fx", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(BackendUnavailableError, match=r"pip install exactrelu\[torch\]"):
        torch_io.from_torch(object())


@pytest.fixture(scope="module")
def torch():
    t = pytest.importorskip("torch")
    t.manual_seed(0)
    return t


def frac_linear(layer):
    W = [[Fraction(float(v)) for v in row] for row in layer.weight.detach().double().tolist()]
    b = [Fraction(float(v)) for v in layer.bias.detach().double().tolist()]
    return W, b


def test_sequential_is_exact(torch):
    nn = torch.nn
    from exactrelu.io import from_torch

    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.LeakyReLU(0.1), nn.Dropout(0.5),
                      nn.Identity(), nn.Flatten(), nn.Linear(4, 2)).eval()
    net = from_torch(m)
    d = net.describe()
    assert (d["inputs"], d["outputs"], d["relu_layers"]) == (3, 2, [4, 4])
    # independent exact reference from the float32 parameters
    (W1, b1), (W2, b2), (W3, b3) = frac_linear(m[0]), frac_linear(m[2]), frac_linear(m[7])
    a = Fraction(0.1)  # PyTorch keeps the slope as a Python float (float64)

    def ref(x):
        h = [max(sum((w * v for w, v in zip(r, x)), c), Fraction(0)) for r, c in zip(W1, b1)]
        z = [sum((w * v for w, v in zip(r, h)), c) for r, c in zip(W2, b2)]
        h = [v if v >= 0 else a * v for v in z]
        return [sum((w * v for w, v in zip(r, h)), c) for r, c in zip(W3, b3)]

    rng = np.random.default_rng(1)
    pts = (rng.integers(-64, 65, size=(8, 3)) / 32).tolist()
    exact = evaluate_batch(net, pts)
    m64 = m.double()
    for p, y in zip(pts, exact):
        x = [Fraction(v) for v in p]
        assert list(y) == ref(x)
        t = m64(torch.tensor([p], dtype=torch.float64)).detach().numpy().ravel()
        np.testing.assert_allclose([float(v) for v in y], t, rtol=1e-12, atol=1e-12)


class _Residual:
    """Built lazily so that the module imports without torch."""

    @staticmethod
    def make(torch):
        nn = torch.nn

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(3, 5)
                self.fc2 = nn.Linear(5, 3)
                self.head = nn.Linear(3, 2)

            def forward(self, x):
                h = torch.relu(self.fc1(x))
                y = nn.functional.relu(self.fc2(h) + x)   # skip connection
                return self.head(y - 0.5 * x)

        return Block().eval().double()


def test_residual_module_via_fx(torch):
    from exactrelu.io import from_torch

    m = _Residual.make(torch)
    net = from_torch(m)
    d = net.describe()
    assert d["relu_layers"] == [5, 3] and d["has_skips"]
    assert [l["sources"] for l in d["layers"]] == [[0], [0, 1], [0, 2]]
    rng = np.random.default_rng(2)
    for p in (rng.integers(-32, 33, size=(6, 3)) / 16).tolist():
        y = [float(v) for v in evaluate(net, p)]
        t = m(torch.tensor([p], dtype=torch.float64)).detach().numpy().ravel()
        np.testing.assert_allclose(y, t, rtol=1e-12, atol=1e-12)


def test_cnn_with_exact_batchnorm_and_pools(torch):
    nn = torch.nn
    from exactrelu.io import from_torch

    m = nn.Sequential(
        nn.Conv2d(1, 2, kernel_size=3, padding=1, stride=1),
        nn.BatchNorm2d(2, eps=0.25),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(2, 2, kernel_size=2, groups=2),
        nn.AvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2, 3),
    )
    with torch.no_grad():
        m[1].running_var.copy_(torch.tensor([3.75, 0.75]))  # var + eps = 4, 1
        m[1].running_mean.copy_(torch.tensor([0.5, -0.25]))
        m[1].weight.copy_(torch.tensor([1.5, -2.0]))
        m[1].bias.copy_(torch.tensor([0.125, 0.0]))
    m.eval()
    net = from_torch(m, input_shape=(1, 1, 4, 4))
    d = net.describe()
    assert d["inputs"] == 16 and d["outputs"] == 3
    assert d["relu_layers"][0] == 32 and len(d["relu_layers"]) == 3  # relu + 2 max-tree levels
    m64 = m.double()
    rng = np.random.default_rng(3)
    for p in (rng.integers(-16, 17, size=(4, 16)) / 8).tolist():
        y = [float(v) for v in evaluate(net, p)]
        t = m64(torch.tensor(p, dtype=torch.float64).reshape(1, 1, 4, 4)).detach().numpy().ravel()
        np.testing.assert_allclose(y, t, rtol=1e-12, atol=1e-12)


def test_irrational_batchnorm_needs_approximation(torch):
    nn = torch.nn
    from exactrelu.io import from_torch

    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.ReLU(), nn.Linear(2, 1)).eval()
    with pytest.raises(UnsupportedOperatorError, match="irrational"):
        from_torch(m)
    with pytest.warns(UserWarning):
        net = from_torch(m, approximate_bn=True)
    y = float(evaluate(net, [0.5, -0.25])[0])
    t = float(m.double()(torch.tensor([[0.5, -0.25]], dtype=torch.float64)).detach())
    assert abs(y - t) < 1e-12


def test_unsupported_module_and_input_size(torch):
    nn = torch.nn
    from exactrelu.io import from_torch

    with pytest.raises(UnsupportedOperatorError, match="Sigmoid"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()))
    with pytest.raises(ShapeError, match="n_inputs"):
        from_torch(nn.Sequential(nn.ReLU()))
    net = from_torch(nn.Sequential(nn.ReLU()), n_inputs=3)
    assert net.n_relu == 3 and evaluate(net, [-1, 2, 0]) == (0, 2, 0)


def test_functional_forward(torch):
    nn = torch.nn
    F = nn.functional
    from exactrelu.io import from_torch

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.tensor([[1.0, -2.0], [0.5, 0.25]]))

        def forward(self, x):
            h = F.leaky_relu(F.linear(x, self.w), negative_slope=0.25)
            h = torch.cat([h, -h], dim=1)
            return h.view(h.size(0), -1).relu()

    net = from_torch(Net(), n_inputs=2)
    x = [Fraction(1), Fraction(1, 2)]
    z = [x[0] - 2 * x[1], x[0] / 2 + x[1] / 4]
    h = [v if v >= 0 else v / 4 for v in z]
    assert list(evaluate(net, x)) == [max(v, Fraction(0)) for v in h + [-v for v in h]]
