"""Turns bench/run.sh's raw JSON files into results/bench.md.

For each (framework, model, mode, threads) the figure is the median over
rounds of each round's median samples/s. The ratio compares nasc at its
better thread count with PyTorch at its better one, as the issue asks.
"""
import glob
import json
import os
import platform
import statistics
import sys

raw = sys.argv[1]
runs = {}
# Forward MACs per sample (convs and linears), as bench_nasc reports them.
macs = {}
for path in glob.glob(os.path.join(raw, "*_r*.json")):
    name = os.path.basename(path)[:-5]
    fw, model, mode, t, _ = name.split("_")
    with open(path) as f:
        o = json.load(f)
    runs.setdefault((fw, model, mode, int(t[1:])), []).append(
        o["median_samples_per_s"])
    if fw == "nasc":
        macs[model] = o["macs_per_sample"]
with open(os.path.join(raw, "sgemm_peak.json")) as f:
    peak = json.load(f)



def gflops(model, mode, sps):
    return sps * 2 * macs[model] * (3 if mode == "train" else 1) / 1e9


print("# nasc vs PyTorch: throughput on this machine\n")
print("Made by `make bench` (bench/run.sh), batch 128, samples/s as the median")
print("over rounds (%d here) of each round's median of 5 timed repeats. PyTorch"
      % max(len(v) for v in runs.values()))
print("1.13 (Debian python3-torch, tuned as bench/torch_bench.py explains) is")
print("measured in the same run. GFLOP/s counts 2 FLOPs per forward MAC and a")
print("training step as 3 forward passes. Machine: %s, %d CPUs; OpenBLAS sgemm"
      % (platform.machine(), os.cpu_count()))
print("(2048^3) measured in this run at %.0f GFLOP/s on 1 thread and %.0f on 2."
      % (peak["gflops_t1"], peak["gflops_t2"]))
print()
print("The sgemm figure is OpenBLAS with its AVX2 (Haswell) kernels, as this")
print("environment pins them; nasc's own AVX-512 GEMM can exceed it. The 3x rule")
print("also overstates the mlp's training FLOPs (its first layer needs no input")
print("gradient: about 2.25x), so its percentage reads high.")
print()
print("| model | mode | nasc 1t | nasc 2t | torch 1t | torch 2t | nasc/torch "
      "(best vs best) | nasc GFLOP/s | % of sgemm peak (2t) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for model in ("mlp", "cnn", "nb201"):
    for mode in ("train", "infer"):
        v = {}
        for fw in ("nasc", "torch"):
            for t in (1, 2):
                xs = runs.get((fw, model, mode, t))
                v[fw, t] = statistics.median(xs) if xs else None
        if all(x is None for x in v.values()):
            continue
        nb = max(x for x in (v["nasc", 1], v["nasc", 2]) if x is not None)
        tb = max(x for x in (v["torch", 1], v["torch", 2]) if x is not None)
        g = gflops(model, mode, nb)

        def fmt(x):
            return "%.0f" % x if x is not None else "-"
        print("| %s | %s | %s | %s | %s | %s | **%.2f** | %.0f | %.0f%% |" % (
            model, mode, fmt(v["nasc", 1]), fmt(v["nasc", 2]),
            fmt(v["torch", 1]), fmt(v["torch", 2]), nb / tb, g,
            100 * g / peak["gflops_t2"]))
