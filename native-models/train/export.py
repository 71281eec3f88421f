"""Export the trained checkpoints to the diffusers-layout folder native-models/default/.

  /usr/bin/python3 native-models/train/export.py [--work native-models/train/_work] [--out native-models/default]
                                                 [--dtype fp32|fp16] [--no-ema]

Writes model_index.json, scheduler/, transformer/, text_encoder/, vae/ (configs + safetensors),
tokenizer/ (vocab.json, merges.txt, tokenizer_config.json), prompt.json (template, dropTokens,
negative prompt, native size), MODEL_CARD.md and LICENSE.
The app's importer writes model.json (our manifest) from this folder.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep __pycache__ out of the reference folder
sys.path.insert(0, HERE)

import st  # noqa: E402
import tokenizer as tok  # noqa: E402
import train  # noqa: E402  (puts the reference modules on sys.path)
import pipeline as ref_pipeline  # noqa: E402

DIFFUSERS_VERSION = "0.35.0"

# Qwen-Image's scheduler config, as the reference defines it.
SCHEDULER_CONFIG = {**ref_pipeline.SCHEDULER_CONFIG, "_diffusers_version": DIFFUSERS_VERSION}

MODEL_INDEX = {
    "_class_name": "QwenImagePipeline",
    "_diffusers_version": DIFFUSERS_VERSION,
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
    "text_encoder": ["transformers", "Qwen2Model"],
    "tokenizer": ["transformers", "Qwen2Tokenizer"],
    "transformer": ["diffusers", "QwenImageTransformer2DModel"],
    "vae": ["diffusers", "AutoencoderKLQwenImage"],
}


def text_encoder_state(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """HF names: model.embed_tokens.weight, model.layers.{i}..., model.norm.weight."""
    out = {}
    for k, v in sd.items():
        out[k if k.startswith("model.") or k.startswith("lm_head.") else "model." + k] = v
    # lm_head is not used for text-to-image; kept (tied copy if absent) so HF-style loaders load strictly
    out.setdefault("lm_head.weight", out["model.embed_tokens.weight"].clone())
    return out


def write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def cast(sd: dict[str, torch.Tensor], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    return {k: (v.to(dtype) if v.dtype.is_floating_point else v) for k, v in sd.items()}


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def last_row(path: str) -> dict:
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return rows[-1] if rows else {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=train.DEFAULT_WORK)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "default"))
    ap.add_argument("--dtype", choices=["fp32", "fp16"], default="fp32")
    ap.add_argument("--no-ema", action="store_true")
    ap.add_argument("--no-dec", action="store_true", help="ignore the decoder fine-tune (vae_dec.pt)")
    ap.add_argument("--check-json", default="", help="check.py --json output to quote in the model card")
    args = ap.parse_args()
    dtype = torch.float16 if args.dtype == "fp16" else torch.float32
    out = args.out
    os.makedirs(out, exist_ok=True)

    vst = torch.load(os.path.join(args.work, "vae.pt"))
    dec_path = os.path.join(args.work, "vae_dec.pt")
    dec = torch.load(dec_path) if os.path.exists(dec_path) and not args.no_dec else None
    if dec is not None:
        if dec["encoder_step"] != vst["step"] or dec["latents_mean"] != vst["latents_mean"]:
            raise SystemExit("vae_dec.pt was fine-tuned from another VAE checkpoint")
        print(f"using decoder fine-tune ({dec['step']} steps, rec L1 {dec['rec_l1']:.4f})")
    dst = torch.load(os.path.join(args.work, "dit.pt"))
    te_sd = dst["te"] if args.no_ema else dst["ema_te"]
    tr_sd = dst["tr"] if args.no_ema else dst["ema_tr"]

    # transformer
    os.makedirs(os.path.join(out, "transformer"), exist_ok=True)
    tcfg = dict(dst["transformer_config"])
    write_json(os.path.join(out, "transformer", "config.json"),
               {"_class_name": "QwenImageTransformer2DModel", "_diffusers_version": DIFFUSERS_VERSION, **tcfg})
    st.save(cast(tr_sd, dtype), os.path.join(out, "transformer", "diffusion_pytorch_model.safetensors"))

    # text encoder
    os.makedirs(os.path.join(out, "text_encoder"), exist_ok=True)
    ecfg = dict(dst["text_config"])
    write_json(os.path.join(out, "text_encoder", "config.json"), {
        "architectures": ["Qwen2Model"],
        "model_type": "qwen2",
        "attention_dropout": 0.0,
        "bos_token_id": None,
        "eos_token_id": None,
        "hidden_act": ecfg["hidden_act"],
        "hidden_size": ecfg["hidden_size"],
        "initializer_range": 0.02,
        "intermediate_size": ecfg["intermediate_size"],
        "max_position_embeddings": ecfg["max_position_embeddings"],
        "num_attention_heads": ecfg["num_attention_heads"],
        "num_hidden_layers": ecfg["num_hidden_layers"],
        "num_key_value_heads": ecfg["num_key_value_heads"],
        "rms_norm_eps": ecfg["rms_norm_eps"],
        "rope_theta": ecfg["rope_theta"],
        "tie_word_embeddings": False,
        "torch_dtype": "float16" if args.dtype == "fp16" else "float32",
        "use_sliding_window": False,
        "vocab_size": ecfg["vocab_size"],
    })
    st.save(cast(text_encoder_state(te_sd), dtype), os.path.join(out, "text_encoder", "model.safetensors"))

    # vae
    os.makedirs(os.path.join(out, "vae"), exist_ok=True)
    vcfg = dict(vst["config"])
    write_json(os.path.join(out, "vae", "config.json"), {
        "_class_name": "AutoencoderKLQwenImage", "_diffusers_version": DIFFUSERS_VERSION,
        "attn_scales": vcfg["attn_scales"], "base_dim": vcfg["base_dim"], "dim_mult": vcfg["dim_mult"],
        "dropout": vcfg["dropout"], "input_channels": 3,
        "latents_mean": [round(v, 6) for v in vst["latents_mean"]],
        "latents_std": [round(v, 6) for v in vst["latents_std"]],
        "num_res_blocks": vcfg["num_res_blocks"], "temperal_downsample": vcfg["temperal_downsample"], "z_dim": vcfg["z_dim"],
    })
    st.save(cast((dec or vst)["model"], dtype), os.path.join(out, "vae", "diffusion_pytorch_model.safetensors"))

    # scheduler, index
    os.makedirs(os.path.join(out, "scheduler"), exist_ok=True)
    write_json(os.path.join(out, "scheduler", "scheduler_config.json"), SCHEDULER_CONFIG)
    write_json(os.path.join(out, "model_index.json"), MODEL_INDEX)

    # tokenizer
    tdir = os.path.join(out, "tokenizer")
    os.makedirs(tdir, exist_ok=True)
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(args.work, "tokenizer", name), os.path.join(tdir, name))
    bpe = tok.BPE.load(tdir)
    drop = tok.drop_tokens(bpe, dst["template"])
    if drop != dst["drop"]:
        raise SystemExit(f"dropTokens mismatch: {drop} vs training {dst['drop']}")

    write_json(os.path.join(out, "prompt.json"), {
        "template": dst["template"],
        "dropTokens": drop,
        "negativePrompt": train.NEGATIVE_PROMPT,
        "nativeWidth": 64,
        "nativeHeight": 64,
        "note": "Short template (no system prompt). dropTokens = tokens of the template prefix before '{}' "
                "(<|im_start|>, 'user', '\\n') with this tokenizer.",
        "recommended": {"steps": 20, "trueCfgScale": 4.0},
    })

    # model card + licence
    vrow = last_row(os.path.join(args.work, "loss_vae.csv"))
    drow = last_row(os.path.join(args.work, "loss_dit.csv"))
    apath = os.path.join(args.work, "args_dit.json")
    targs = json.load(open(apath if os.path.exists(apath) else os.path.join(args.work, "args.json")))
    check = ""
    if args.check_json and os.path.exists(args.check_json):
        cj = json.load(open(args.check_json, encoding="utf-8"))
        lines = [f"checkpoint step {cj['step']}, {cj['steps']} Euler steps, true CFG {cj['cfg']}, seeds 0..1",
                 f"background colour (dominant palette colour) correct: {cj['accuracy']}",
                 f"motif colour present (>= 3% of pixels): {cj['motif_accuracy']}", ""]
        for r in cj["rows"]:
            mot = f"  motif {r['motif']} {r['motif_share']:.2f}{'' if r['motif_pass'] else ' MISS'}" if "motif" in r else ""
            lines.append(f"{r['prompt']:<40} s{r['seed']} hue {r['hue_deg']:5.1f} L {r['lightness']:.2f} -> "
                         f"{r['dominant']} {r['dominant_share']:.2f}{'' if r['pass'] else ' MISS'}{mot}")
        check = "\n".join(lines)
    files = []
    for root, _, names in os.walk(out):
        for n in sorted(names):
            p = os.path.join(root, n)
            if n in ("MODEL_CARD.md", "LICENSE", "model.json"):
                continue
            files.append((os.path.relpath(p, out), os.path.getsize(p)))
    total = sum(s for _, s in files)
    card = MODEL_CARD.format(
        date=datetime.date.today().isoformat(),
        vae_cfg=json.dumps(vcfg), tr_cfg=json.dumps(tcfg), te_cfg=json.dumps(ecfg),
        vae_steps=vst["step"], vae_min=vst["elapsed"] / 60, vae_l1=vrow.get("l1", "?"), vae_l2=vrow.get("l2", "?"),
        rec_l1=(dec or vst).get("rec_l1", float("nan")),
        dec_note=(f"Decoder fine-tune (encoder frozen, phase `dec`): {dec['step']} steps, {dec['elapsed']/60:.1f} min."
                  if dec else ""),
        dit_steps=dst["step"], dit_min=dst["elapsed"] / 60, dit_loss=drow.get("loss", "?"),
        n=targs["dataset_size"], seed=targs["seed"], batch=targs["batch"], vae_batch=targs["vae_batch"],
        template=json.dumps(dst["template"]), drop=drop, vocab=len(bpe.vocab),
        files="\n".join(f"| `{p}` | {s:,} |" for p, s in files), total=total / 1e6, dtype=args.dtype,
        check=check or "(run check.py --json and re-export to include)",
    )
    with open(os.path.join(out, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(card)
    with open(os.path.join(out, "LICENSE"), "w", encoding="utf-8") as f:
        f.write(LICENSE)
    for p, s in files:
        print(f"{s:>10,}  {p}")
    print(f"total {total/1e6:.2f} MB; dropTokens {drop}")


MODEL_CARD = """# Default model (tiny Qwen-Image-family poster backgrounds)

