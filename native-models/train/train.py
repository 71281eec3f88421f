"""Train the bundled default Qwen-Image-family model (tiny) on the procedural poster data set.

Phase "vae": Wan-style VAE (AutoencoderKLQwenImage layout), L1 + L2 + small KL on 64x64 images;
             then per-channel latents_mean / latents_std over the data set.
Phase "dit": Qwen2 text decoder + QwenImage transformer, rectified-flow / flow matching on
             normalised latents ((z - mean) / std): x_s = (1 - s) x0 + s noise, target v = noise - x0,
             timestep fed as s (= t / 1000, exactly like the Qwen-Image pipeline), caption dropout 10%
             (replaced by the negative prompt " ") so that classifier-free guidance works.

The modules come from native-models/qwen-image/reference/models.py (shared with the engine's
reference tests); this script only builds them with small configs and trains them.

Everything is seeded; checkpoints are resumable (--resume); losses go to <work>/loss_<phase>.csv.

  nice -n 10 /usr/bin/python3 native-models/train/train.py --phase all --minutes 45
  /usr/bin/python3 native-models/train/export.py            # writes native-models/default/
  /usr/bin/python3 native-models/train/check.py             # colour check
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True  # keep __pycache__ out of the reference folder
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "qwen-image", "reference"))

import dataset as ds  # noqa: E402
import tokenizer as tok  # noqa: E402

DEFAULT_WORK = os.path.join(HERE, "_work")

TRANSFORMER_CONFIG = {
    "patch_size": 2,
    "in_channels": 64,
    "out_channels": 16,
    "num_layers": 4,
    "attention_head_dim": 16,
    "num_attention_heads": 4,
    "joint_attention_dim": 64,
    "guidance_embeds": False,
    "axes_dims_rope": [4, 6, 6],
}
TEXT_CONFIG = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "max_position_embeddings": 1024,
    "hidden_act": "silu",
    "vocab_size": 0,  # = tokenizer size, filled in
}
VAE_CONFIG = {
    "base_dim": 16,
    "z_dim": 16,
    "dim_mult": [1, 2, 2, 2],
    "num_res_blocks": 1,
    "attn_scales": [],
    "temperal_downsample": [False, True, True],
    "dropout": 0.0,
}
NEGATIVE_PROMPT = " "


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ------------------------------------------------------------------ models (from reference)


def models_module():
    import models  # native-models/qwen-image/reference/models.py (helper B's reference modules)

    return models


def build_vae(cfg: dict):
    """Single-frame training form (vae2d.VAE2D) with AutoencoderKLQwenImage's state_dict; equal to the
    reference QwenImageVAE for T=1 (check.py --compare-reference)."""
    from vae2d import VAE2D

    return VAE2D(**cfg)


def build_text_encoder(cfg: dict):
    return models_module().Qwen2TextEncoder(dict(cfg))


def build_transformer(cfg: dict):
    return models_module().QwenImageTransformer(dict(cfg))


def vae_encode_stats(vae, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x: (B,3,H,W) in [-1,1] -> (mean, logvar), each (B,z,h,w)."""
    mean, logvar = torch.chunk(vae.encode_moments(x), 2, dim=1)
    return mean, torch.clamp(logvar, -30.0, 20.0)


def vae_decode(vae, z: torch.Tensor, clamp: bool = False) -> torch.Tensor:
    out = vae.decode_raw(z)
    return out.clamp(-1, 1) if clamp else out


# ------------------------------------------------------------------ data


