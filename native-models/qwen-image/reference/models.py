"""Independent PyTorch reference of the Qwen-Image family (fp32, CPU).

Written from the published architecture (diffusers QwenImageTransformer2DModel,
AutoencoderKLQwenImage, HF Qwen2.5-VL language model). Module attribute names are chosen so that
`state_dict()` keys equal the diffusers / HF checkpoint names exactly.

Works with torch 1.13 (no F.scaled_dot_product_attention): attention is written out by hand.
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# shared pieces
# ---------------------------------------------------------------------------------------------


class RMSNorm(nn.Module):
    """x * rsqrt(mean(x^2) + eps) * weight over the last dim (diffusers RMSNorm / Qwen2RMSNorm in fp32)."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(var + self.eps) * self.weight


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """q,k,v: [B, H, S, D]; mask: additive float [B|1, 1|H, Sq|1, Sk] or None. Softmax in fp32."""
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    if mask is not None:
        scores = scores + mask
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


# ---------------------------------------------------------------------------------------------
# transformer
# ---------------------------------------------------------------------------------------------


def timestep_sinusoid(t: torch.Tensor, dim: int = 256, max_period: float = 10000.0) -> torch.Tensor:
    """256-d sinusoidal projection as Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=0, scale=1000).

    Op order (all float32): e_k = exp((-ln(max_period) * k) / half), arg = 1000 * (t * e_k),
    out = [cos(arg), sin(arg)] (flip puts cos first).
    """
    half = dim // 2
    k = torch.arange(half, dtype=torch.float32)
    exponent = (-math.log(max_period) * k) / float(half - 0)
    freqs = torch.exp(exponent)
    arg = t.float()[:, None] * freqs[None, :]
    arg = 1000 * arg
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1)


