"""Command line for the Qwen-Image PyTorch reference. Run with /usr/bin/python3 (torch 1.13, numpy).

  python3 cli.py make-tiny     --out DIR [--seed N] [--bf16]
  python3 cli.py transformer   --model DIR --inputs in.safetensors --out out.safetensors
  python3 cli.py text-encoder  --model DIR --inputs in.safetensors --out out.safetensors
  python3 cli.py vae           --model DIR --inputs in.safetensors --out out.safetensors
  python3 cli.py vae-encode    --model DIR --inputs in.safetensors --out out.safetensors
  python3 cli.py scheduler     --steps N --image-seq-len L --out out.safetensors [--model DIR]
  python3 cli.py step          --model DIR --inputs in.safetensors --out out.safetensors
  python3 cli.py denoise       --model DIR --inputs in.safetensors --out out.safetensors

Every command: --threads (default 2). All computation in torch.float32 on CPU.
See README.md for the tensor names.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, Optional

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the repo tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import models  # noqa: E402
import pipeline  # noqa: E402
import safetensors_io as st  # noqa: E402

TINY_TRANSFORMER = {
    "_class_name": "QwenImageTransformer2DModel",
    "_diffusers_version": "0.35.0",
    "patch_size": 2,
    "in_channels": 64,
    "out_channels": 16,
    "num_layers": 2,
    "attention_head_dim": 16,
    "num_attention_heads": 2,
    "joint_attention_dim": 24,
    "guidance_embeds": False,
    "axes_dims_rope": [4, 6, 6],
}

LATENTS_MEAN = [
    -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
    0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
]
LATENTS_STD = [
    2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
    3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160,
]

TINY_VAE = {
    "_class_name": "AutoencoderKLQwenImage",
    "_diffusers_version": "0.35.0",
    "base_dim": 8,
    "z_dim": 16,
    "dim_mult": [1, 2, 2, 2],
    "num_res_blocks": 1,
    "attn_scales": [],
    "temperal_downsample": [False, True, True],
    "dropout": 0.0,
    "input_channels": 3,
    "latents_mean": LATENTS_MEAN,
    "latents_std": LATENTS_STD,
}

MODEL_INDEX = {
    "_class_name": "QwenImagePipeline",
    "_diffusers_version": "0.35.0",
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
    "text_encoder": ["transformers", "Qwen2_5_VLForConditionalGeneration"],
    "tokenizer": ["transformers", "Qwen2Tokenizer"],
    "transformer": ["diffusers", "QwenImageTransformer2DModel"],
    "vae": ["diffusers", "AutoencoderKLQwenImage"],
}

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
TINY_MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"), ("r", "e")]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2 / Qwen byte-level BPE alphabet (256 printable stand-ins for bytes)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def read_json(path: str) -> dict:
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def to_torch(sd: Dict[str, np.ndarray]) -> Dict[str, torch.Tensor]:
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}


def load_module(module: torch.nn.Module, sd: Dict[str, torch.Tensor], what: str, ignore_prefixes=()) -> None:
    own = module.state_dict()
    sd = {k: v for k, v in sd.items() if not any(k.startswith(p) for p in ignore_prefixes)}
    missing = sorted(set(own) - set(sd))
    if missing:
        raise KeyError(f"{what}: missing tensors {missing[:8]}{' ...' if len(missing) > 8 else ''}")
    unexpected = sorted(set(sd) - set(own))
    if unexpected:
        raise KeyError(f"{what}: unexpected tensors {unexpected[:8]}{' ...' if len(unexpected) > 8 else ''}")
    for k, v in own.items():
        if tuple(sd[k].shape) != tuple(v.shape):
            raise ValueError(f"{what}: {k} has shape {tuple(sd[k].shape)}, expected {tuple(v.shape)}")
    module.load_state_dict({k: sd[k].to(torch.float32) for k in own}, strict=True)
    module.eval()


def load_transformer(model_dir: str) -> models.QwenImageTransformer:
    cfg = read_json(os.path.join(model_dir, "transformer", "config.json"))
    m = models.QwenImageTransformer(cfg)
    load_module(m, to_torch(st.load_folder(os.path.join(model_dir, "transformer"), "diffusion_pytorch_model")), "transformer")
    return m


def load_text_encoder(model_dir: str) -> models.Qwen2TextEncoder:
    cfg = read_json(os.path.join(model_dir, "text_encoder", "config.json"))
    m = models.Qwen2TextEncoder(cfg)
    sd = models.remap_text_encoder_keys(to_torch(st.load_folder(os.path.join(model_dir, "text_encoder"), "model")))
    if "lm_head.weight" not in sd:  # tied / absent head is unused for embeddings
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    load_module(m, sd, "text_encoder")
    return m


def load_vae(model_dir: str) -> models.QwenImageVAE:
    cfg = read_json(os.path.join(model_dir, "vae", "config.json"))
    m = models.QwenImageVAE(cfg)
    sd = to_torch(st.load_folder(os.path.join(model_dir, "vae"), "diffusion_pytorch_model"))
    if not any(k.startswith("encoder.") for k in sd):  # decoder-only checkpoints are fine
        own = m.state_dict()
        for k, v in own.items():
            if k.startswith("encoder.") or k.startswith("quant_conv."):
                sd[k] = v
    load_module(m, sd, "vae")
    return m


def scheduler_cfg(model_dir: Optional[str]) -> dict:
    if model_dir:
        p = os.path.join(model_dir, "scheduler", "scheduler_config.json")
        if os.path.exists(p):
            return read_json(p)
    return dict(pipeline.SCHEDULER_CONFIG)


def f32(x) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x)).to(torch.float32)


def scalar(inputs: dict, name: str, default=None):
    if name not in inputs:
        if default is None:
            raise KeyError(f"input tensor '{name}' is required")
        return default
    return np.asarray(inputs[name]).reshape(-1)[0].item()


def img_shape_of(inputs: dict):
    s = np.asarray(inputs["img_shape"]).reshape(-1).astype(np.int64).tolist()
    if len(s) != 3:
        raise ValueError("img_shape must hold 3 integers (frames, h, w) in patches")
    return int(s[0]), int(s[1]), int(s[2])


def save(out: Dict[str, torch.Tensor], path: str) -> None:
    arrays = {}
    for k, v in out.items():
        a = v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
        if a.dtype == np.float64 and not k.endswith("_f64") and k != "mu":
            a = a.astype(np.float32)
        arrays[k] = np.ascontiguousarray(a)
    st.save_file(arrays, path)


def opt_mask(inputs: dict, name: str) -> Optional[torch.Tensor]:
    return torch.from_numpy(np.asarray(inputs[name]).astype(np.int64)) if name in inputs else None


# ---------------------------------------------------------------------------------------------
# make-tiny
# ---------------------------------------------------------------------------------------------


def init_params(module: torch.nn.Module, gen: torch.Generator) -> None:
    """Deterministic 'modest' init: weights ~ N(0, 1/fan_in), biases ~ N(0, 0.05), norm scales ~ 1 + N(0, 0.1)."""
    with torch.no_grad():
        for name, p in sorted(module.named_parameters(), key=lambda kv: kv[0]):
            leaf = name.rsplit(".", 1)[-1]
            is_norm = leaf == "gamma" or (leaf == "weight" and p.dim() == 1)
            if is_norm:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=gen))
            elif leaf == "bias":
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=gen))
            else:
                fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else 1
                p.copy_(torch.randn(p.shape, generator=gen) / float(np.sqrt(fan_in)))


def tiny_tokenizer(folder: str) -> int:
    os.makedirs(folder, exist_ok=True)
    alphabet = list(bytes_to_unicode().values())
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    for a, b in TINY_MERGES:
        vocab.setdefault(a + b, len(vocab))
    write_json(os.path.join(folder, "vocab.json"), vocab)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in TINY_MERGES:
            f.write(f"{a} {b}\n")
    base = len(vocab)
    added = {
        str(base + i): {
            "content": tok,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for i, tok in enumerate(SPECIAL_TOKENS)
    }
    write_json(
        os.path.join(folder, "tokenizer_config.json"),
        {
            "add_bos_token": False,
            "add_prefix_space": False,
            "added_tokens_decoder": added,
            "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
            "bos_token": None,
            "clean_up_tokenization_spaces": False,
            "eos_token": "<|im_end|>",
            "errors": "replace",
            "model_max_length": 131072,
            "pad_token": "<|endoftext|>",
            "split_special_tokens": False,
            "tokenizer_class": "Qwen2Tokenizer",
            "unk_token": None,
        },
    )
    return base + len(SPECIAL_TOKENS)


def cmd_make_tiny(a) -> None:
    out = a.out
    gen = torch.Generator().manual_seed(int(a.seed))
    for sub in ("transformer", "text_encoder", "vae", "scheduler", "tokenizer"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    write_json(os.path.join(out, "model_index.json"), MODEL_INDEX)
    write_json(os.path.join(out, "scheduler", "scheduler_config.json"), dict(pipeline.SCHEDULER_CONFIG, _diffusers_version="0.35.0"))
    vocab_size = tiny_tokenizer(os.path.join(out, "tokenizer"))

    te_cfg = {
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "model_type": "qwen2_5_vl",
        "hidden_act": "silu",
        "hidden_size": 24,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0,
        "rope_scaling": {"type": "mrope", "mrope_section": [1, 1, 1]},
        "vocab_size": vocab_size,
        "max_position_embeddings": 2048,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "bos_token_id": vocab_size - 3,
        "eos_token_id": vocab_size - 1,
        "vision_start_token_id": vocab_size - 1,
    }
    bf16 = bool(a.bf16)

    def dump(module, folder, stem, shards=1):
        sd = {k: v.detach().numpy().astype(np.float32) for k, v in module.state_dict().items()}
        names = list(sd) if bf16 else []
        if shards > 1:
            if bf16:
                raise ValueError("--bf16 with shards is not supported")
            st.save_sharded(sd, folder, stem, shards)
        else:
            st.save_file(sd, os.path.join(folder, stem + ".safetensors"), metadata={"format": "pt"}, bf16=names)

    tr = models.QwenImageTransformer(TINY_TRANSFORMER)
    init_params(tr, gen)
    write_json(os.path.join(out, "transformer", "config.json"), TINY_TRANSFORMER)
    dump(tr, os.path.join(out, "transformer"), "diffusion_pytorch_model", shards=1 if bf16 else 2)

    te = models.Qwen2TextEncoder(te_cfg)
    init_params(te, gen)
    write_json(os.path.join(out, "text_encoder", "config.json"), te_cfg)
    dump(te, os.path.join(out, "text_encoder"), "model")

    vae = models.QwenImageVAE(TINY_VAE)
    init_params(vae, gen)
    write_json(os.path.join(out, "vae", "config.json"), TINY_VAE)
    dump(vae, os.path.join(out, "vae"), "diffusion_pytorch_model")
    print(json.dumps({"out": out, "vocab_size": vocab_size}))


# ---------------------------------------------------------------------------------------------
# model commands
# ---------------------------------------------------------------------------------------------


def cmd_transformer(a) -> None:
    inp = st.load_file(a.inputs)
    m = load_transformer(a.model)
    trace: Dict[str, torch.Tensor] = {}
    with torch.no_grad():
        m(
            f32(inp["hidden_states"]),
            f32(inp["encoder_hidden_states"]),
            f32(inp["timestep"]).reshape(-1),
            img_shape_of(inp),
            opt_mask(inp, "encoder_mask"),
            trace,
        )
    save(trace, a.out)


def cmd_text_encoder(a) -> None:
    inp = st.load_file(a.inputs)
    m = load_text_encoder(a.model)
    trace: Dict[str, torch.Tensor] = {}
    with torch.no_grad():
        m(torch.from_numpy(np.asarray(inp["input_ids"]).astype(np.int64)), opt_mask(inp, "attention_mask"), trace)
    save(trace, a.out)


def cmd_vae(a) -> None:
    inp = st.load_file(a.inputs)
    m = load_vae(a.model)
    trace: Dict[str, torch.Tensor] = {}
    with torch.no_grad():
        img = m.decode(f32(inp["latents"]), trace)
    trace["image"] = img
    trace["image01"] = pipeline.to_image01(img)
    save(trace, a.out)


def cmd_vae_encode(a) -> None:
    inp = st.load_file(a.inputs)
    m = load_vae(a.model)
    with torch.no_grad():
        z = m.encode_mean(f32(inp["image"]))
    save({"latent_mean": z}, a.out)


def cmd_scheduler(a) -> None:
    cfg = scheduler_cfg(a.model)
    sig, ts, mu = pipeline.flow_match_schedule(a.steps, a.image_seq_len, cfg)
    sig2, ts2, _ = pipeline.flow_match_schedule(a.steps, a.image_seq_len, cfg, numpy2=True)
    # float64 reference of the same formula without any float32 rounding (for diagnostics only)
    lin = np.linspace(1.0, 1.0 / a.steps, a.steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        s64 = np.exp(mu) / (np.exp(mu) + (1 / lin - 1))
        omz = 1 - s64
        s64 = 1 - omz / (omz[-1] / (1 - float(cfg.get("shift_terminal") or 0.0)))
    out = {
        "sigmas": sig,
        "timesteps": ts,
        "sigmas_np2": sig2,
        "timesteps_np2": ts2,
        "transformer_timesteps": (torch.from_numpy(ts) / 1000).numpy(),
        "sigmas_f64": np.concatenate([s64, [0.0]]).astype(np.float64),
        "mu": np.array([mu], dtype=np.float64),
    }
    save(out, a.out)


def _embeds(inp: dict):
    pe = f32(inp["prompt_embeds"])
    pm = opt_mask(inp, "prompt_embeds_mask")
    ne = f32(inp["negative_prompt_embeds"]) if "negative_prompt_embeds" in inp else None
    nm = opt_mask(inp, "negative_prompt_embeds_mask")
    return pe, pm, ne, nm


def cmd_step(a) -> None:
    inp = st.load_file(a.inputs)
    m = load_transformer(a.model)
    latents = f32(inp["latents"])
    steps = int(scalar(inp, "steps"))
    i = int(scalar(inp, "step"))
    cfg_scale = float(np.float32(scalar(inp, "cfg", 1.0)))
    sig, ts, _ = pipeline.flow_match_schedule(steps, latents.shape[1], scheduler_cfg(a.model))
    pe, pm, ne, nm = _embeds(inp)
    with torch.no_grad():
        out = pipeline.denoise_step(m, latents, pe, pm, ne, nm, cfg_scale, sig, ts, i, img_shape_of(inp))
    out["sigmas"] = torch.from_numpy(sig)
    out["timesteps"] = torch.from_numpy(ts)
    save(out, a.out)


def cmd_denoise(a) -> None:
    inp = st.load_file(a.inputs)
    m = load_transformer(a.model)
    vae = load_vae(a.model)
    latents = f32(inp["noise"])
    steps = int(scalar(inp, "steps"))
    cfg_scale = float(np.float32(scalar(inp, "cfg", 1.0)))
    shape = img_shape_of(inp)
    sig, ts, _ = pipeline.flow_match_schedule(steps, latents.shape[1], scheduler_cfg(a.model))
    pe, pm, ne, nm = _embeds(inp)
    out: Dict[str, torch.Tensor] = {"sigmas": torch.from_numpy(sig), "timesteps": torch.from_numpy(ts)}
    with torch.no_grad():
        for i in range(steps):
            r = pipeline.denoise_step(m, latents, pe, pm, ne, nm, cfg_scale, sig, ts, i, shape)
            latents = r["latents"]
            out[f"latents_step{i}"] = latents
        _, h, w = shape
        z = pipeline.unpack_latents(latents, 2 * h, 2 * w)
        z = pipeline.denormalize_latents(z, vae.cfg.get("latents_mean", LATENTS_MEAN), vae.cfg.get("latents_std", LATENTS_STD))
        img = vae.decode(z)
    out["latents_final"] = latents
    out["latents_vae"] = z
    out["image"] = img
    out["image01"] = pipeline.to_image01(img)
    save(out, a.out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="qwen-image-reference")
    sub = p.add_subparsers(dest="cmd", required=True)

    def add(name, model=True, io=True):
        s = sub.add_parser(name)
        s.add_argument("--threads", type=int, default=2)
        if model:
            s.add_argument("--model", required=True)
        if io:
            s.add_argument("--inputs", required=True)
            s.add_argument("--out", required=True)
        return s

    s = sub.add_parser("make-tiny")
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--bf16", action="store_true")
    s.add_argument("--threads", type=int, default=2)
    for name in ("transformer", "text-encoder", "vae", "vae-encode", "step", "denoise"):
        add(name)
    s = sub.add_parser("scheduler")
    s.add_argument("--steps", type=int, required=True)
    s.add_argument("--image-seq-len", type=int, required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--model", default=None)
    s.add_argument("--threads", type=int, default=2)

    a = p.parse_args(argv)
    torch.set_num_threads(max(1, a.threads))
    torch.manual_seed(0)
    handlers = {
        "make-tiny": cmd_make_tiny,
        "transformer": cmd_transformer,
        "text-encoder": cmd_text_encoder,
        "vae": cmd_vae,
        "vae-encode": cmd_vae_encode,
        "scheduler": cmd_scheduler,
        "step": cmd_step,
        "denoise": cmd_denoise,
    }
    handlers[a.cmd](a)


if __name__ == "__main__":
    main()
