"""Flow-match Euler schedule + the Qwen-Image denoising helpers (pack/unpack, true CFG, latent de-norm).

Exact float semantics of the schedule (what QwenImagePipeline + FlowMatchEulerDiscreteScheduler compute
with numpy 1.24 and torch; the TS engine must replicate this bit for bit):

  1. sigmas0 = np.linspace(1.0, 1/N, N)                      float64 (numpy linspace: step = (1/N - 1)/(N-1),
                                                              s[i] = i*step + 1.0 in f64, s[N-1] = 1/N exactly)
     then np.array(sigmas0).astype(np.float32)              -> round each to float32  (x32)
  2. mu = L * m + b, m = (0.9 - 0.5)/(8192 - 256), b = 0.5 - m*256   python float64 (L = image_seq_len)
  3. time shift (exponential, sigma=1): exp(mu) / (exp(mu) + (1/t - 1)**1)
       E = float32(math.exp(mu))     (python float combined with a float32 array is cast to float32 first)
       u = f32(f32(1/t) - 1); u**1.0 = u; d = f32(E + u); s = f32(E / d)      all float32 ops
  4. stretch_shift_to_terminal (shift_terminal = 0.02):
       omz = f32(1 - s)                                       float32 array
       scale_factor = float64(omz[-1]) / 0.98                 numpy 1.x: f32 scalar / python float -> float64!
                                                              (0.98 = float64(1 - 0.02))
       s' = f32(1 - f32(omz / f32(scale_factor)))             float32 array op: the f64 scalar is first
                                                              rounded to float32 (numpy 1.x value-based casting)
     numpy >= 2 (NEP 50) differs only in scale_factor = f32(omz[-1] / f32(0.98)) (float32 division);
     both variants are emitted (sigmas / sigmas_np2) so the engine can see if they ever differ.
  5. sigmas = torch.from_numpy(s') float32; timesteps = f32(sigmas * 1000); sigmas += [0.0]
  6. transformer timestep input = f32(timesteps[i] / 1000)   (torch float32 division)
  7. step: x_next = f32(x + f32(f32(sigma[i+1] - sigma[i]) * v))   (no FMA: two rounded float32 ops)

N == 1 gives NaN in diffusers (omz[-1] == 0 -> 0/0); this reference reproduces that faithfully.
"""

from __future__ import annotations

import math
from typing import Dict, Optional, Tuple

import numpy as np
import torch

SCHEDULER_CONFIG = {
    "_class_name": "FlowMatchEulerDiscreteScheduler",
    "base_image_seq_len": 256,
    "base_shift": 0.5,
    "invert_sigmas": False,
    "max_image_seq_len": 8192,
    "max_shift": 0.9,
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "shift_terminal": 0.02,
    "stochastic_sampling": False,
    "time_shift_type": "exponential",
    "use_beta_sigmas": False,
    "use_dynamic_shifting": True,
    "use_exponential_sigmas": False,
    "use_karras_sigmas": False,
}


def calculate_shift(image_seq_len: int, base_seq_len=256, max_seq_len=8192, base_shift=0.5, max_shift=0.9) -> float:
    m = (max_shift - base_shift) / (max_seq_len - base_seq_len)
    b = base_shift - m * base_seq_len
    return image_seq_len * m + b


def _linspace_f64(start: float, stop: float, num: int) -> np.ndarray:
    """np.linspace(start, stop, num) (endpoint=True) spelled out, float64."""
    if num == 1:
        return np.array([start], dtype=np.float64)
    step = (stop - start) / (num - 1)
    y = np.arange(num, dtype=np.float64) * step + start
    y[-1] = stop
    return y


