"""Times one denoising step (true CFG: two transformer passes) of the PyTorch reference on a
model folder, for the engine benchmark (scripts/bench/engine.ts). Prints one JSON line."""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../native-models/qwen-image/reference"))
import cli  # noqa: E402
import pipeline  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--img-shape", required=True)
    p.add_argument("--text-len", type=int, required=True)
    p.add_argument("--neg-len", type=int, required=True)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    shape = tuple(int(x) for x in a.img_shape.split(","))
    m = cli.load_transformer(a.model)
    L = shape[1] * shape[2]
    J = m.txt_in.in_features
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(1, L, m.img_in.in_features, generator=g)
    pe = torch.randn(1, a.text_len, J, generator=g)
    ne = torch.randn(1, a.neg_len, J, generator=g)
    sig, ts, _ = pipeline.flow_match_schedule(a.steps, L, cli.scheduler_cfg(a.model))
    times = []
    with torch.no_grad():
        for i in range(a.steps):
            t0 = time.perf_counter()
            out = pipeline.denoise_step(m, latents, pe, None, ne, None, 4.0, sig, ts, i, shape)
            latents = out["latents"]
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"median_ms": float(np.median(times)), "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