The app's bundled default model: a very small text-to-image model with the **Qwen-Image
architecture** (QwenImage MMDiT transformer, Qwen2 text decoder, Wan-style causal VAE,
flow-matching Euler scheduler), trained from scratch by `native-models/train/train.py` on a
procedural data set. It is meant as a working, offline default that follows **colour words**
(English and Chinese) and a few **motif words**; it is not a general image model.

Exported {date}, weights {dtype}.

## Data
`native-models/train/dataset.py`: {n} images drawn with numpy, 64x64 (seed {seed}), fully
deterministic. Backgrounds: plain, linear gradient, radial gradient, paper texture. Motifs:
dots, bokeh, stripes, waves, circles, triangles, city skyline, mountains, lanterns, frame.
Colours: red/红, blue/蓝, gold/金, green/绿, black/黑, white/白, purple/紫, orange/橙, pink/粉.
Captions: English ("red gradient background with gold dots") or Chinese
("红色渐变背景，金色圆点"), picked at random per sample; 15% are colour-only captions
("red", "红色", "red background", "红色背景").

## Architecture
- VAE: {vae_cfg}
- Transformer: {tr_cfg}
- Text encoder (Qwen2 decoder, last hidden state after the final norm): {te_cfg}
- Tokenizer: byte-level BPE (Qwen2 format, vocab {vocab} incl. 3 special tokens); every caption
  word / Chinese character is one token, anything else falls back to byte tokens.