class TimestepEmbedder(nn.Module):
    def __init__(self, in_dim: int, dim: int):
        super().__init__()
        self.linear_1 = nn.Linear(in_dim, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_2(F.silu(self.linear_1(x)))


class TimeTextEmbed(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.timestep_embedder = TimestepEmbedder(256, dim)

    def forward(self, timestep: torch.Tensor) -> torch.Tensor:
        return self.timestep_embedder(timestep_sinusoid(timestep))


def rope_axis_angles(positions: torch.Tensor, axis_dim: int, theta: float = 10000.0) -> torch.Tensor:
    """angles[s, j] = pos[s] * 1/theta^(2j/axis_dim), float32, as rope_params computes them."""
    inv = 1.0 / torch.pow(theta, torch.arange(0, axis_dim, 2).to(torch.float32).div(axis_dim))
    return torch.outer(positions.to(torch.int64), inv)


def qwen_rope_angles(
    frames: int, height: int, width: int, text_len: int, axes_dim: Sequence[int], theta: float = 10000.0
) -> Tuple[torch.Tensor, torch.Tensor]:
    """MSRoPE angles (QwenEmbedRope with scale_rope=True), shapes [F*H*W, D/2] and [T, D/2].

    Image token (f, y, x) gets positions (f, y - (H - H//2), x - (W - W//2)) i.e. rows
    [-(H - H//2) .. H//2 - 1]; text token k gets position max(H//2, W//2) + k on all three axes.
    """
    f_pos = torch.arange(frames)
    h_pos = torch.arange(height) - (height - height // 2)
    w_pos = torch.arange(width) - (width - width // 2)
    af = rope_axis_angles(f_pos, axes_dim[0], theta)
    ah = rope_axis_angles(h_pos, axes_dim[1], theta)
    aw = rope_axis_angles(w_pos, axes_dim[2], theta)
    n = frames * height * width
    img = torch.cat(
        [
            af[:, None, None, :].expand(frames, height, width, -1),
            ah[None, :, None, :].expand(frames, height, width, -1),
            aw[None, None, :, :].expand(frames, height, width, -1),
        ],
        dim=-1,
    ).reshape(n, -1)
    start = max(height // 2, width // 2)
    t_pos = torch.arange(start, start + text_len)
    txt = torch.cat([rope_axis_angles(t_pos, d, theta) for d in axes_dim], dim=-1)
    return img, txt


def apply_pair_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [B, S, H, D]; cos/sin: [S, D/2]. Complex multiply on adjacent pairs (x[2j], x[2j+1])."""
    xr = x.reshape(*x.shape[:-1], -1, 2)
    a, b = xr[..., 0], xr[..., 1]
    c = cos[None, :, None, :]
    s = sin[None, :, None, :]
    return torch.stack([a * c - b * s, a * s + b * c], dim=-1).flatten(-2)


class _GeluProj(nn.Module):
    def __init__(self, dim: int, inner: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, inner)


class FeedForwardGeluTanh(nn.Module):
    """diffusers FeedForward(activation_fn='gelu-approximate'): net.0.proj -> gelu(tanh) -> net.2."""

    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        inner = dim * mult
        self.net = nn.ModuleList([_GeluProj(dim, inner), nn.Identity(), nn.Linear(inner, dim)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net[2](gelu_tanh(self.net[0].proj(x)))


class JointAttention(nn.Module):
    def __init__(self, dim: int, heads: int, head_dim: int, eps: float = 1e-6):
        super().__init__()
        inner = heads * head_dim
        self.heads = heads
        self.head_dim = head_dim
        self.to_q = nn.Linear(dim, inner)
        self.to_k = nn.Linear(dim, inner)
        self.to_v = nn.Linear(dim, inner)
        self.add_q_proj = nn.Linear(dim, inner)
        self.add_k_proj = nn.Linear(dim, inner)
        self.add_v_proj = nn.Linear(dim, inner)
        self.norm_q = RMSNorm(head_dim, eps)
        self.norm_k = RMSNorm(head_dim, eps)
        self.norm_added_q = RMSNorm(head_dim, eps)
        self.norm_added_k = RMSNorm(head_dim, eps)
        self.to_out = nn.ModuleList([nn.Linear(inner, dim)])
        self.to_add_out = nn.Linear(inner, dim)

    def forward(
        self,
        img: torch.Tensor,
        txt: torch.Tensor,
        rope: Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
        key_mask: Optional[torch.Tensor],
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        b, li, _ = img.shape
        lt = txt.shape[1]
        h, d = self.heads, self.head_dim
        iq = self.norm_q(self.to_q(img).view(b, li, h, d))
        ik = self.norm_k(self.to_k(img).view(b, li, h, d))
        iv = self.to_v(img).view(b, li, h, d)
        tq = self.norm_added_q(self.add_q_proj(txt).view(b, lt, h, d))
        tk = self.norm_added_k(self.add_k_proj(txt).view(b, lt, h, d))
        tv = self.add_v_proj(txt).view(b, lt, h, d)
        icos, isin, tcos, tsin = rope
        iq, ik = apply_pair_rope(iq, icos, isin), apply_pair_rope(ik, icos, isin)
        tq, tk = apply_pair_rope(tq, tcos, tsin), apply_pair_rope(tk, tcos, tsin)
        q = torch.cat([tq, iq], dim=1).transpose(1, 2)
        k = torch.cat([tk, ik], dim=1).transpose(1, 2)
        v = torch.cat([tv, iv], dim=1).transpose(1, 2)
        out = attention(q, k, v, key_mask).transpose(1, 2).reshape(b, lt + li, h * d)
        return self.to_out[0](out[:, lt:]), self.to_add_out(out[:, :lt])


def _modulate(x: torch.Tensor, mod3: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    shift, scale, gate = mod3.chunk(3, dim=-1)
    return x * (1 + scale[:, None, :]) + shift[:, None, :], gate[:, None, :]


class QwenImageBlock(nn.Module):
    def __init__(self, dim: int, heads: int, head_dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.img_mod = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        self.txt_mod = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        self.attn = JointAttention(dim, heads, head_dim, eps)
        self.img_mlp = FeedForwardGeluTanh(dim)
        self.txt_mlp = FeedForwardGeluTanh(dim)

    def _ln(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (x.shape[-1],), eps=self.eps)

    def forward(self, img, txt, temb, rope, key_mask, trace: Optional[Dict[str, torch.Tensor]] = None, tag=""):
        img_mod = self.img_mod(temb)
        txt_mod = self.txt_mod(temb)
        if trace is not None:
            trace[f"{tag}.img_mod"] = img_mod
            trace[f"{tag}.txt_mod"] = txt_mod
        im1, im2 = img_mod.chunk(2, dim=-1)
        tm1, tm2 = txt_mod.chunk(2, dim=-1)
        img_x, img_g1 = _modulate(self._ln(img), im1)
        txt_x, txt_g1 = _modulate(self._ln(txt), tm1)
        a_img, a_txt = self.attn(img_x, txt_x, rope, key_mask)
        img = img + img_g1 * a_img
        txt = txt + txt_g1 * a_txt
        img_x2, img_g2 = _modulate(self._ln(img), im2)
        img = img + img_g2 * self.img_mlp(img_x2)
        txt_x2, txt_g2 = _modulate(self._ln(txt), tm2)
        txt = txt + txt_g2 * self.txt_mlp(txt_x2)
        return img, txt


class NormOut(nn.Module):
    """AdaLayerNormContinuous(elementwise_affine=False, eps=1e-6): linear(silu(temb)) -> (scale, shift)."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.linear = nn.Linear(dim, 2 * dim)

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.linear(F.silu(temb)).chunk(2, dim=1)
        return F.layer_norm(x, (x.shape[-1],), eps=self.eps) * (1 + scale)[:, None, :] + shift[:, None, :]


class QwenImageTransformer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = cfg
        heads = int(cfg.get("num_attention_heads", 24))
        head_dim = int(cfg.get("attention_head_dim", 128))
        dim = heads * head_dim
        p = int(cfg.get("patch_size", 2))
        in_ch = int(cfg.get("in_channels", 64))
        out_ch = int(cfg.get("out_channels") or in_ch)
        joint = int(cfg.get("joint_attention_dim", 3584))
        self.axes_dims = [int(a) for a in cfg.get("axes_dims_rope", [16, 56, 56])]
        if sum(self.axes_dims) != head_dim:
            raise ValueError(f"axes_dims_rope {self.axes_dims} must sum to attention_head_dim {head_dim}")
        if cfg.get("zero_cond_t") or cfg.get("use_additional_t_cond") or cfg.get("use_layer3d_rope"):
            raise ValueError("reference covers the text-to-image Qwen-Image transformer only")
        if cfg.get("guidance_embeds"):
            raise ValueError("guidance_embeds=True is not supported by this reference")
        self.dim = dim
        self.time_text_embed = TimeTextEmbed(dim)
        self.txt_norm = RMSNorm(joint, 1e-6)
        self.img_in = nn.Linear(in_ch, dim)
        self.txt_in = nn.Linear(joint, dim)
        self.transformer_blocks = nn.ModuleList(
            [QwenImageBlock(dim, heads, head_dim) for _ in range(int(cfg.get("num_layers", 60)))]
        )
        self.norm_out = NormOut(dim)
        self.proj_out = nn.Linear(dim, p * p * out_ch)

    def forward(
        self,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        timestep: torch.Tensor,
        img_shape: Tuple[int, int, int],
        encoder_mask: Optional[torch.Tensor] = None,
        trace: Optional[Dict[str, torch.Tensor]] = None,
    ) -> torch.Tensor:
        img = self.img_in(hidden_states)
        txt = self.txt_in(self.txt_norm(encoder_hidden_states))
        temb = self.time_text_embed(timestep.to(torch.float32))
        f, h, w = img_shape
        if f * h * w != hidden_states.shape[1]:
            raise ValueError(f"img_shape {img_shape} does not match {hidden_states.shape[1]} image tokens")
        img_ang, txt_ang = qwen_rope_angles(f, h, w, txt.shape[1], self.axes_dims)
        rope = (torch.cos(img_ang), torch.sin(img_ang), torch.cos(txt_ang), torch.sin(txt_ang))
        key_mask = None
        if encoder_mask is not None:
            keep = torch.cat(
                [encoder_mask.to(torch.bool), torch.ones(img.shape[0], img.shape[1], dtype=torch.bool)], dim=1
            )
            key_mask = torch.zeros(keep.shape, dtype=torch.float32).masked_fill(~keep, float("-inf"))
            key_mask = key_mask[:, None, None, :]
        if trace is not None:
            trace["img_in"] = img
            trace["txt_in"] = txt
            trace["temb"] = temb
            trace["rope_img_cos"], trace["rope_img_sin"], trace["rope_txt_cos"], trace["rope_txt_sin"] = rope
        for i, block in enumerate(self.transformer_blocks):
            img, txt = block(img, txt, temb, rope, key_mask, trace, f"block{i}")
            if trace is not None:
                trace[f"block{i}.img"] = img
                trace[f"block{i}.txt"] = txt
        out = self.proj_out(self.norm_out(img, temb))
        if trace is not None:
            trace["sample"] = out
        return out


# ---------------------------------------------------------------------------------------------
# text encoder: Qwen2 / Qwen2.5-VL language model, text-only
# ---------------------------------------------------------------------------------------------


def text_config(cfg: dict) -> dict:
    """Qwen2.5-VL configs keep the text fields at top level (older) or under text_config (newer)."""
    tc = dict(cfg)
    if isinstance(cfg.get("text_config"), dict):
        tc.update(cfg["text_config"])
    return tc


class Qwen2Attention(nn.Module):
    def __init__(self, hidden: int, heads: int, kv_heads: int, head_dim: int):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.q_proj = nn.Linear(hidden, heads * head_dim, bias=True)
        self.k_proj = nn.Linear(hidden, kv_heads * head_dim, bias=True)
        self.v_proj = nn.Linear(hidden, kv_heads * head_dim, bias=True)
        self.o_proj = nn.Linear(heads * head_dim, hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        out = attention(q, k, v, mask).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(out)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Qwen2MLP(nn.Module):
    def __init__(self, hidden: int, inter: int):
        super().__init__()
        self.gate_proj = nn.Linear(hidden, inter, bias=False)
        self.up_proj = nn.Linear(hidden, inter, bias=False)
        self.down_proj = nn.Linear(inter, hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Qwen2Layer(nn.Module):
    def __init__(self, c: dict, head_dim: int):
        super().__init__()
        hidden = int(c["hidden_size"])
        eps = float(c.get("rms_norm_eps", 1e-6))
        self.input_layernorm = RMSNorm(hidden, eps)
        self.self_attn = Qwen2Attention(
            hidden, int(c["num_attention_heads"]), int(c.get("num_key_value_heads", c["num_attention_heads"])), head_dim
        )
        self.post_attention_layernorm = RMSNorm(hidden, eps)
        self.mlp = Qwen2MLP(hidden, int(c["intermediate_size"]))

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2Model(nn.Module):
    def __init__(self, c: dict):
        super().__init__()
        hidden = int(c["hidden_size"])
        self.head_dim = int(c.get("head_dim") or hidden // int(c["num_attention_heads"]))
        self.theta = float(c.get("rope_theta", 1000000.0))
        self.embed_tokens = nn.Embedding(int(c["vocab_size"]), hidden)
        self.layers = nn.ModuleList([Qwen2Layer(c, self.head_dim) for _ in range(int(c["num_hidden_layers"]))])
        self.norm = RMSNorm(hidden, float(c.get("rms_norm_eps", 1e-6)))


class Qwen2TextEncoder(nn.Module):
    """state_dict: model.embed_tokens.weight, model.layers.{i}.*, model.norm.weight, lm_head.weight."""

    def __init__(self, cfg: dict):
        super().__init__()
        c = text_config(cfg)
        self.cfg = c
        self.model = Qwen2Model(c)
        self.lm_head = nn.Linear(int(c["hidden_size"]), int(c["vocab_size"]), bias=False)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None, trace: Optional[dict] = None
    ) -> torch.Tensor:
        m = self.model
        b, t = input_ids.shape
        if attention_mask is None:
            attention_mask = torch.ones(b, t, dtype=torch.int64)
        am = attention_mask.to(torch.int64)
        # HF Qwen2.5-VL get_rope_index for text-only input: cumsum(mask) - 1, padded slots set to 1.
        # The three mRoPE sections then share one position, which is plain 1-D RoPE.
        pos = (am.cumsum(-1) - 1).masked_fill(am == 0, 1)
        inv = 1.0 / (m.theta ** (torch.arange(0, m.head_dim, 2, dtype=torch.int64).float() / m.head_dim))
        ang = pos[:, :, None].float() * inv[None, None, :]
        emb = torch.cat([ang, ang], dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        keep = causal[None, None] & am.to(torch.bool)[:, None, None, :]
        mask = torch.zeros(keep.shape, dtype=torch.float32).masked_fill(~keep, torch.finfo(torch.float32).min)
        x = m.embed_tokens(input_ids)
        for i, layer in enumerate(m.layers):
            x = layer(x, cos, sin, mask)
            if trace is not None:
                trace[f"layer{i}"] = x
        x = m.norm(x)
        if trace is not None:
            trace["last_hidden"] = x
        return x


def remap_text_encoder_keys(sd: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    out = {}
    for k, v in sd.items():
        if k.startswith("model.language_model."):
            out["model." + k[len("model.language_model.") :]] = v
        elif k.startswith("language_model.model."):
            out["model." + k[len("language_model.model.") :]] = v
        elif k.startswith("language_model.lm_head."):
            out["lm_head." + k[len("language_model.lm_head.") :]] = v
        elif k.startswith("model.") or k.startswith("lm_head."):
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------------
# VAE (AutoencoderKLQwenImage, Wan-2.1 style), single-frame
# ---------------------------------------------------------------------------------------------


class CausalConv3d(nn.Conv3d):
    """Conv3d with padding (2*pt front in time, 0 back; symmetric spatial), zeros, no cache.

    For the first (and here only) chunk of diffusers' frame-by-frame decode the feature cache is
    empty, so the time padding is plain zeros: identical to this.
    """

    def __init__(self, cin: int, cout: int, k, stride=1, padding=0):
        super().__init__(cin, cout, k, stride=stride, padding=0)
        pt, ph, pw = (padding, padding, padding) if isinstance(padding, int) else padding
        self._pad = (pw, pw, ph, ph, 2 * pt, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self._pad))


class ChannelRMS(nn.Module):
    """QwenImageRMS_norm: F.normalize over channels (eps 1e-12) * sqrt(C) * gamma (+ bias)."""

    def __init__(self, dim: int, images: bool = True, bias: bool = False):
        super().__init__()
        shape = (dim, 1, 1) if images else (dim, 1, 1, 1)
        self.scale = dim**0.5
        self.gamma = nn.Parameter(torch.ones(shape))
        if bias:
            self.bias = nn.Parameter(torch.zeros(shape))
        else:
            self.bias = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x / x.norm(p=2, dim=1, keepdim=True).clamp_min(1e-12)
        y = n * self.scale * self.gamma
        return y + self.bias if self.bias is not None else y


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm1 = ChannelRMS(cin, images=False)
        self.conv1 = CausalConv3d(cin, cout, 3, padding=1)
        self.norm2 = ChannelRMS(cout, images=False)
        self.conv2 = CausalConv3d(cout, cout, 3, padding=1)
        self.conv_shortcut = CausalConv3d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.conv_shortcut(x)
        x = self.conv1(F.silu(self.norm1(x)))
        x = self.conv2(F.silu(self.norm2(x)))
        return x + h


class AttnBlock(nn.Module):
    """Single-head spatial self-attention per frame (1x1 conv qkv / proj)."""

    def __init__(self, dim: int):
        super().__init__()
        self.norm = ChannelRMS(dim, images=True)
        self.to_qkv = nn.Conv2d(dim, dim * 3, 1)
        self.proj = nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        b, c, t, h, w = x.shape
        y = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
        qkv = self.to_qkv(self.norm(y)).reshape(b * t, 3 * c, h * w).transpose(1, 2)  # [bt, hw, 3c]
        q, k, v = qkv[..., :c], qkv[..., c : 2 * c], qkv[..., 2 * c :]
        o = attention(q[:, None], k[:, None], v[:, None], None)[:, 0]  # [bt, hw, c]
        o = self.proj(o.transpose(1, 2).reshape(b * t, c, h, w))
        return o.view(b, t, c, h, w).permute(0, 2, 1, 3, 4) + x


class MidBlock(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.resnets = nn.ModuleList([ResBlock(dim, dim), ResBlock(dim, dim)])
        self.attentions = nn.ModuleList([AttnBlock(dim)])

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


def _per_frame_2d(x: torch.Tensor, fn) -> torch.Tensor:
    b, c, t, h, w = x.shape
    y = fn(x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w))
    return y.view(b, t, y.shape[1], y.shape[2], y.shape[3]).permute(0, 2, 1, 3, 4)


class _Nearest2x(nn.Module):
    def forward(self, x):
        return x.repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)


class Resample(nn.Module):
    """upsample2d/upsample3d: nearest x2 then Conv2d(dim, dim//2); downsample*: pad (0,1,0,1), Conv2d stride 2.

    The temporal conv (time_conv) of *3d modes is never applied to the first frame chunk in diffusers
    (upsample3d marks the cache 'Rep'; downsample3d only stores the cache), so single-frame = 2-D path.
    """

    def __init__(self, dim: int, mode: str):
        super().__init__()
        self.mode = mode
        if mode in ("upsample2d", "upsample3d"):
            self.resample = nn.Sequential(_Nearest2x(), nn.Conv2d(dim, dim // 2, 3, padding=1))
            if mode == "upsample3d":
                self.time_conv = CausalConv3d(dim, dim * 2, (3, 1, 1), padding=(1, 0, 0))
        elif mode in ("downsample2d", "downsample3d"):
            self.resample = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(dim, dim, 3, stride=(2, 2)))
            if mode == "downsample3d":
                self.time_conv = CausalConv3d(dim, dim, (3, 1, 1), stride=(2, 1, 1), padding=(0, 0, 0))
        else:
            raise ValueError(mode)

    def forward(self, x):
        if x.shape[2] != 1:
            raise ValueError("reference VAE handles single-frame inputs only")
        return _per_frame_2d(x, self.resample)


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, num_res: int, mode: Optional[str]):
        super().__init__()
        res = []
        for _ in range(num_res + 1):
            res.append(ResBlock(cin, cout))
            cin = cout
        self.resnets = nn.ModuleList(res)
        self.upsamplers = nn.ModuleList([Resample(cout, mode)]) if mode is not None else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class Decoder3d(nn.Module):
    def __init__(self, dim, z_dim, dim_mult, num_res, temperal_upsample, out_ch=3):
        super().__init__()
        dims = [dim * u for u in [dim_mult[-1]] + list(dim_mult[::-1])]
        self.conv_in = CausalConv3d(z_dim, dims[0], 3, padding=1)
        self.mid_block = MidBlock(dims[0])
        ups = []
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:])):
            if i > 0:
                cin = cin // 2
            mode = None
            if i != len(dim_mult) - 1:
                mode = "upsample3d" if temperal_upsample[i] else "upsample2d"
            ups.append(UpBlock(cin, cout, num_res, mode))
        self.up_blocks = nn.ModuleList(ups)
        self.norm_out = ChannelRMS(dims[-1], images=False)
        self.conv_out = CausalConv3d(dims[-1], out_ch, 3, padding=1)

    def forward(self, x, trace=None):
        x = self.conv_in(x)
        if trace is not None:
            trace["conv_in"] = x
        x = self.mid_block(x)
        if trace is not None:
            trace["mid"] = x
        for i, up in enumerate(self.up_blocks):
            x = up(x)
            if trace is not None:
                trace[f"up{i}"] = x
        return self.conv_out(F.silu(self.norm_out(x)))


class Encoder3d(nn.Module):
    def __init__(self, dim, z2, dim_mult, num_res, attn_scales, temperal_downsample, in_ch=3):
        super().__init__()
        dims = [dim * u for u in [1] + list(dim_mult)]
        scale = 1.0
        self.conv_in = CausalConv3d(in_ch, dims[0], 3, padding=1)
        blocks: List[nn.Module] = []
        cout = dims[0]
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:])):
            for _ in range(num_res):
                blocks.append(ResBlock(cin, cout))
                if scale in attn_scales:
                    blocks.append(AttnBlock(cout))
                cin = cout
            if i != len(dim_mult) - 1:
                blocks.append(Resample(cout, "downsample3d" if temperal_downsample[i] else "downsample2d"))
                scale /= 2.0
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = MidBlock(cout)
        self.norm_out = ChannelRMS(cout, images=False)
        self.conv_out = CausalConv3d(cout, z2, 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for blk in self.down_blocks:
            x = blk(x)
        x = self.mid_block(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class QwenImageVAE(nn.Module):
    """AutoencoderKLQwenImage names: encoder.*, quant_conv.*, post_quant_conv.*, decoder.*."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = cfg
        base = int(cfg.get("base_dim", 96))
        z = int(cfg.get("z_dim", 16))
        mult = [int(m) for m in cfg.get("dim_mult", [1, 2, 4, 4])]
        nres = int(cfg.get("num_res_blocks", 2))
        attn_scales = [float(s) for s in cfg.get("attn_scales", [])]
        tdown = [bool(t) for t in cfg.get("temperal_downsample", [False, True, True])]
        in_ch = int(cfg.get("input_channels", 3))
        self.z_dim = z
        self.encoder = Encoder3d(base, z * 2, mult, nres, attn_scales, tdown, in_ch)
        self.quant_conv = CausalConv3d(z * 2, z * 2, 1)
        self.post_quant_conv = CausalConv3d(z, z, 1)
        self.decoder = Decoder3d(base, z, mult, nres, tdown[::-1], in_ch)

    def decode(self, z: torch.Tensor, trace=None) -> torch.Tensor:
        """z: [B, z_dim, 1, h, w] (already de-normalised). Returns raw decoder output (no clamp)."""
        if z.shape[2] != 1:
            raise ValueError("reference VAE decodes a single frame")
        return self.decoder(self.post_quant_conv(z), trace)

    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, 3, 1, H, W] in [-1, 1]. Returns the posterior mean [B, z_dim, 1, H/8, W/8]."""
        return self.quant_conv(self.encoder(x))[:, : self.z_dim]
