"""Pixel check of the default model: sample colour prompts, report mean colour / hue / brightness.

  /usr/bin/python3 native-models/train/check.py                       # from the training checkpoints
  /usr/bin/python3 native-models/train/check.py --model native-models/default   # from the exported folder
  options: --steps 20 --cfg 4.0 --seeds 2 --sheet out.png --json out.json --compare-reference

Sampling follows QwenImagePipeline: FlowMatchEulerDiscreteScheduler sigmas (linspace(1, 1/N, N),
dynamic exponential shift with mu from the image sequence length, shift_terminal stretch, final 0),
timestep = sigma passed to the transformer, true-CFG with norm rescale, latents * std + mean, VAE decode.
A prompt passes when the dominant colour (most pixels nearest to it among the 9 palette colours) is the
asked background colour; for prompts with a motif colour, that colour must cover >= 3% of the pixels.
"""

from __future__ import annotations

import argparse
import colorsys
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep __pycache__ out of the reference folder
sys.path.insert(0, HERE)

import dataset as ds  # noqa: E402
import st  # noqa: E402
import tokenizer as tok  # noqa: E402
import train  # noqa: E402

# (background colour, prompt, motif colour or None)
PROMPTS = [
    ("red", "red", None), ("red", "红色", None), ("red", "red gradient background", None), ("red", "红色渐变背景，金色圆点", "gold"),
    ("blue", "blue", None), ("blue", "蓝色", None), ("blue", "blue background with white waves", "white"), ("blue", "蓝色背景", None),
    ("gold", "gold", None), ("gold", "金色", None), ("gold", "gold paper texture background", None), ("gold", "金色纯背景", None),
    ("green", "green", None), ("green", "绿色", None), ("green", "green radial gradient background", None), ("green", "绿色背景，白色山峦", "white"),
    ("black", "black", None), ("black", "黑色", None), ("black", "black background with gold city skyline", "gold"), ("black", "黑色背景", None),
    ("white", "white", None), ("white", "白色", None), ("white", "white plain background with red frame", "red"), ("white", "白色纸纹背景", None),
    ("purple", "purple", None), ("purple", "紫色", None), ("orange", "orange", None), ("orange", "橙色", None), ("pink", "pink", None), ("pink", "粉色", None),
]
MOTIF_MIN_SHARE = 0.03


def calculate_shift(seq_len, base_seq_len=256, max_seq_len=8192, base_shift=0.5, max_shift=0.9):
    m = (max_shift - base_shift) / (max_seq_len - base_seq_len)
    return seq_len * m + (base_shift - m * base_seq_len)


def sigmas_for(steps: int, seq_len: int, shift_terminal: float = 0.02) -> np.ndarray:
    s = np.linspace(1.0, 1.0 / steps, steps)
    mu = calculate_shift(seq_len)
    s = math.exp(mu) / (math.exp(mu) + (1.0 / s - 1.0))
    one_minus = 1.0 - s
    s = 1.0 - one_minus / (one_minus[-1] / (1.0 - shift_terminal))
    return np.append(s, 0.0).astype(np.float32)


