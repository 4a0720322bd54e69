# PyTorch baseline of the benchmark, written the way its documentation teaches:
# nn.Linear layers, nn.CrossEntropyLoss (mean over the batch), optim.SGD(lr=0.05),
# batch 100, float32 on the CPU; batches gathered from a uint8 tensor as actlab does.
#   torch_mlp.py epoch [--hidden 200] [--act relu] [--threads 1] [--shuffle 1]
#   torch_mlp.py ch5 [--epochs 2000]
# (the same runs as numpy_mlp.py). --threads N sets torch's own threads and OpenBLAS's.
# Prints "wall cpu" seconds on the last line of stdout.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnist_py  # noqa: E402

args = mnist_py.parse_args("torch_mlp.py")
mnist_py.pin_threads(args.threads)
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
BATCH = mnist_py.BATCH
ACTS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def make_net(uniform):
    sizes = [784] + args.hidden + [10]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(n_in, n_out)
        if uniform:
            nn.init.uniform_(lin.weight, -0.5, 0.5)
        else:
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(ACTS[args.act]())
    return nn.Sequential(*layers)


def main():
    tx, ty, vx, vy = (torch.from_numpy(a.copy()) for a in mnist_py.load_mnist(np))
    ty, vy = ty.long(), vy.long()
    torch.manual_seed(1)
    ch5 = args.mode == "ch5"
    n = 1000 if ch5 else len(ty)
    net = make_net(uniform=ch5)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.05)

    def step(idx):
        x = tx[idx].float().mul_(1 / 255)
        opt.zero_grad()
        loss = loss_fn(net(x), ty[idx])
        loss.backward()
        opt.step()
        return loss.item()

    def evaluate():
        with torch.no_grad():
            z = net(vx.float().mul_(1 / 255))
            return loss_fn(z, vy).item(), (z.argmax(1) == vy).float().mean().item()

    order = torch.arange(n)
    if not ch5:
        for k in range(10):  # warm-up: allocator, BLAS buffers
            step(order[k * BATCH:(k + 1) * BATCH])
        net = make_net(uniform=False)
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
    mnist_py.train_and_report(args, "torch_mlp", f"torch {torch.__version__}", n, order,
                              torch.randperm, step, evaluate)

main()
