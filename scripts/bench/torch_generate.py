"""Times a whole text-to-image job of the PyTorch reference (text encoder, the denoising loop
with true CFG, VAE decode) on a model folder at a latent size, for scripts/bench/default-model.ts.
Token ids come from the engine's tokenizer so both sides encode the same tokens. Prints JSON."""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../native-models/qwen-image/reference"))
import cli  # noqa: E402
import pipeline  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--neg-ids", required=True)
    p.add_argument("--drop", type=int, required=True)
    p.add_argument("--size", type=int, required=True, help="pixels per side the model generates at")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--cfg", type=float, default=4.0)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    te, tr, vae = cli.load_text_encoder(a.model), cli.load_transformer(a.model), cli.load_vae(a.model)
    h = a.size // 16
    t0 = time.perf_counter()
    with torch.no_grad():
        def enc(ids: str) -> torch.Tensor:
            x = te(torch.tensor([[int(i) for i in ids.split(",")]]))
            return x[:, a.drop :]

        pe, ne = enc(a.ids), enc(a.neg_ids)
        latents = torch.randn(1, h * h, tr.img_in.in_features, generator=torch.Generator().manual_seed(1))
        sig, ts, _ = pipeline.flow_match_schedule(a.steps, h * h, cli.scheduler_cfg(a.model))
        for i in range(a.steps):
            latents = pipeline.denoise_step(tr, latents, pe, None, ne, None, a.cfg, sig, ts, i, (1, h, h))["latents"]
        z = pipeline.unpack_latents(latents, 2 * h, 2 * h)
        z = pipeline.denormalize_latents(z, vae.cfg["latents_mean"], vae.cfg["latents_std"])
        vae.decode(z)
    print(json.dumps({"seconds": time.perf_counter() - t0, "threads": a.threads}))


if __name__ == "__main__":
    main()
