"""The PyTorch half of the cross-check (tests/scripts/test_torch.sh).

Reads what tests/torch/crosscheck.lua wrote: for each case the data, the initial
weights, the training options and actlab's weights, loss and accuracy after training;
every elementwise activation's f and f' on a grid; softmax and log_softmax with their
backward on awkward rows. Repeats each computation with torch (float32,
autograd, torch.optim.SGD) and fails, naming the case, where the two disagree.

Conventions shared with actlab, so that the two compute the same thing: the loss is
averaged over the batch; binary cross-entropy and mean squared error are summed over a
row's outputs (MSE with a factor 1/2, so that delta = p - t); weight decay acts on the
weights, not on biases or PReLU's alpha; lr_decay gives lr / (1 + t * decay) after t steps.

Usage: python3 tests/torch/crosscheck.py RESULTS.json
"""
import json
import sys

import torch
import torch.nn.functional as F

# Elementwise activations by actlab's name and parameter names.
ACT = {
    "identity": lambda x, p: x,
    "sigmoid": lambda x, p: torch.sigmoid(x),
    "tanh": lambda x, p: torch.tanh(x),
    "relu": lambda x, p: F.relu(x),
    "leaky_relu": lambda x, p: F.leaky_relu(x, p.get("gamma", 0.01)),
    "elu": lambda x, p: F.elu(x, p.get("alpha", 1.0)),
    "selu": lambda x, p: F.selu(x),
    "celu": lambda x, p: F.celu(x, p.get("alpha", 1.0)),
    "gelu": lambda x, p: F.gelu(x),
    "gelu_tanh": lambda x, p: F.gelu(x, approximate="tanh"),
    "silu": lambda x, p: F.silu(x),
    "mish": lambda x, p: F.mish(x),
    "softplus": lambda x, p: F.softplus(x, p.get("beta", 1.0), p.get("threshold", 20.0)),
    "softsign": lambda x, p: F.softsign(x),
    "hardtanh": lambda x, p: F.hardtanh(x, p.get("min", -1.0), p.get("max", 1.0)),
    "hardsigmoid": lambda x, p: F.hardsigmoid(x),
    "hardswish": lambda x, p: F.hardswish(x),
    "rrelu": lambda x, p: F.rrelu(x, p.get("lower", 1 / 8), p.get("upper", 1 / 3), training=False),
}

# Where actlab deliberately follows a newer PyTorch than Debian's 1.13: hardswish's
# derivative takes the outer piece's value at its kinks (0 at -3, 1 at 3; PyTorch >= 2.7).
KINKS_AS_NEWER_TORCH = {("hardswish", -3.0), ("hardswish", 3.0)}

failures = []


def check(what, got, want, tol):
    """got (actlab) against want (torch): largest |difference| relative to max(1, |want|)."""
    got = torch.as_tensor(got, dtype=torch.float64)
    want = want.detach().to(torch.float64).reshape(got.shape)
    err = ((got - want).abs() / want.abs().clamp(min=1.0)).max().item()
    if not err <= tol:
        failures.append(f"{what}: differs from torch by {err:.3g} (tolerance {tol:g})")
    return err


def params_of(p):
    return p if isinstance(p, dict) else {}


