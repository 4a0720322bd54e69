# MNIST for the Python baselines of the benchmark: the same IDX files actlab reads
# ($ACTLAB_DATA, else $XDG_CACHE_HOME/actlab, else ~/.cache/actlab; raw or .gz), as
# uint8 arrays, and the command line the baselines share.
import argparse
import ctypes
import gzip
import os
import struct
import sys
import time

BATCH = 100  # the benchmark's batch size, for every baseline


def data_dir():
    d = os.environ.get("ACTLAB_DATA")
    if d:
        return d
    x = os.environ.get("XDG_CACHE_HOME")
    if x and os.path.isabs(x):
        return os.path.join(x, "actlab")
    return os.path.join(os.path.expanduser("~"), ".cache", "actlab")


def read_idx(path):
    """The payload of an IDX file of unsigned bytes, and its dimensions."""
    opener = open
    if not os.path.exists(path):
        path, opener = path + ".gz", gzip.open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, kind, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return raw[4 + 4 * ndim:], dims


def load_mnist(np, name="mnist"):
    """(train_x, train_y, test_x, test_y): images n × 784 uint8, labels n uint8."""
    root = os.path.join(data_dir(), name)
    out = []
    for part in ("train", "t10k"):
        pix, dims = read_idx(os.path.join(root, f"{part}-images-idx3-ubyte"))
        lab, _ = read_idx(os.path.join(root, f"{part}-labels-idx1-ubyte"))
        out.append(np.frombuffer(pix, dtype=np.uint8).reshape(dims[0], dims[1] * dims[2]))
        out.append(np.frombuffer(lab, dtype=np.uint8))
    return out


def parse_args(prog):
    p = argparse.ArgumentParser(prog=prog)
    p.add_argument("mode", choices=["epoch", "ch5"])
    p.add_argument("--hidden", default="200", help="hidden layer sizes, comma-separated")
    p.add_argument("--act", default=None, help="relu (epoch) or sigmoid (ch5)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shuffle", type=int, default=None, help="1 (epoch) or 0 (ch5)")
    p.add_argument("--epochs", type=int, default=None, help="1 (epoch) or 2000 (ch5)")
    a = p.parse_args()
    ch5 = a.mode == "ch5"
    a.hidden = [int(h) for h in a.hidden.split(",")]
    if a.act is None:
        a.act = "sigmoid" if ch5 else "relu"
    if a.shuffle is None:
        a.shuffle = 0 if ch5 else 1
    if a.epochs is None:
        a.epochs = 2000 if ch5 else 1
    return a


def pin_threads(n):
    """Before numpy or torch is imported: their BLAS and OpenMP pools get n threads."""
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = str(n)


def blas_core():
    """The OpenBLAS kernel the process runs, read from the library it has loaded."""
    try:
        with open("/proc/self/maps") as f:
            libs = {l.split()[-1] for l in f if "blas" in l and ".so" in l}
    except OSError:
        return "unknown"
    for lib in sorted(libs):
        try:
            h = ctypes.CDLL(lib)
            h.openblas_get_corename.restype = ctypes.c_char_p
            return h.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return "not OpenBLAS"


class Clock:
    """Wall and CPU seconds of the timed part, printed as the driver's last line."""

    def __enter__(self):
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w
        self.cpu = time.process_time() - self.c


def train_and_report(args, prog, version, n, order, permutation, step, evaluate):
    """The timed loop both baselines share: args.epochs epochs over the n examples in
    `order` (a new permutation(n) each epoch when shuffling), batches of BATCH through
    step(indices); the chapter-5 mode evaluates every tenth of the run. Prints the run on
    stderr and "wall cpu" (seconds; per epoch unless ch5) on stdout."""
    ch5 = args.mode == "ch5"
    every = max(args.epochs // 10, 1)
    with Clock() as clock:
        for epoch in range(1, args.epochs + 1):
            if args.shuffle:
                order = permutation(n)
            for first in range(0, n, BATCH):
                step(order[first:first + BATCH])
            if ch5 and (epoch % every == 0 or epoch == args.epochs):
                test_loss, test_acc = evaluate()
    if not ch5:
        test_loss, test_acc = evaluate()
    wall, cpu = clock.wall, clock.cpu
    if not ch5:
        wall, cpu = wall / args.epochs, cpu / args.epochs
    print(f"{prog}: {args.mode}, hidden {args.hidden}, {args.act}, {args.threads} thread(s), "
          f"{version}, OpenBLAS core {blas_core()}: test loss "
          f"{test_loss:.4f}, accuracy {test_acc:.4f}", file=sys.stderr)
    print(f"{wall:.6f} {cpu:.6f}")
