"""Minimal safetensors reader/writer built on numpy only (no `safetensors` package).

Format: 8-byte little-endian u64 header length N, then N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
then the raw little-endian tensor bytes. Offsets are relative to the end of the header.

BF16 has no numpy dtype: it is read as uint16 and widened to float32 (exact), and
written from float32 with round-to-nearest-even.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Dict, Iterable, Optional

import numpy as np

_NP_OF = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_CODE_OF = {
    np.dtype("float64"): "F64",
    np.dtype("float32"): "F32",
    np.dtype("float16"): "F16",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("int16"): "I16",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}


def bf16_bits_to_f32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(x)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    out = rounded.astype(np.uint16)
    out[nan] = 0x7FC0
    return out


def read_header(path: str) -> tuple[dict, int]:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    return header, 8 + n


def load_file(path: str, names: Optional[Iterable[str]] = None) -> Dict[str, np.ndarray]:
    """Load tensors as numpy arrays. BF16 becomes float32; other dtypes keep their numpy dtype."""
    header, base = read_header(path)
    wanted = None if names is None else set(names)
    out: Dict[str, np.ndarray] = {}
    with open(path, "rb") as f:
        for name, info in header.items():
            if name == "__metadata__" or (wanted is not None and name not in wanted):
                continue
            begin, end = info["data_offsets"]
            f.seek(base + begin)
            raw = f.read(end - begin)
            shape = tuple(info["shape"])
            dt = info["dtype"]
            if dt == "BF16":
                arr = bf16_bits_to_f32(np.frombuffer(raw, dtype="<u2")).reshape(shape)
            elif dt in _NP_OF:
                arr = np.frombuffer(raw, dtype=_NP_OF[dt]).reshape(shape).copy()
            else:
                raise ValueError(f"{path}: tensor {name}: unsupported dtype {dt}")
            out[name] = arr
    return out


def save_file(
    tensors: Dict[str, np.ndarray],
    path: str,
    metadata: Optional[Dict[str, str]] = None,
    bf16: Iterable[str] = (),
) -> None:
    """Write tensors (sorted by name). Names listed in `bf16` are stored as BF16 from float32."""
    bf16_set = set(bf16)
    header: dict = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        if name in bf16_set:
            code = "BF16"
            data = f32_to_bf16_bits(arr.astype(np.float32)).astype("<u2").tobytes()
        else:
            if arr.dtype not in _CODE_OF:
                raise ValueError(f"tensor {name}: unsupported numpy dtype {arr.dtype}")
            code = _CODE_OF[arr.dtype]
            data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_folder(folder: str, stem: str) -> Dict[str, np.ndarray]:
    """Load `<stem>.safetensors`, or the shards listed in `<stem>.safetensors.index.json`.

    Falls back to every *.safetensors in the folder when neither exists.
    """
    single = os.path.join(folder, stem + ".safetensors")
    index = os.path.join(folder, stem + ".safetensors.index.json")
    if os.path.exists(single):
        return load_file(single)
    files: list[str]
    if os.path.exists(index):
        with open(index, "r", encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
        files = sorted(set(weight_map.values()))
    else:
        files = sorted(p for p in os.listdir(folder) if p.endswith(".safetensors"))
        if not files:
            raise FileNotFoundError(f"no safetensors weights in {folder}")
    out: Dict[str, np.ndarray] = {}
    for name in files:
        out.update(load_file(os.path.join(folder, name)))
    return out


def save_sharded(tensors: Dict[str, np.ndarray], folder: str, stem: str, shards: int) -> None:
    """Write `<stem>-0000i-of-0000n.safetensors` + index json (diffusers/HF layout)."""
    names = sorted(tensors)
    per = (len(names) + shards - 1) // shards
    weight_map = {}
    total = 0
    for i in range(shards):
        part = names[i * per : (i + 1) * per]
        fname = f"{stem}-{i + 1:05d}-of-{shards:05d}.safetensors"
        save_file({n: tensors[n] for n in part}, os.path.join(folder, fname))
        for n in part:
            weight_map[n] = fname
            total += np.asarray(tensors[n]).nbytes
    with open(os.path.join(folder, stem + ".safetensors.index.json"), "w", encoding="utf-8") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