def train_case(c):
    x = torch.tensor(c["x"], dtype=torch.float32)
    opts = c["opts"]
    W = [torch.tensor(w, dtype=torch.float32, requires_grad=True) for w in c["w0"]]
    B = [torch.tensor(b, dtype=torch.float32).reshape(-1).requires_grad_(True) for b in c["b0"]]
    between = c["between"]
    alphas = {}
    for i, b in enumerate(between):
        if b.get("name") == "prelu":
            p = params_of(b["params"])
            alphas[i] = torch.full((b["units"],), p.get("alpha", 0.25), requires_grad=True)
    out = c["output"]
    if out in ("softmax", "log_softmax"):
        y = torch.tensor(c["y"], dtype=torch.long)
    else:
        y = torch.tensor(c["y"], dtype=torch.float32)

    def logits(xb):
        h = xb
        for i, b in enumerate(between):
            z = h @ W[i] + B[i]
            if b["kind"] == "maxout":  # unit j takes the largest of columns j*pieces + k
                h = z.reshape(z.shape[0], -1, b["pieces"]).max(dim=2).values
            elif b["name"] == "prelu":
                h = F.prelu(z, alphas[i])
            else:
                h = ACT[b["name"]](z, params_of(b["params"]))
        return h @ W[-1] + B[-1]

    def loss_of(z, yb):
        if out == "softmax":
            return F.cross_entropy(z, yb)
        if out == "log_softmax":
            return F.nll_loss(F.log_softmax(z, dim=1), yb)
        if out == "sigmoid":
            return F.binary_cross_entropy_with_logits(z, yb, reduction="sum") / z.shape[0]
        return 0.5 * ((z - yb) ** 2).sum() / z.shape[0]

    lr = opts["lr"]
    opt = torch.optim.SGD(
        [{"params": W, "weight_decay": opts.get("weight_decay", 0.0)},
         {"params": B + list(alphas.values()), "weight_decay": 0.0}],
        lr=lr, momentum=opts.get("momentum", 0.0), nesterov=opts.get("nesterov", False))
    n, batch, step = x.shape[0], opts["batch"], 0
    for _ in range(opts["epochs"]):
        for first in range(0, n, batch):
            for group in opt.param_groups:
                group["lr"] = lr / (1 + step * opts.get("lr_decay", 0.0))
            opt.zero_grad()
            loss_of(logits(x[first:first + batch]), y[first:first + batch]).backward()
            opt.step()
            step += 1
            if opts.get("nonneg"):
                with torch.no_grad():
                    for w in W:
                        w.clamp_(min=0.0)

    name = c["name"]
    moved = max((torch.tensor(a) - torch.tensor(b)).abs().max().item() for a, b in zip(c["w1"], c["w0"]))
    if not moved > 1e-2:
        failures.append(f"{name}: training barely moved the weights ({moved:.2g}): nothing was tested")
    # float32 sums in a different order: a few ulps per step, compounding over the run.
    err = max(check(f"{name}: weights {i + 1}", c["w1"][i], W[i], 2e-5) for i in range(len(W)))
    err = max(err, max(check(f"{name}: biases {i + 1}", c["b1"][i], B[i], 2e-5) for i in range(len(B))))
    with torch.no_grad():
        z = logits(x)
        check(f"{name}: train_loss", [c["train_loss"]], loss_of(z, y), 1e-5)
        if out in ("softmax", "log_softmax"):
            acc = (z.argmax(dim=1) == y).float().mean()
            # float32 means round differently; one example of 200 changes it by 5e-3.
            check(f"{name}: train_acc", [c["train_acc"]], acc, 1e-6)
    for i, a in alphas.items():
        if a.numel() == 1:  # the diagnostics report a shared alpha
            check(f"{name}: PReLU alpha", [c["alpha"]], a, 1e-5)
    print(f"ok    {name}: weights within {err:.2g} of torch's after {step} steps (moved {moved:.2g})")


def check_grid(d):
    xs = torch.tensor(d["x"][0], dtype=torch.float32)
    for g in d["grid"]:
        p = params_of(g["params"])
        x = xs.clone().requires_grad_(True)
        f = ACT[g["name"]](x, p)
        f.sum().backward()
        # Debian's torch 1.13 gives hardswish' two values at its kinks depending on the
        # tensor's length (vectorised or not); those points follow newer PyTorch instead.
        keep = torch.tensor([(g["name"], v) not in KINKS_AS_NEWER_TORCH for v in xs.tolist()])
        what = g["name"] + (" " + json.dumps(p) if p else "")
        ef = check(f"{what}: f", torch.tensor(g["f"][0])[keep], f[keep], 2e-6)
        ed = check(f"{what}: f'", torch.tensor(g["df"][0])[keep], x.grad[keep], 2e-5)
        print(f"ok    {what}: f within {ef:.2g}, f' within {ed:.2g} on {len(xs)} points")


def check_rowwise(d):
    rows = torch.tensor(d["rows"], dtype=torch.float32)
    for r in d["rowwise"]:
        x = rows.clone().requires_grad_(True)
        f = (F.softmax if r["name"] == "softmax" else F.log_softmax)(x, dim=1)
        (f * torch.tensor(r["dy"], dtype=torch.float32)).sum().backward()
        ef = check(r["name"] + ": f", r["f"], f, 2e-6)
        ed = check(r["name"] + ": backward", r["dx"], x.grad, 2e-6)
        print(f"ok    {r['name']}: f within {ef:.2g}, backward within {ed:.2g} on rows with ±1000 and ties")


def main():
    with open(sys.argv[1]) as f:
        d = json.load(f)
    torch.set_num_threads(1)
    check_grid(d)
    check_rowwise(d)
    for c in d["cases"]:
        train_case(c)
    for msg in failures:
        print("FAIL  " + msg)
    print(f"torch {torch.__version__}: {len(d['grid'])} activations, {len(d['cases'])} trainings, "
          f"{len(failures)} disagreement(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