class Model:
    def __init__(self, model_dir: str | None, work: str, use_ema: bool = True):
        if model_dir:
            tdir = os.path.join(model_dir, "tokenizer")
            pj = json.load(open(os.path.join(model_dir, "prompt.json"), encoding="utf-8"))
            self.template, self.drop = pj["template"], pj["dropTokens"]
            vcfg = json.load(open(os.path.join(model_dir, "vae", "config.json")))
            tcfg = json.load(open(os.path.join(model_dir, "transformer", "config.json")))
            ecfg = json.load(open(os.path.join(model_dir, "text_encoder", "config.json")))
            self.vae = train.build_vae({k: vcfg[k] for k in train.VAE_CONFIG})
            self.vae.load_state_dict(st.load(os.path.join(model_dir, "vae", "diffusion_pytorch_model.safetensors")))
            self.tr = train.build_transformer({k: tcfg[k] for k in train.TRANSFORMER_CONFIG})
            self.tr.load_state_dict(st.load(os.path.join(model_dir, "transformer", "diffusion_pytorch_model.safetensors")))
            self.te_cfg = {k: ecfg[k] for k in train.TEXT_CONFIG}
            self.te = train.build_text_encoder(self.te_cfg)
            sd = st.load(os.path.join(model_dir, "text_encoder", "model.safetensors"))
            own = self.te.state_dict()
            if not any(k.startswith("model.") for k in own):
                sd = {k[len("model."):]: v for k, v in sd.items()}
            self.te.load_state_dict(sd)
            self.mean = torch.tensor(vcfg["latents_mean"]).view(1, -1, 1, 1)
            self.std = torch.tensor(vcfg["latents_std"]).view(1, -1, 1, 1)
        else:
            tdir = os.path.join(work, "tokenizer")
            vst = torch.load(os.path.join(work, "vae.pt"))
            dst = torch.load(os.path.join(work, "dit.pt"))
            self.template, self.drop = dst["template"], dst["drop"]
            self.vae = train.build_vae(vst["config"])
            dec_path = os.path.join(work, "vae_dec.pt")
            self.vae.load_state_dict(torch.load(dec_path)["model"] if os.path.exists(dec_path) else vst["model"])
            self.tr = train.build_transformer(dst["transformer_config"])
            self.tr.load_state_dict(dst["ema_tr"] if use_ema else dst["tr"])
            self.te_cfg = dst["text_config"]
            self.te = train.build_text_encoder(dst["text_config"])
            sd = dict(dst["ema_te"] if use_ema else dst["te"])
            sd.setdefault("lm_head.weight", sd["model.embed_tokens.weight"].clone())  # unused by text-to-image
            self.te.load_state_dict(sd)
            self.mean = torch.tensor(vst["latents_mean"]).view(1, -1, 1, 1)
            self.std = torch.tensor(vst["latents_std"]).view(1, -1, 1, 1)
            self.step = dst["step"]
        self.bpe = tok.BPE.load(tdir)
        for m in (self.vae, self.tr, self.te):
            m.eval()

    @torch.no_grad()
    def embed(self, text: str) -> torch.Tensor:
        ids = torch.tensor([self.bpe.encode(self.template.format(text))])
        return train.text_hidden(self.te, ids, self.drop)

    @torch.no_grad()
    def sample(self, prompt: str, seed: int, steps: int = 20, cfg: float = 4.0, size: int = 64) -> np.ndarray:
        lh = lw = size // 8
        g = torch.Generator().manual_seed(seed)
        x = train.patchify(torch.randn(1, 16, lh, lw, generator=g))
        pos = self.embed(prompt)
        neg = self.embed(train.NEGATIVE_PROMPT)
        sig = sigmas_for(steps, x.shape[1])
        for i in range(steps):
            s = torch.tensor([float(sig[i])])
            v = train.transformer_forward(self.tr, x, pos, s, lh, lw)
            if cfg > 1.0:
                vn = train.transformer_forward(self.tr, x, neg, s, lh, lw)
                comb = vn + cfg * (v - vn)
                v = comb * (v.norm(dim=-1, keepdim=True) / comb.norm(dim=-1, keepdim=True))
            x = x + (float(sig[i + 1]) - float(sig[i])) * v
        z = train.unpatchify(x, lh, lw) * self.std + self.mean
        img = train.vae_decode(self.vae, z, clamp=True)[0]
        return ((img.permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1)


PALETTE = {k: np.array(v[2], dtype=np.float32) / 255 for k, v in ds.COLOURS.items()}


def nearest_colour(rgb: np.ndarray) -> str:
    return min(PALETTE, key=lambda k: float(((PALETTE[k] - rgb) ** 2).sum()))


def colour_shares(img: np.ndarray) -> dict[str, float]:
    """Share of pixels whose nearest palette colour is each name."""
    names = list(PALETTE)
    pal = np.stack([PALETTE[k] for k in names])
    d = ((img.reshape(-1, 1, 3) - pal[None]) ** 2).sum(-1)
    lab = d.argmin(1)
    return {names[i]: float((lab == i).mean()) for i in range(len(names))}


def compare_reference(m: Model) -> bool:
    """Load the trained weights into native-models/qwen-image/reference/models.py (helper B's independent
    reference: QwenImageTransformer, Qwen2TextEncoder, QwenImageVAE) and compare outputs with the modules
    check.py samples with (the transformer/text encoder ARE the reference; the VAE is vae2d.py)."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "qwen-image", "reference"))
    import models as ref  # type: ignore

    torch.manual_seed(0)
    ok = True
    results = []
    with torch.no_grad():
        r = ref.QwenImageTransformer(dict(train.TRANSFORMER_CONFIG))
        r.load_state_dict(m.tr.state_dict())
        r.eval()
        x, txt, s = torch.randn(2, 16, 64), torch.randn(2, 9, 64), torch.tensor([0.7, 0.2])
        results.append(("transformer", train.transformer_forward(m.tr, x, txt, s, 8, 8), r(x, txt, s, (1, 4, 4))))
        ecfg = {k: v for k, v in m.te_cfg.items()}
        r = ref.Qwen2TextEncoder(ecfg)
        sd = dict(m.te.state_dict())
        sd.setdefault("lm_head.weight", sd["model.embed_tokens.weight"].clone())
        r.load_state_dict(sd)
        r.eval()
        ids = torch.tensor([m.bpe.encode(m.template.format("red gradient background with gold dots"))])
        results.append(("text_encoder", train.text_hidden(m.te, ids, 0), r(ids)))
        r = ref.QwenImageVAE(dict(train.VAE_CONFIG))
        r.load_state_dict(m.vae.state_dict())
        r.eval()
        z = torch.randn(2, 16, 8, 8)
        results.append(("vae.decode", train.vae_decode(m.vae, z), r.decode(z.unsqueeze(2))[:, :, 0]))
        img = torch.rand(2, 3, 64, 64) * 2 - 1
        results.append(("vae.encode_mean", train.vae_encode_stats(m.vae, img)[0], r.encode_mean(img.unsqueeze(2))[:, :, 0]))
    for name, a, b in results:
        d = float((a - b).abs().max())
        good = d <= 1e-4 * max(1.0, float(a.abs().max()))
        ok &= good
        print(f"compare-reference: {name:16s} max|diff| {d:.3e} (max|out| {float(a.abs().max()):.3f}) {'OK' if good else 'MISMATCH'}")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="", help="exported folder (default: training checkpoints)")
    ap.add_argument("--work", default=train.DEFAULT_WORK)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--cfg", type=float, default=4.0)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--no-ema", action="store_true")
    ap.add_argument("--sheet", default="", help="PNG contact sheet (needs PIL)")
    ap.add_argument("--json", default="")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--compare-reference", action="store_true")
    ap.add_argument("--quick", action="store_true", help="only the bare colour words")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    m = Model(args.model or None, args.work, not args.no_ema)
    if args.compare_reference:
        compare_reference(m)
        return
    prompts = [p for p in PROMPTS if not args.quick or p[2] is None and len(p[1].split()) == 1 and len(p[1]) <= 6]
    rows = []
    imgs = []
    ok = 0
    motif_ok = motif_n = 0
    for want, prompt, motif in prompts:
        for seed in range(args.seeds):
            img = m.sample(prompt, seed, args.steps, args.cfg)
            imgs.append(img)
            rgb = img.reshape(-1, 3).mean(0)
            hh, ll, ss = colorsys.rgb_to_hls(*rgb.tolist())
            shares = colour_shares(img)
            got = max(shares, key=shares.get)  # dominant (background) colour
            ok += got == want
            row = {"prompt": prompt, "want": want, "seed": seed, "mean_rgb": [round(float(c), 3) for c in rgb],
                   "hue_deg": round(hh * 360, 1), "lightness": round(ll, 3), "saturation": round(ss, 3),
                   "dominant": got, "dominant_share": round(shares[got], 3), "pass": got == want}
            extra = ""
            if motif is not None:
                motif_n += 1
                share = shares[motif]
                row["motif"], row["motif_share"], row["motif_pass"] = motif, round(share, 3), share >= MOTIF_MIN_SHARE
                motif_ok += share >= MOTIF_MIN_SHARE
                extra = f" motif {motif} {share:.2f} {'ok' if share >= MOTIF_MIN_SHARE else 'miss'}"
            rows.append(row)
            print(f"{prompt:42s} seed {seed}: rgb {rgb.round(2)} hue {hh*360:5.1f} L {ll:.2f} S {ss:.2f} -> {got:6s} "
                  f"{shares[got]:.2f} {'OK' if got == want else 'MISS'}{extra}", flush=True)
    total = len(rows)
    print(f"background colour accuracy: {ok}/{total}; motif colour present (>= {MOTIF_MIN_SHARE:.0%} of pixels): {motif_ok}/{motif_n}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"step": getattr(m, "step", None), "steps": args.steps, "cfg": args.cfg, "accuracy": f"{ok}/{total}", "motif_accuracy": f"{motif_ok}/{motif_n}",
                       "rows": rows}, f, ensure_ascii=False, indent=1)
    if args.sheet:
        from PIL import Image

        cols = args.seeds * 4
        rws = (len(imgs) + cols - 1) // cols
        sheet = np.zeros((rws * 64, cols * 64, 3), dtype=np.uint8)
        for i, im in enumerate(imgs):
            r, c = divmod(i, cols)
            sheet[r * 64 : (r + 1) * 64, c * 64 : (c + 1) * 64] = (im * 255).astype(np.uint8)
        Image.fromarray(sheet).save(args.sheet)


if __name__ == "__main__":
    main()
