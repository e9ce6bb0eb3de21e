"""Throughput of the PyTorch reference models, for comparison with nasc.

    /usr/bin/python3 bench/torch_bench.py --model cnn --mode train \
        --threads 2 --repeats 5 --json

Prints samples/s for each repeat, their median, and the GFLOP/s that the
median implies (2 FLOPs per forward MAC of convs and linears; a training
step counted as 3x the forward pass). Inputs are a fixed random batch:
the point is compute throughput, so data loading is kept out of the loop.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

DEFAULT_SECONDS_PER_REPEAT = 2.0


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", choices=("mlp", "cnn", "nb201"), required=True)
    p.add_argument("--mode", choices=("train", "infer"), required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=0,
                   help="steps per repeat; 0 = calibrate to about "
                        f"{DEFAULT_SECONDS_PER_REPEAT:g} s per repeat")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true",
                   help="print one JSON object instead of a text summary")
    p.add_argument("--stock", action="store_true",
                   help="skip the OpenMP wait-policy and malloc tuning "
                        "(thread counts are still pinned to --threads)")
    return p.parse_args()


def configure_runtime(threads, stock=False):
    """Pins thread pools and tunes the allocator; call before importing torch.

    Returns the list of tunings applied, for the result record. Shared with
    torch_fmnist.py so both measure the same runtime.
    """
    # Debian's torch does its GEMMs (Linear layers) in OpenBLAS, whose
    # pthread pool ignores torch.set_num_threads and takes every core. It
    # reads its thread count once, when it loads, so it has to be set before
    # torch is imported or a "1 thread" run silently uses two cores.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if stock:
        return []

    tuning = []
    # With 2 threads, libgomp's idle workers spin between oneDNN regions
    # while OpenBLAS's own pthreads run the Linear GEMMs: four busy threads
    # on two cores, and the mlp ran 3x slower on 2 threads than on 1.
    # Passive waiting ends the fight. libgomp reads it when torch loads it.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    tuning.append("OMP_WAIT_POLICY=" + os.environ["OMP_WAIT_POLICY"])

    # glibc serves every block above 128 KiB with a fresh mmap and unmaps it
    # on free, so each step page-faults its activations and optimizer
    # temporaries in again (over half of the mlp's training step). Raising
    # the thresholds keeps freed blocks in the heap, which is what jemalloc
    # or tcmalloc do in tuned PyTorch deployments. mallopt works after
    # startup, unlike the MALLOC_* environment variables.
    import ctypes
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc = ctypes.CDLL("libc.so.6")
    if (libc.mallopt(m_mmap_threshold, 1 << 30)
            and libc.mallopt(m_trim_threshold, 1 << 30)):
        tuning.append("mallopt(M_MMAP_THRESHOLD=M_TRIM_THRESHOLD=1GiB)")
    return tuning


def make_step(model, mode, x, y):
    import torch
    import torch.nn as nn

    if mode == "infer":
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
        return step

    model.train()
    loss_fn = nn.CrossEntropyLoss()
    # Same optimizer as the Fashion-MNIST recipe, so the optimizer update
    # (momentum + weight decay on every parameter) is part of the cost.
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9,
                          nesterov=True, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def timed(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - t0


def main():
    args = parse_args()
    # Recorded because other jobs share the 2 cores; a high load explains
    # an outlier.
    load_start = os.getloadavg()
    tuning = configure_runtime(args.threads, args.stock)
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch_models

    torch.set_num_threads(args.threads)
    # Inter-op parallelism only helps graphs with independent branches run
    # by a scheduler (TorchScript); in eager mode it would just add threads
    # competing for the same 2 cores. Must precede any parallel work.
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    model, in_shape = torch_models.build(args.model)
    macs = torch_models.count_macs(model, in_shape)
    x = torch.randn(args.batch, *in_shape)
    y = torch.randint(0, 10, (args.batch,))
    step = make_step(model, args.mode, x, y)

    # Warm-up lets oneDNN pick and cache its kernels and the allocator reach
    # a steady state; the first steps are several times slower otherwise.
    warm_s = timed(step, max(args.warmup, 1))
    steps = args.steps
    if steps <= 0:
        # Time a doubling number of steps until the sample is long enough
        # that one preempted step (the machine is shared) can't skew it.
        n, t = 1, timed(step, 1)
        while t < 0.25 * DEFAULT_SECONDS_PER_REPEAT:
            n *= 2
            t = timed(step, n)
        steps = max(1, round(DEFAULT_SECONDS_PER_REPEAT * n / t))

    rates = []
    for _ in range(args.repeats):
        rates.append(steps * args.batch / timed(step, steps))
    median = statistics.median(rates)

    flops_per_sample = 2 * macs * (3 if args.mode == "train" else 1)
    result = {
        "model": args.model,
        "mode": args.mode,
        "arch": torch_models.ARCH_6111 if args.model == "nb201" else None,
        "input_shape": list(in_shape),
        "batch": args.batch,
        "steps": steps,
        "warmup": max(args.warmup, 1),
        "warmup_s": warm_s,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "samples_per_s": rates,
        "median_samples_per_s": median,
        "macs_per_sample_forward": macs,
        "flops_per_sample": flops_per_sample,
        "flop_convention": "2*MACs forward (conv+linear only); train = 3x forward",
        "median_gflops": median * flops_per_sample / 1e9,
        "params": torch_models.count_params(model),
        "stock": args.stock,
        "tuning": tuning,
        "torch_version": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": load_start,
        "loadavg_at_end": os.getloadavg(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.model} {args.mode} threads={result['threads']} "
              f"batch={args.batch} steps={steps}: median "
              f"{median:.1f} samples/s ({result['median_gflops']:.2f} GFLOP/s); "
              f"repeats " + ", ".join(f"{r:.1f}" for r in rates))


if __name__ == "__main__":
    main()