def flow_match_schedule(
    steps: int, image_seq_len: int, cfg: Optional[dict] = None, numpy2: bool = False
) -> Tuple[np.ndarray, np.ndarray, float]:
    """Returns (sigmas float32 [N+1] with the final 0, timesteps float32 [N], mu)."""
    c = dict(SCHEDULER_CONFIG)
    if cfg:
        c.update(cfg)
    if not c.get("use_dynamic_shifting") or c.get("time_shift_type") != "exponential":
        raise ValueError("reference implements use_dynamic_shifting + exponential time shift only (Qwen-Image)")
    if c.get("use_karras_sigmas") or c.get("use_exponential_sigmas") or c.get("use_beta_sigmas"):
        raise ValueError("karras/exponential/beta sigmas are not used by Qwen-Image")
    lin = _linspace_f64(1.0, 1.0 / steps, steps)
    assert np.array_equal(lin, np.linspace(1.0, 1 / steps, steps))
    t = lin.astype(np.float32)
    mu = calculate_shift(
        image_seq_len,
        c.get("base_image_seq_len", 256),
        c.get("max_image_seq_len", 4096),
        c.get("base_shift", 0.5),
        c.get("max_shift", 1.15),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.float32(math.exp(mu))
        u = (np.float32(1) / t) - np.float32(1)
        s = (e / (e + u)).astype(np.float32)
        term = c.get("shift_terminal")
        if term:
            omz = (np.float32(1) - s).astype(np.float32)
            if numpy2:
                sf = np.float32(omz[-1] / np.float32(1 - term))
            else:
                sf = np.float32(np.float64(omz[-1]) / (1 - term))
            s = (np.float32(1) - (omz / sf)).astype(np.float32)
    sig = torch.from_numpy(s.copy()).to(torch.float32)
    timesteps = sig * c.get("num_train_timesteps", 1000)
    sigmas = torch.cat([sig, torch.zeros(1)])
    return sigmas.numpy(), timesteps.numpy(), mu


def pack_latents(x: torch.Tensor) -> torch.Tensor:
    """[B, C, 1, H, W] (or [B, C, H, W]) -> [B, (H/2)(W/2), C*4]; channel index c*4 + py*2 + px."""
    if x.dim() == 5:
        x = x[:, :, 0]
    b, c, h, w = x.shape
    x = x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b, (h // 2) * (w // 2), c * 4)


def unpack_latents(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Inverse of pack_latents: [B, (h/2)(w/2), C*4] -> [B, C, 1, h, w] (h, w in latent pixels)."""
    b, n, c4 = x.shape
    c = c4 // 4
    x = x.view(b, h // 2, w // 2, c, 2, 2).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(b, c, 1, h, w)


def true_cfg(cond: torch.Tensor, neg: torch.Tensor, scale: float) -> torch.Tensor:
    comb = neg + scale * (cond - neg)
    cond_norm = torch.norm(cond, dim=-1, keepdim=True)
    comb_norm = torch.norm(comb, dim=-1, keepdim=True)
    return comb * (cond_norm / comb_norm)


def euler_step(x: torch.Tensor, v: torch.Tensor, sigmas: np.ndarray, i: int) -> torch.Tensor:
    s = torch.from_numpy(np.asarray(sigmas, dtype=np.float32))
    dt = s[i + 1] - s[i]
    return x.to(torch.float32) + dt * v


def denormalize_latents(z: torch.Tensor, mean, std) -> torch.Tensor:
    """latents / (1/std) + mean, per channel (exactly the pipeline's expression, float32)."""
    c = z.shape[1]
    m = torch.tensor(mean, dtype=torch.float32).view(1, c, 1, 1, 1)
    inv = 1.0 / torch.tensor(std, dtype=torch.float32).view(1, c, 1, 1, 1)
    return z / inv + m


def to_image01(decoded: torch.Tensor) -> torch.Tensor:
    """vae._decode clamps to [-1, 1]; image_processor.postprocess does (x/2 + 0.5).clamp(0, 1)."""
    x = torch.clamp(decoded, -1.0, 1.0)
    return (x / 2 + 0.5).clamp(0, 1)


def denoise_step(
    transformer,
    latents: torch.Tensor,
    prompt_embeds: torch.Tensor,
    prompt_mask: Optional[torch.Tensor],
    neg_embeds: Optional[torch.Tensor],
    neg_mask: Optional[torch.Tensor],
    cfg_scale: float,
    sigmas: np.ndarray,
    timesteps: np.ndarray,
    i: int,
    img_shape: Tuple[int, int, int],
) -> Dict[str, torch.Tensor]:
    t = torch.from_numpy(np.asarray(timesteps, dtype=np.float32))[i : i + 1]
    tin = t / 1000
    cond = transformer(latents, prompt_embeds, tin, img_shape, prompt_mask)
    out = {"noise_pred": cond, "timestep": tin}
    if neg_embeds is not None and cfg_scale > 1:
        neg = transformer(latents, neg_embeds, tin, img_shape, neg_mask)
        comb = true_cfg(cond, neg, cfg_scale)
        out["neg_noise_pred"] = neg
    else:
        comb = cond
    out["combined"] = comb
    out["latents"] = euler_step(latents, comb, sigmas, i)
    return out
