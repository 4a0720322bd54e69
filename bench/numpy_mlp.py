# numpy float32 baseline of the benchmark: actlab's algorithm written the usual numpy
# way (mini-batch SGD, batch 100, lr 0.05, softmax + cross-entropy, gradient averaged
# over the batch, the loss of every batch computed as actlab does for divergence checks).
#   numpy_mlp.py epoch [--hidden 200] [--act relu] [--threads 1] [--shuffle 1]
#     one epoch on the 60,000 training images, after a 10-step warm-up
#   numpy_mlp.py ch5 [--epochs 2000]
#     784-200-10 sigmoid, U(-0.5, 0.5) weights, the first 1,000 training images in order,
#     tested on the 10,000 test images every epochs/10 epochs
# Prints "wall cpu" seconds on the last line of stdout.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnist_py  # noqa: E402

args = mnist_py.parse_args("numpy_mlp.py")
mnist_py.pin_threads(args.threads)
import numpy as np  # noqa: E402

F = np.float32
LR, BATCH = F(0.05), mnist_py.BATCH


def act(z, name):
    if name == "relu":
        return np.maximum(z, F(0))
    if name == "sigmoid":
        return F(1) / (F(1) + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    raise SystemExit(f"numpy_mlp.py: activation {name} not written here")


def act_grad(z, h, name):
    if name == "relu":
        return (z > 0).astype(F)
    if name == "sigmoid":
        return h * (F(1) - h)
    return F(1) - h * h


class Net:
    def __init__(self, sizes, name, rng, uniform):
        self.name = name
        self.w, self.b = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            if uniform:
                w = rng.uniform(-0.5, 0.5, (n_in, n_out))
            else:  # He, as actlab's auto init for relu
                w = rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out))
            self.w.append(w.astype(F))
            self.b.append(np.zeros(n_out, dtype=F))

    def forward(self, x):
        zs, hs = [], [x]
        for i, (w, b) in enumerate(zip(self.w, self.b)):
            z = hs[-1] @ w
            z += b
            zs.append(z)
            if i < len(self.w) - 1:
                hs.append(act(z, self.name))
        return zs, hs

    def step(self, x, y):
        """One SGD step; returns the batch's summed cross-entropy."""
        zs, hs = self.forward(x)
        z = zs[-1]
        m = z.max(axis=1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.sum(np.log(s[:, 0]) + m[:, 0] - z[rows, y]))
        d = e / s
        d[rows, y] -= F(1)
        d *= F(1.0 / len(y))
        for i in range(len(self.w) - 1, -1, -1):
            dw = hs[i].T @ d
            db = d.sum(axis=0)
            if i > 0:
                d = (d @ self.w[i].T) * act_grad(zs[i - 1], hs[i], self.name)
            self.w[i] -= LR * dw
            self.b[i] -= LR * db
        return loss

    def evaluate(self, x, y):
        zs, _ = self.forward(x)
        z = zs[-1]
        m = z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z - m).sum(axis=1)) + m[:, 0]
        loss = float(np.mean(lse - z[np.arange(len(y)), y]))
        return loss, float(np.mean(z.argmax(axis=1) == y))


def batch(X, Y, idx):
    return X[idx].astype(F) * F(1 / 255), Y[idx]


def main():
    tx, ty, vx, vy = mnist_py.load_mnist(np)
    ty, vy = ty.astype(np.intp), vy.astype(np.intp)
    rng = np.random.default_rng(1)
    ch5 = args.mode == "ch5"
    net = Net([784] + args.hidden + [10], args.act, rng, uniform=ch5)
    n = 1000 if ch5 else len(ty)
    order = np.arange(n)
    if not ch5:
        for k in range(10):  # warm-up: BLAS buffers, page faults
            net.step(*batch(tx, ty, order[k * BATCH:(k + 1) * BATCH]))
        net = Net([784] + args.hidden + [10], args.act, rng, uniform=False)
    X, Y = vx.astype(F) * F(1 / 255), vy
    mnist_py.train_and_report(args, "numpy_mlp", f"numpy {np.__version__}", n, order,
                              rng.permutation, lambda idx: net.step(*batch(tx, ty, idx)),
                              lambda: net.evaluate(X, Y))

main()