def load_data(n: int, seed: int, work: str) -> tuple[np.ndarray, list[str], list[dict]]:
    path = os.path.join(work, f"data_{n}_{seed}.npz")
    if os.path.exists(path):
        d = np.load(path, allow_pickle=True)
        return d["imgs"], list(d["caps"]), list(d["metas"])
    imgs, caps, metas = ds.make_dataset(n, seed)
    u8 = ((imgs + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    np.savez(path, imgs=u8, caps=np.array(caps, dtype=object), metas=np.array(metas, dtype=object))
    return u8, caps, metas


def to_float(u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(u8.astype(np.float32) / 127.5 - 1.0)


def make_tokenizer(work: str) -> tok.BPE:
    en, zh = ds.all_caption_words()
    vocab, merges, bpe = tok.build(en, zh)
    tok.write(os.path.join(work, "tokenizer"), vocab, merges)
    return bpe


def encode_prompt_ids(bpe: tok.BPE, text: str) -> list[int]:
    return bpe.encode(tok.TEMPLATE.format(text))


def text_hidden(te, ids: torch.Tensor, drop: int) -> torch.Tensor:
    """Last hidden state (after the final norm) of the Qwen2 decoder, template prefix dropped."""
    out = te(ids)
    if isinstance(out, (tuple, list)):
        out = out[0]
    if hasattr(out, "last_hidden_state"):
        out = out.last_hidden_state
    return out[:, drop:]


def patchify(z: torch.Tensor) -> torch.Tensor:
    """(B,16,h,w) -> (B, h/2*w/2, 64), same packing as QwenImagePipeline._pack_latents."""
    b, c, h, w = z.shape
    z = z.view(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5)
    return z.reshape(b, (h // 2) * (w // 2), c * 4)


def unpatchify(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    b, _, d = x.shape
    c = d // 4
    x = x.view(b, h // 2, w // 2, c, 2, 2).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(b, c, h, w)


def transformer_forward(tr, x: torch.Tensor, txt: torch.Tensor, s: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """x: packed latents (B, h/2*w/2, 64); txt: text hidden states (B, L, H) without padding; s: sigma (B,)."""
    return tr(x, txt, s, (1, h // 2, w // 2))


# ------------------------------------------------------------------ checkpoints / logging


def save_ckpt(path: str, state: dict) -> None:
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


class LossLog:
    def __init__(self, path: str, fields: list[str]):
        self.path = path
        new = not os.path.exists(path)
        self.f = open(path, "a", newline="")
        self.w = csv.writer(self.f)
        if new:
            self.w.writerow(fields)

    def row(self, *vals) -> None:
        self.w.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in vals])
        self.f.flush()


# ------------------------------------------------------------------ phase A: VAE


def train_vae(args, work: str, imgs: np.ndarray) -> None:
    ckpt_path = os.path.join(work, "vae.pt")
    vae = build_vae(VAE_CONFIG)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, weight_decay=0.0)
    step, elapsed = 0, 0.0
    if args.resume and os.path.exists(ckpt_path):
        st = torch.load(ckpt_path)
        vae.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
        torch.set_rng_state(st["torch_rng"])
        np.random.set_state(st["np_rng"])
        print(f"[vae] resumed at step {step}, {elapsed/60:.1f} min", flush=True)
        if st.get("done"):
            return
    nparams = sum(p.numel() for p in vae.parameters())
    print(f"[vae] params {nparams}", flush=True)
    log = LossLog(os.path.join(work, "loss_vae.csv"), ["step", "minutes", "l1", "l2", "kl", "lr"])
    budget = args.vae_minutes * 60
    t0 = time.time() - elapsed
    n = imgs.shape[0]
    ema = None
    while True:
        elapsed = time.time() - t0
        if elapsed > budget or step >= args.vae_steps:
            break
        lr = args.vae_lr * min(1.0, (step + 1) / 100) * (0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / budget))) * 0.9 + 0.1)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = np.random.randint(0, n, size=args.vae_batch)
        x = to_float(imgs[idx])
        if np.random.rand() < 0.5:
            x = x.flip(3)
        mean, logvar = vae_encode_stats(vae, x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        rec = vae_decode(vae, z)
        l1 = (rec - x).abs().mean()
        l2 = ((rec - x) ** 2).mean()
        kl = 0.5 * (mean**2 + logvar.exp() - 1 - logvar).mean()
        loss = l1 + l2 + args.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        step += 1
        cur = (l1.item(), l2.item(), kl.item())
        ema = cur if ema is None else tuple(0.95 * a + 0.05 * b for a, b in zip(ema, cur))
        if step % 10 == 0:
            log.row(step, elapsed / 60, ema[0], ema[1], ema[2], lr)
        if step % 50 == 0:
            print(f"[vae] step {step} {elapsed/60:.1f}min l1 {ema[0]:.4f} l2 {ema[1]:.4f} kl {ema[2]:.3f}", flush=True)
        if step % 200 == 0:
            save_ckpt(ckpt_path, {"model": vae.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": time.time() - t0,
                                  "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state(), "config": VAE_CONFIG})
    # latent statistics over the data set (posterior means)
    vae.eval()
    zs = []
    with torch.no_grad():
        for i in range(0, min(n, 4000), 100):
            m, _ = vae_encode_stats(vae, to_float(imgs[i : i + 100]))
            zs.append(m)
        z = torch.cat(zs)
        lat_mean = z.mean(dim=(0, 2, 3))
        lat_std = z.std(dim=(0, 2, 3))
        rec = vae_decode(vae, zs[0], clamp=True)
        rec_l1 = (rec - to_float(imgs[:100])).abs().mean().item()
    print(f"[vae] done: step {step}, rec L1 (mean latent) {rec_l1:.4f}", flush=True)
    print(f"[vae] latents_mean {[round(v, 4) for v in lat_mean.tolist()]}", flush=True)
    print(f"[vae] latents_std  {[round(v, 4) for v in lat_std.tolist()]}", flush=True)
    save_ckpt(ckpt_path, {"model": vae.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": time.time() - t0,
                          "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state(), "config": VAE_CONFIG,
                          "done": True, "latents_mean": lat_mean.tolist(), "latents_std": lat_std.tolist(), "rec_l1": rec_l1})


def train_decoder(args, work: str, imgs: np.ndarray) -> None:
    """Phase "dec": fine-tune decoder + post_quant_conv with the encoder frozen (the latent space, its
    statistics and the trained transformer stay valid). Saves vae_dec.pt; export.py prefers it."""
    src = torch.load(os.path.join(work, "vae.pt"))
    ckpt_path = os.path.join(work, "vae_dec.pt")
    vae = build_vae(VAE_CONFIG)
    vae.load_state_dict(src["model"])
    dec_params = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    for p in vae.parameters():
        p.requires_grad_(False)
    for p in dec_params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(dec_params, lr=args.vae_lr * 0.5, weight_decay=0.0)
    step, elapsed = 0, 0.0
    if args.resume and os.path.exists(ckpt_path):
        st = torch.load(ckpt_path)
        vae.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
    log = LossLog(os.path.join(work, "loss_dec.csv"), ["step", "minutes", "l1", "l2", "lr"])
    budget = args.dec_minutes * 60
    t0 = time.time() - elapsed
    n = imgs.shape[0]
    ema = None

    def save() -> None:
        save_ckpt(ckpt_path, {"model": vae.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": time.time() - t0,
                              "config": VAE_CONFIG, "latents_mean": src["latents_mean"], "latents_std": src["latents_std"],
                              "encoder_step": src["step"], "rec_l1": rec_l1})

    rec_l1 = float("nan")
    while time.time() - t0 < budget:
        elapsed = time.time() - t0
        lr = args.vae_lr * 0.5 * (0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / budget))) * 0.9 + 0.1)
        for g in opt.param_groups:
            g["lr"] = lr
        x = to_float(imgs[np.random.randint(0, n, size=args.vae_batch)])
        with torch.no_grad():
            mean, logvar = vae_encode_stats(vae, x)
            z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean) * (0.0 if np.random.rand() < 0.5 else 1.0)
        rec = vae_decode(vae, z)
        l1 = (rec - x).abs().mean()
        l2 = ((rec - x) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        (l1 + l2).backward()
        torch.nn.utils.clip_grad_norm_(dec_params, 1.0)
        opt.step()
        step += 1
        ema = (l1.item(), l2.item()) if ema is None else (0.95 * ema[0] + 0.05 * l1.item(), 0.95 * ema[1] + 0.05 * l2.item())
        if step % 10 == 0:
            log.row(step, elapsed / 60, ema[0], ema[1], lr)
        if step % 50 == 0:
            print(f"[dec] step {step} {elapsed/60:.1f}min l1 {ema[0]:.4f} l2 {ema[1]:.4f}", flush=True)
        if step % 200 == 0:
            save()
    with torch.no_grad():
        m, _ = vae_encode_stats(vae, to_float(imgs[:100]))
        rec_l1 = (vae_decode(vae, m, clamp=True) - to_float(imgs[:100])).abs().mean().item()
    save()
    print(f"[dec] done: step {step}, rec L1 (mean latent) {rec_l1:.4f}", flush=True)


# ------------------------------------------------------------------ phase B: text encoder + transformer


def encode_latents(work: str, imgs: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior mean and std of every image (cached)."""
    path = os.path.join(work, "latents.pt")
    st = torch.load(os.path.join(work, "vae.pt"))
    if os.path.exists(path):
        d = torch.load(path)
        if d.get("vae_step") == st["step"]:
            return d["mean"], d["std"]
    vae = build_vae(VAE_CONFIG)
    vae.load_state_dict(st["model"])
    vae.eval()
    ms, ss = [], []
    with torch.no_grad():
        for i in range(0, imgs.shape[0], 200):
            m, lv = vae_encode_stats(vae, to_float(imgs[i : i + 200]))
            ms.append(m)
            ss.append(torch.exp(0.5 * lv))
    mean, std = torch.cat(ms), torch.cat(ss)
    torch.save({"mean": mean, "std": std, "vae_step": st["step"]}, path)
    return mean, std


def train_dit(args, work: str, imgs: np.ndarray, caps: list[str]) -> None:
    bpe = make_tokenizer(work)
    drop = tok.drop_tokens(bpe)
    vst = torch.load(os.path.join(work, "vae.pt"))
    lat_mean = torch.tensor(vst["latents_mean"]).view(1, -1, 1, 1)
    lat_std = torch.tensor(vst["latents_std"]).view(1, -1, 1, 1)
    zmean, zstd = encode_latents(work, imgs)
    n = zmean.shape[0]
    h, w = zmean.shape[2], zmean.shape[3]

    ids_all = [encode_prompt_ids(bpe, c) for c in caps]
    neg_ids = encode_prompt_ids(bpe, NEGATIVE_PROMPT)
    buckets: dict[int, list[int]] = {}
    for i, ids in enumerate(ids_all):
        buckets.setdefault(len(ids), []).append(i)
    keys = sorted(buckets)
    weights = np.array([len(buckets[k]) for k in keys], dtype=np.float64)
    weights /= weights.sum()

    tcfg = dict(TEXT_CONFIG, vocab_size=len(bpe.vocab))
    te = build_text_encoder(tcfg)
    tr = build_transformer(TRANSFORMER_CONFIG)
    # lm_head (present in the reference Qwen2TextEncoder) is unused by text-to-image: not trained
    params = [p for n, p in te.named_parameters() if not n.startswith("lm_head.")] + list(tr.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ema_te = {k: v.detach().clone() for k, v in te.state_dict().items()}
    ema_tr = {k: v.detach().clone() for k, v in tr.state_dict().items()}
    ckpt_path = os.path.join(work, "dit.pt")
    step, elapsed = 0, 0.0
    if args.resume and os.path.exists(ckpt_path):
        st = torch.load(ckpt_path)
        for sd in (st["te"], st["ema_te"]):
            if "lm_head.weight" not in sd and "lm_head.weight" in ema_te:
                sd["lm_head.weight"] = ema_te["lm_head.weight"].clone()
        te.load_state_dict(st["te"])
        tr.load_state_dict(st["tr"])
        ema_te, ema_tr = st["ema_te"], st["ema_tr"]
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
        torch.set_rng_state(st["torch_rng"])
        np.random.set_state(st["np_rng"])
        print(f"[dit] resumed at step {step}, {elapsed/60:.1f} min", flush=True)
    print(f"[dit] text encoder params {sum(p.numel() for p in te.parameters())}, transformer params "
          f"{sum(p.numel() for p in tr.parameters())}, latent {h}x{w}, dropTokens {drop}", flush=True)
    log = LossLog(os.path.join(work, "loss_dit.csv"), ["step", "minutes", "loss", "lr"])
    budget = args.dit_minutes * 60
    t0 = time.time() - elapsed
    ema_loss = None

    def save(final: bool = False) -> None:
        save_ckpt(ckpt_path, {"te": te.state_dict(), "tr": tr.state_dict(), "ema_te": ema_te, "ema_tr": ema_tr,
                              "opt": opt.state_dict(), "step": step, "elapsed": time.time() - t0,
                              "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state(),
                              "text_config": tcfg, "transformer_config": TRANSFORMER_CONFIG, "drop": drop,
                              "template": tok.TEMPLATE, "loss": ema_loss, "final": final})

    while True:
        elapsed = time.time() - t0
        if elapsed > budget or step >= args.dit_steps:
            break
        frac = min(1.0, elapsed / budget)
        lr = args.lr * min(1.0, (step + 1) / 200) * (0.5 * (1 + math.cos(math.pi * frac)) * 0.9 + 0.1)
        for g in opt.param_groups:
            g["lr"] = lr
        b = args.batch
        if np.random.rand() < args.cfg_drop:
            idx = np.random.randint(0, n, size=b)
            ids = torch.tensor([neg_ids] * b)
        else:
            k = keys[np.random.choice(len(keys), p=weights)]
            pool = buckets[k]
            idx = np.array([pool[j] for j in np.random.randint(0, len(pool), size=b)])
            ids = torch.tensor([ids_all[i] for i in idx])
        z = zmean[idx] + zstd[idx] * torch.randn_like(zmean[idx])
        x0 = patchify((z - lat_mean) / lat_std)
        noise = torch.randn_like(x0)
        s = torch.sigmoid(torch.randn(b) * 1.0 + 0.0) if np.random.rand() < 0.8 else torch.rand(b)
        xs = (1 - s[:, None, None]) * x0 + s[:, None, None] * noise
        txt = text_hidden(te, ids, drop)
        v = transformer_forward(tr, xs, txt, s, h, w)
        loss = F.mse_loss(v, noise - x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        with torch.no_grad():
            d = min(args.ema, (1 + step) / (10 + step))
            for src, dst in ((te.state_dict(), ema_te), (tr.state_dict(), ema_tr)):
                for kk, vv in src.items():
                    if vv.dtype.is_floating_point:
                        dst[kk].mul_(d).add_(vv.detach(), alpha=1 - d)
        ema_loss = loss.item() if ema_loss is None else 0.98 * ema_loss + 0.02 * loss.item()
        if step % 20 == 0:
            log.row(step, elapsed / 60, ema_loss, lr)
        if step % 100 == 0:
            print(f"[dit] step {step} {elapsed/60:.1f}min loss {ema_loss:.4f} lr {lr:.2e}", flush=True)
        if step % 500 == 0:
            save()
    save(final=True)
    print(f"[dit] done: step {step}, loss {ema_loss}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phase", choices=["vae", "dit", "dec", "all"], default="all",
                    help="all = vae then dit; dec = optional decoder-only fine-tune (encoder frozen)")
    ap.add_argument("--work", default=DEFAULT_WORK, help="checkpoints, caches and loss logs")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--dataset-size", type=int, default=12000)
    ap.add_argument("--minutes", type=float, default=45.0, help="total wall-clock budget (split vae/dit)")
    ap.add_argument("--vae-minutes", type=float, default=0.0, help="default: 30%% of --minutes")
    ap.add_argument("--vae-steps", type=int, default=10**9)
    ap.add_argument("--vae-batch", type=int, default=16)
    ap.add_argument("--vae-lr", type=float, default=1e-3)
    ap.add_argument("--kl-weight", type=float, default=1e-5)
    ap.add_argument("--dec-minutes", type=float, default=20.0)
    ap.add_argument("--dit-minutes", type=float, default=0.0, help="default: the rest of --minutes")
    ap.add_argument("--dit-steps", type=int, default=10**9)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--cfg-drop", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    if args.vae_minutes <= 0:
        args.vae_minutes = args.minutes * 0.3
    if args.dit_minutes <= 0:
        args.dit_minutes = max(1.0, args.minutes - args.vae_minutes)
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    seed_all(args.seed)
    with open(os.path.join(args.work, f"args_{args.phase}.json"), "w") as f:
        json.dump(vars(args), f, indent=2)
    imgs, caps, _ = load_data(args.dataset_size, args.seed, args.work)
    print(f"data: {imgs.shape[0]} images, e.g. {caps[:3]}", flush=True)
    if args.phase in ("vae", "all"):
        seed_all(args.seed + 1)
        train_vae(args, args.work, imgs)
    if args.phase in ("dit", "all"):
        seed_all(args.seed + 2)
        train_dit(args, args.work, imgs, caps)
    if args.phase == "dec":
        seed_all(args.seed + 3)
        train_decoder(args, args.work, imgs)


if __name__ == "__main__":
    main()