- Prompt template: {template}; dropTokens = {drop} (see `prompt.json`). Negative prompt " ".
- Scheduler: Qwen-Image's FlowMatchEulerDiscreteScheduler config (dynamic shift, exponential).

## Training
- Phase A (VAE): {vae_steps} steps, batch {vae_batch}, {vae_min:.1f} min on 1 CPU thread;
  final L1 {vae_l1}, L2 {vae_l2}; reconstruction L1 with mean latents {rec_l1:.4f} (images in [-1,1]).
  latents_mean/std are per-channel statistics of the posterior means over the data set.
  {dec_note}
- Phase B (text encoder + transformer, flow matching, x_s = (1-s) x0 + s noise, v = noise - x0,
  timestep = s, logit-normal/uniform s, 10% caption dropout to " "): {dit_steps} steps, batch {batch},
  {dit_min:.1f} min on 1 CPU thread; final loss (EMA of MSE) {dit_loss}. Exported weights are the EMA.
- Modules: `native-models/qwen-image/reference/models.py` (transformer, Qwen2 decoder) and
  `native-models/train/vae2d.py` (single-frame VAE, same state_dict). The shipped transformer/text
  encoder were trained for their first 3295 steps with an equivalent stand-in (same parameter names,
  verified against the diffusers formulas) written while the reference was not yet available, and
  then resumed on the reference modules; `check.py --compare-reference` shows identical outputs in
  the reference modules (max |diff| <= 2e-6). A retrain uses the reference modules throughout; it is
  deterministic but not bit-identical to this run (different parameter initialisation order).

## Check (native-models/train/check.py)
```
{check}
```

## Files
| file | bytes |
|---|---|
{files}

Total {total:.2f} MB.

## Limits
- Native size 64x64 (latent 8x8, 16 image tokens); the engine upsamples. Larger sizes are out of
  distribution for the transformer.
- Only the caption vocabulary above is understood; other words become byte tokens the model has
  never seen (it then produces a generic background). No text rendering, no objects, no people.
- Motifs are rough at 64x64; colours are the reliable part.

## Retrain
```
nice -n 10 /usr/bin/python3 native-models/train/train.py --phase all --minutes 45   # add --resume to continue
/usr/bin/python3 native-models/train/check.py --json native-models/train/_work/check.json
/usr/bin/python3 native-models/train/export.py --check-json native-models/train/_work/check.json
```
Only torch (CPU) and numpy are needed. Training is seeded; the wall-clock budget decides the
number of steps, so use `--vae-steps/--dit-steps` for bit-exact step counts.
"""

LICENSE = """The default model in this folder (weights, configs, tokenizer files) was trained from scratch by
this project on procedurally generated images (native-models/train/dataset.py); no third-party
weights or data were used. It is our own work and is distributed under the same licence as the
rest of this repository. The architecture follows Qwen-Image (Apache-2.0) as published in diffusers.
"""


if __name__ == "__main__":
    main()
