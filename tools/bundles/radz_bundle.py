"""Shared helpers for the RadZ bundle export scripts (tools/bundles/export_*.py).

A RadZ model bundle is a directory: bundle.json (schema: docs/bundle.schema.json,
explained in docs/models.md) plus the files it names, each with its sha256.
These helpers write the ONNX encoders, a tokenizer.json that RadZ's
@huggingface/tokenizers loads, and bundle.json.

Only the Python standard library, torch and onnx are needed here; the
model-specific scripts import open_clip / transformers only when they load
real weights.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LABELS = os.path.join(HERE, "labels", "chest-xray.json")
ONNX_OPSET = 14

# The private coding scheme RadZ declares for concepts without a verified SNOMED CT code.
RADZ_CODING_SCHEME = {
    "designator": "99RADZ",
    "name": "RadZ private finding codes",
    "responsibleOrganization": "RadZ project",
}


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_ref(out_dir: str, name: str) -> Dict[str, str]:
    return {"file": name, "sha256": sha256_file(os.path.join(out_dir, name))}


def load_labels(path: Optional[str]) -> List[dict]:
    """Labels in bundle.json form (id, display, concept, prompts, knowledge, combine, calibration, threshold, triageWeight)."""
    with open(path or DEFAULT_LABELS, "r", encoding="utf-8") as f:
        data = json.load(f)
    labels = data["labels"] if isinstance(data, dict) else data
    for label in labels:
        label.setdefault("prompts", {"positive": [], "negative": []})
        label.setdefault("knowledge", [])
        label.setdefault("calibration", {"method": "none"})
        label.setdefault("threshold", 0.5)
    return labels


def label_texts(labels: Sequence[dict]) -> List[str]:
    seen: Dict[str, None] = {}
    for label in labels:
        for t in label["prompts"].get("positive", []) + label["prompts"].get("negative", []) + label.get("knowledge", []):
            seen.setdefault(t, None)
    return list(seen)


def coding_schemes_for(labels: Sequence[dict]) -> List[dict]:
    return [dict(RADZ_CODING_SCHEME)] if any(l["concept"]["scheme"] == "99RADZ" for l in labels) else []


# --- Tokenizers built without downloads (random-initialised test models) ---------------------------

_WORD = re.compile(r"\w+|[^\w\s]")


def words_of(texts: Iterable[str]) -> List[str]:
    """Lower-cased words and punctuation of the texts, in first-seen order (Whitespace pre-tokenizer + Lowercase)."""
    seen: Dict[str, None] = {}
    for t in texts:
        for w in _WORD.findall(t.lower()):
            seen.setdefault(w, None)
    return list(seen)


def wordlevel_tokenizer_json(vocab: Sequence[str], unk: str = "[UNK]", post_processor: Optional[dict] = None) -> dict:
    """A tokenizer.json with a WordLevel model, Lowercase normaliser and Whitespace pre-tokenizer."""
    ids = {w: i for i, w in enumerate(vocab)}
    specials = [w for w in vocab if w.startswith("[") or w.startswith("<")]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": ids[w], "content": w, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for w in specials
        ],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": post_processor,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": ids, "unk_token": unk},
    }


def wordpiece_tokenizer_json(vocab: Sequence[str], max_chars: int = 100) -> dict:
    """A BERT-style tokenizer.json: BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP]."""
    ids = {w: i for i, w in enumerate(vocab)}
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": ids[w], "content": w, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for w in specials
            if w in ids
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [ids["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [ids["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": max_chars, "vocab": ids},
    }


def write_json(path: str, obj: object) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


# --- ONNX export ------------------------------------------------------------------------------------


def export_onnx(module, args, path: str, input_names: List[str], output_names: List[str], dynamic_axes: dict, opset: int = ONNX_OPSET) -> None:
    """torch.onnx.export in eval mode, then an onnx.checker pass.

    Gradients stay enabled while tracing: in eval mode without gradients, torch's
    MultiheadAttention takes a fused "fast path" that cannot be exported.
    """
    import onnx
    import torch

    module.eval()
    with torch.enable_grad():
        torch.onnx.export(
            module,
            args,
            path,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
        )
    onnx.checker.check_model(onnx.load(path))


# --- bundle.json --------------------------------------------------------------------------------------


@dataclass
class Preprocess:
    size: int
    channels: int = 3
    resize: str = "bicubic"
    fit: str = "pad"
    pad_value: float = 0.0
    scale: str = "unit"
    quantize8: bool = True
    mean: Sequence[float] = (0.48145466, 0.4578275, 0.40821073)
    std: Sequence[float] = (0.26862954, 0.26130258, 0.27577711)

    def as_json(self) -> dict:
        return {
            "size": self.size,
            "resize": self.resize,
            "fit": self.fit,
            "padValue": self.pad_value,
            "channels": self.channels,
            "scale": self.scale,
            "quantize8": self.quantize8,
            "mean": list(self.mean),
            "std": list(self.std),
        }


def write_bundle(
    out_dir: str,
    *,
    identity: dict,
    image_encoder: dict,
    preprocess: Preprocess,
    scoring: dict,
    labels: List[dict],
    text_encoder: Optional[dict] = None,
    label_embeddings: Optional[dict] = None,
) -> dict:
    """Writes out_dir/bundle.json; file references must already carry their sha256 (file_ref)."""
    manifest = {
        # schemaVersion 2 adds imageEncoder.spatialOutputName; bundles without it stay at 1.
        "schemaVersion": 2 if "spatialOutputName" in image_encoder else 1,
        "identity": identity,
        "imageEncoder": image_encoder,
        **({"textEncoder": text_encoder} if text_encoder else {}),
        **({"labelEmbeddings": label_embeddings} if label_embeddings else {}),
        "preprocess": preprocess.as_json(),
        "scoring": scoring,
        "codingSchemes": coding_schemes_for(labels),
        "labels": labels,
    }
    write_json(os.path.join(out_dir, "bundle.json"), manifest)
    return manifest


def write_label_embeddings(out_dir: str, labels: Sequence[dict], embed_texts, name: str = "label-embeddings.bin") -> dict:
    """Precomputed label embeddings (for bundles shipped without a text encoder), combined as RadZ combines them.

    embed_texts(list[str]) -> torch.Tensor [n, D]. Positive rows: normalise(pw * mean_dir(prompts) + kw * mean_dir(knowledge));
    negative rows: mean_dir(negative prompts). Little-endian Float32, row-major.
    """
    import struct

    import torch

    def unit(v):
        return v / v.norm()

    def mean_dir(vs):
        return unit(torch.stack([unit(v) for v in vs]).sum(0))

    texts = label_texts(labels)
    with torch.no_grad():
        vectors = {t: v.double() for t, v in zip(texts, embed_texts(texts))}
    pos_ids, neg_ids, rows = [], [], []
    for l in labels:
        c = l.get("combine", {"promptWeight": 1, "knowledgeWeight": 0})
        parts = []
        if l["prompts"].get("positive") and c.get("promptWeight", 1) > 0:
            parts.append(c.get("promptWeight", 1) * mean_dir([vectors[t] for t in l["prompts"]["positive"]]))
        if l.get("knowledge") and c.get("knowledgeWeight", 0) > 0:
            parts.append(c.get("knowledgeWeight", 0) * mean_dir([vectors[t] for t in l["knowledge"]]))
        if parts:
            pos_ids.append(l["id"])
            rows.append(unit(sum(parts)))
    for l in labels:
        if l["prompts"].get("negative"):
            neg_ids.append(l["id"])
            rows.append(mean_dir([vectors[t] for t in l["prompts"]["negative"]]))
    dim = rows[0].shape[0]
    with open(os.path.join(out_dir, name), "wb") as f:
        for r in rows:
            f.write(struct.pack("<%df" % dim, *r.float().tolist()))
    return {**file_ref(out_dir, name), "shape": [len(rows), dim], "labelIds": pos_ids, "negativeLabelIds": neg_ids}


# --- Parity data for tests ----------------------------------------------------------------------------


def write_parity(path: str, image_module, image_shape: Sequence[int], text_module=None, ids=None, mask=None, seed: int = 0) -> None:
    """Records PyTorch outputs for a seeded image tensor and given token ids, so a test can check that
    RadZ (onnxruntime-node) reproduces them: {"image": {shape, data, embedding}, "text": {ids, mask, embedding}}."""
    import torch

    g = torch.Generator().manual_seed(seed)
    image = torch.rand(*image_shape, generator=g)
    out: dict = {}
    with torch.no_grad():
        result = image_module(image)
        # An image module with a spatial output returns (embedding, patch embeddings).
        embedding, patches = result if isinstance(result, tuple) else (result, None)
        out["image"] = {
            "shape": list(image_shape),
            "data": image.flatten().tolist(),
            "embedding": embedding.tolist(),
            **({"patches": patches.flatten(1).tolist()} if patches is not None else {}),
        }
        if text_module is not None and ids is not None:
            args = (ids,) if mask is None else (ids, mask)
            out["text"] = {
                "ids": ids.tolist(),
                **({"mask": mask.tolist()} if mask is not None else {}),
                "embedding": text_module(*args).tolist(),
            }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)


def export_encoder_pair(out_dir: str, image_module, text_module, size: int, ids, mask, tokenizer: dict, parity: Optional[str] = None, spatial: bool = False) -> None:
    """Exports the image encoder (image -> embedding, dynamic batch) and a text
    encoder taking input_ids + attention_mask (text_embedding), writes
    tokenizer.json, and the parity file when asked. Shared by the CLIP-style
    and MLLM export scripts so all bundles get the same names and axes.
    spatial: the image module returns (embedding, patch embeddings [B, h, w, D]),
    exported as a second output "patch_embeddings" (bundle.json spatialOutputName)."""
    import torch  # the scripts that call this already need torch

    outputs = ["embedding", "patch_embeddings"] if spatial else ["embedding"]
    export_onnx(image_module, (torch.zeros(2, 3, size, size),), os.path.join(out_dir, "image-encoder.onnx"), ["image"], outputs, {"image": {0: "batch"}, **{o: {0: "batch"} for o in outputs}})
    export_onnx(
        text_module,
        (ids, mask),
        os.path.join(out_dir, "text-encoder.onnx"),
        ["input_ids", "attention_mask"],
        ["text_embedding"],
        {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "text_embedding": {0: "batch"}},
    )
    write_json(os.path.join(out_dir, "tokenizer.json"), tokenizer)
    if parity:
        write_parity(parity, image_module, [2, 3, size, size], text_module, ids, mask)
