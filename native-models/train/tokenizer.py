"""Tiny byte-level BPE tokenizer (GPT-2 / Qwen2 file format) for the default model.

Base vocabulary: the 256 byte-level symbols (so any text can be encoded, byte by byte).
On top: one token per English caption word (both "word" and "Ġword" = " word"),
one token per Chinese character used in captions, plus the template words; merges are
generated so that every such word/character becomes exactly one token under
Qwen2's pre-tokenizer + byte-level BPE. Special tokens <|endoftext|>, <|im_start|>,
<|im_end|> follow the merged vocabulary (as in Qwen2's tokenizer_config.json).

The Python encoder here (pre-tokenizer regex approximated with the `re` module; the
captions only contain letters, CJK, spaces, "，" and newlines) is what train.py uses;
the app's TS tokenizer loads the same vocab.json/merges.txt.
"""

from __future__ import annotations

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qwen-image", "reference"))
from cli import bytes_to_unicode  # noqa: E402  (the one byte-level alphabet)

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# Short prompt template for the default model (recorded in prompt.json / model.json).
TEMPLATE = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"
TEMPLATE_WORDS = ["user", "assistant"]


BYTE_ENC = bytes_to_unicode()
BYTE_DEC = {v: k for k, v in BYTE_ENC.items()}


def to_bl(s: str) -> str:
    return "".join(BYTE_ENC[b] for b in s.encode("utf-8"))


# Qwen2 pre-tokenizer regex:
#  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
# Python's re lacks \p{L}; [^\W\d_] is "letter" for our purposes.
_L = r"[^\W\d_]"
_PRE = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\w]?" + _L + r"+|[^\r\n" + r"\w]?(?:" + _L + r")+|\d| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+|_+"
)


def pre_tokenize(text: str) -> list[str]:
    return [m.group(0) for m in _PRE.finditer(text)]


class BPE:
    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]]):
        self.vocab = vocab
        self.merges = merges
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.specials = {s: vocab[s] for s in SPECIALS if s in vocab}

    def bpe(self, word: str) -> list[str]:
        parts = list(word)
        while len(parts) > 1:
            best = None
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, i)
            if best is None:
                break
            a, b = parts[best[1]], parts[best[1] + 1]
            out: list[str] = []
            i = 0
            while i < len(parts):
                if i < len(parts) - 1 and parts[i] == a and parts[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        return parts

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        pat = "(" + "|".join(re.escape(s) for s in self.specials) + ")"
        for chunk in re.split(pat, text) if self.specials else [text]:
            if not chunk:
                continue
            if chunk in self.specials:
                ids.append(self.specials[chunk])
                continue
            for piece in pre_tokenize(chunk):
                ids.extend(self.vocab[t] for t in self.bpe(to_bl(piece)))
        return ids

    @staticmethod
    def load(folder: str) -> "BPE":
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            lines = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#version")]
        merges = [tuple(ln.split(" ")) for ln in lines]
        with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        for k, v in cfg["added_tokens_decoder"].items():
            vocab[v["content"]] = int(k)
        return BPE(vocab, merges)  # type: ignore[arg-type]


def build(words_en: list[str], chars_zh: list[str]) -> tuple[dict[str, int], list[tuple[str, str]], BPE]:
    vocab: dict[str, int] = {}
    for b in range(256):
        vocab.setdefault(BYTE_ENC[b], len(vocab))
    merges: list[tuple[str, str]] = []
    bpe = BPE(vocab, merges)

    def add_word(bl: str) -> None:
        while True:
            parts = bpe.bpe(bl)
            if len(parts) == 1:
                return
            a, b = parts[0], parts[1]
            merges.append((a, b))
            bpe.ranks[(a, b)] = len(merges) - 1
            if a + b not in vocab:
                vocab[a + b] = len(vocab)

    # Chinese characters first (3-byte chains), also with a leading "，" (the pre-tokenizer
    # attaches one non-letter to a letter run) -- "，" itself is its own token.
    for ch in chars_zh:
        add_word(to_bl(ch))
    for w in words_en + TEMPLATE_WORDS:
        add_word(to_bl(w))
        add_word(to_bl(" " + w))
    for s in SPECIALS:
        vocab[s] = len(vocab)
    return vocab, merges, BPE(vocab, merges)


def write(folder: str, vocab: dict[str, int], merges: list[tuple[str, str]]) -> None:
    os.makedirs(folder, exist_ok=True)
    base = {k: v for k, v in vocab.items() if k not in SPECIALS}
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(base, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    added = {
        str(vocab[s]): {"content": s, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
        for s in SPECIALS
    }
    cfg = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "bos_token": None,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "model_max_length": 1024,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=2)


def drop_tokens(bpe: BPE, template: str = TEMPLATE) -> int:
    return len(bpe.encode(template.split("{}")[0]))


if __name__ == "__main__":
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from dataset import all_caption_words

    en, zh = all_caption_words()
    vocab, merges, bpe = build(en, zh)
    print("vocab", len(vocab), "merges", len(merges))
    for t in ["red gradient background with gold dots", "红色渐变背景，金色圆点", " ", TEMPLATE.format("蓝色纯背景")]:
        ids = bpe.encode(t)
        print(repr(t), ids, [k for i in ids for k, v in vocab.items() if v == i])
    print("dropTokens", drop_tokens(bpe))
