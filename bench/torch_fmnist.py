"""Fashion-MNIST accuracy of the PyTorch reference models.

    /usr/bin/python3 bench/torch_fmnist.py --model cnn --epochs 10 \
        --threads 2 > results/torch/fmnist_cnn.json

The recipe is the one nasc's Fashion-MNIST run uses, so the two test
accuracies are comparable: inputs standardized with the train set's mean
and std, SGD with Nesterov momentum 0.9, lr 0.05, weight decay 5e-4, cosine
decay per step over the whole run (no warm-up), batch 128, reshuffled every
epoch, no augmentation. The last, partial batch of an epoch is kept.

stdout gets one JSON object at the end; progress goes to stderr.
"""

import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import configure_runtime  # noqa: E402  (no torch import)

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--data", default=DATA_DIR)
    p.add_argument("--stock", action="store_true",
                   help="skip the runtime tuning (see torch_bench.py)")
    return p.parse_args()


def read_idx(path):
    """Reads a gzipped IDX file into a numpy array (big-endian header)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = raw[0] << 8 | raw[1], raw[2], raw[3]
    # Both Fashion-MNIST files are unsigned bytes; anything else means the
    # wrong file, not a format to support.
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(tuple(int(d) for d in dims))


def load_split(data_dir, prefix):
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


def main():
    args = parse_args()
    tuning = configure_runtime(args.threads, args.stock)
    import torch
    import torch.nn.functional as F
    import torch_models

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    # One scalar mean/std over all train pixels (single channel); the test
    # set is normalized with the train statistics, never its own.
    mean, std = float(x_train.mean()), float(x_train.std())
    x_train = torch.from_numpy((x_train - mean) / std).unsqueeze(1)
    x_test = torch.from_numpy((x_test - mean) / std).unsqueeze(1)
    y_train, y_test = torch.from_numpy(y_train), torch.from_numpy(y_test)

    model = torch_models.mlp() if args.model == "mlp" else torch_models.cnn()
    # Weight decay on every parameter, BN and biases included: plain
    # torch.optim.SGD behaviour, and what nasc's optimizer does too.
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                          nesterov=True, weight_decay=5e-4)

    n = len(y_train)
    steps_per_epoch = math.ceil(n / args.batch)
    total_steps = steps_per_epoch * args.epochs

    def evaluate():
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(y_test), 1000):
                logits = model(x_test[i:i + 1000])
                correct += (logits.argmax(1) == y_test[i:i + 1000]).sum().item()
        return 100.0 * correct / len(y_test)

    epochs = []
    step = 0
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        perm = torch.from_numpy(rng.permutation(n))
        loss_sum, seen, correct = 0.0, 0, 0
        for i in range(0, n, args.batch):
            # Cosine decay evaluated per step, from lr at step 0 towards 0
            # at the end of the run.
            lr = 0.5 * args.lr * (1.0 + math.cos(math.pi * step / total_steps))
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[i:i + args.batch]
            xb, yb = x_train[idx], y_train[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
        train_s = time.perf_counter() - t0
        test_acc = evaluate()
        rec = {
            "epoch": epoch,
            "train_loss": loss_sum / seen,
            "train_acc": 100.0 * correct / seen,
            "test_acc": test_acc,
            "lr_last": lr,
            "train_seconds": train_s,
            "train_samples_per_s": seen / train_s,
        }
        epochs.append(rec)
        print(f"epoch {epoch:2d}  loss {rec['train_loss']:.4f}  "
              f"train {rec['train_acc']:.2f}%  test {test_acc:.2f}%  "
              f"{train_s:.1f} s", file=sys.stderr, flush=True)

    result = {
        "model": args.model,
        "dataset": "fashion-mnist",
        "recipe": {
            "optimizer": "SGD nesterov momentum=0.9",
            "lr": args.lr, "weight_decay": 5e-4,
            "schedule": "cosine per step, no warm-up",
            "batch": args.batch, "epochs": args.epochs,
            "augmentation": None, "drop_last": False,
            "normalize": {"mean": mean, "std": std},
            "init": "PyTorch default",
        },
        "seed": args.seed,
        "threads": torch.get_num_threads(),
        "stock": args.stock,
        "tuning": tuning,
        "params": torch_models.count_params(model),
        "epochs": epochs,
        "final_test_acc": epochs[-1]["test_acc"] if epochs else None,
        "total_seconds": time.perf_counter() - t_start,
        "torch_version": torch.__version__,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
