"""Single-frame (T=1) training form of the Qwen-Image VAE.

For one frame, every causal 3D conv of AutoencoderKLQwenImage sees two zero frames of causal
padding, so it equals a 2D conv with the kernel's last time slice, and the temporal resample
convs (time_conv) are skipped on the first frame. This module computes exactly that with 2D ops
(about 3x cheaper to train on CPU) while keeping the diffusers parameter names and shapes
(3D conv weights [out, in, 3, 3, 3], time_conv weights included), so its state_dict loads
unchanged into native-models/qwen-image/reference/models.py or diffusers. check.py verifies
the equivalence against the reference module when that module is present.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalConv3d(nn.Conv3d):
    def __init__(self, cin: int, cout: int, k, stride=1, padding=0):
        super().__init__(cin, cout, k, stride=stride, padding=0)
        self.p2 = padding if isinstance(padding, int) else padding[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B,C,H,W)
        return F.conv2d(x, self.weight[:, :, -1], self.bias, stride=self.stride[1:], padding=self.p2)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, images: bool = True):
        super().__init__()
        self.scale = dim**0.5
        self.gamma = nn.Parameter(torch.ones((dim, 1, 1) if images else (dim, 1, 1, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.gamma.view(-1, 1, 1)
        return F.normalize(x, dim=1) * self.scale * g


class Resample(nn.Module):
    def __init__(self, dim: int, mode: str):
        super().__init__()
        self.mode = mode
        if mode.startswith("upsample"):
            self.resample = nn.Sequential(nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(dim, dim // 2, 3, padding=1))
            if mode == "upsample3d":
                self.time_conv = CausalConv3d(dim, dim * 2, (3, 1, 1), padding=(1, 0, 0))
        else:
            self.resample = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(dim, dim, 3, stride=2))
            if mode == "downsample3d":
                self.time_conv = CausalConv3d(dim, dim, (3, 1, 1), stride=(2, 1, 1), padding=(0, 0, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resample(x)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm1 = RMSNorm(cin, images=False)
        self.conv1 = CausalConv3d(cin, cout, 3, padding=1)
        self.norm2 = RMSNorm(cout, images=False)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = CausalConv3d(cout, cout, 3, padding=1)
        self.conv_shortcut = CausalConv3d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_shortcut(x)
        x = self.conv1(F.silu(self.norm1(x)))
        x = self.conv2(F.silu(self.norm2(x)))
        return x + h


class Attn(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.norm = RMSNorm(dim)
        self.to_qkv = nn.Conv2d(dim, dim * 3, 1)
        self.proj = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        qkv = self.to_qkv(self.norm(x)).reshape(b, c * 3, h * w).permute(0, 2, 1)
        q, k, v = qkv.chunk(3, dim=-1)
        a = torch.softmax(q @ k.transpose(1, 2) / c**0.5, dim=-1) @ v
        return self.proj(a.permute(0, 2, 1).reshape(b, c, h, w)) + x


class MidBlock(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.attentions = nn.ModuleList([Attn(dim)])
        self.resnets = nn.ModuleList([ResBlock(dim, dim), ResBlock(dim, dim)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.resnets[0](x)
        return self.resnets[1](self.attentions[0](x))


class Encoder(nn.Module):
    def __init__(self, dim, z_dim, dim_mult, num_res_blocks, attn_scales, temperal_downsample):
        super().__init__()
        dims = [dim * u for u in [1] + dim_mult]
        self.conv_in = CausalConv3d(3, dims[0], 3, padding=1)
        self.down_blocks = nn.ModuleList([])
        scale = 1.0
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:])):
            for _ in range(num_res_blocks):
                self.down_blocks.append(ResBlock(cin, cout))
                if scale in attn_scales:
                    self.down_blocks.append(Attn(cout))
                cin = cout
            if i != len(dim_mult) - 1:
                self.down_blocks.append(Resample(cout, "downsample3d" if temperal_downsample[i] else "downsample2d"))
                scale /= 2.0
        self.mid_block = MidBlock(cout)
        self.norm_out = RMSNorm(cout, images=False)
        self.conv_out = CausalConv3d(cout, z_dim, 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for blk in self.down_blocks:
            x = blk(x)
        x = self.mid_block(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class UpBlock(nn.Module):
    def __init__(self, cin, cout, num_res_blocks, mode):
        super().__init__()
        self.resnets = nn.ModuleList([ResBlock(cin if j == 0 else cout, cout) for j in range(num_res_blocks + 1)])
        self.upsamplers = nn.ModuleList([Resample(cout, mode)]) if mode else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class Decoder(nn.Module):
    def __init__(self, dim, z_dim, dim_mult, num_res_blocks, attn_scales, temperal_upsample):
        super().__init__()
        if attn_scales:
            raise ValueError("vae2d: attn_scales not supported")
        dims = [dim * u for u in [dim_mult[-1]] + dim_mult[::-1]]
        self.conv_in = CausalConv3d(z_dim, dims[0], 3, padding=1)
        self.mid_block = MidBlock(dims[0])
        self.up_blocks = nn.ModuleList([])
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:])):
            if i > 0:
                cin = cin // 2
            mode = None
            if i != len(dim_mult) - 1:
                mode = "upsample3d" if temperal_upsample[i] else "upsample2d"
            self.up_blocks.append(UpBlock(cin, cout, num_res_blocks, mode))
        self.norm_out = RMSNorm(cout, images=False)
        self.conv_out = CausalConv3d(cout, 3, 3, padding=1)

    def forward(self, x):
        x = self.mid_block(self.conv_in(x))
        for u in self.up_blocks:
            x = u(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class VAE2D(nn.Module):
    """Same constructor arguments and state_dict as AutoencoderKLQwenImage; 4D tensors (B,C,H,W)."""

    def __init__(self, base_dim=16, z_dim=16, dim_mult=(1, 2, 2, 2), num_res_blocks=1, attn_scales=(),
                 temperal_downsample=(False, True, True), dropout=0.0, **_unused):
        super().__init__()
        self.z_dim = z_dim
        self.encoder = Encoder(base_dim, z_dim * 2, list(dim_mult), num_res_blocks, list(attn_scales), list(temperal_downsample))
        self.quant_conv = CausalConv3d(z_dim * 2, z_dim * 2, 1)
        self.post_quant_conv = CausalConv3d(z_dim, z_dim, 1)
        self.decoder = Decoder(base_dim, z_dim, list(dim_mult), num_res_blocks, list(attn_scales), list(temperal_downsample)[::-1])

    def encode_moments(self, x: torch.Tensor) -> torch.Tensor:
        """(B,3,H,W) -> (B, 2*z, h, w): mean and logvar channels, like diffusers' `h`."""
        return self.quant_conv(self.encoder(x))

    def decode_raw(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.post_quant_conv(z))
