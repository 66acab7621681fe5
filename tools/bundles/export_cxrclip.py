#!/usr/bin/env python3
"""Build a RadZ model bundle from CXR-CLIP (You et al., MICCAI 2023;
github.com/kakaobrain/cxr-clip): a ResNet-50 (or Swin-T) image encoder and a
Bio_ClinicalBERT text encoder with projection heads, trained on chest X-ray
image/report pairs and class prompts.

Where the weights are (transformers installed; Bio_ClinicalBERT in the Hugging
Face cache or downloadable):

  python3 tools/bundles/export_cxrclip.py --checkpoint r50_mcc.tar --out bundles/cxr-clip

The checkpoint is CXR-CLIP's training checkpoint: {"model": state_dict,
"config": {...}}. Its state dict holds image_encoder.*, text_encoder.*,
image_projection.* and text_projection.*; pooling and projection type are read
from its config when present (--text-pooling / --projection override them).
Only the ResNet-50 image encoder is handled here. The script reports any
checkpoint keys it could not place and stops if the encoders are incomplete.

Test mode (no weights, no downloads): --random-init builds the same structure
at a small size with random weights (torchvision ResNet with bottleneck blocks;
BERT encoder; linear projections) and a WordPiece tokenizer over the label
texts; the bundle loads and scores in RadZ but recognises nothing
(identity.synthetic is true).

Preprocessing: grey radiograph replicated to 3 channels, padded to a square,
resized to --image-size (default 224), 8-bit, ImageNet-style mean/std (pass
--mean/--std to match the checkpoint's transform). Scoring: posneg-softmax
with the learned logit scale (CXR-CLIP evaluates zero-shot with positive and
negative prompts per class).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch import nn  # noqa: E402

import radz_bundle as rb  # noqa: E402
from towers import BertTextEncoder, PooledTextTower, ProjectedImageTower, ProjectionHead  # noqa: E402

TEXT_MODEL = "emilyalsentzer/Bio_ClinicalBERT"


class ResNetFeatures(nn.Module):
    """torchvision ResNet without its classifier: pooled features [B, 2048] (bottleneck) or [B, 512]."""

    def __init__(self, resnet):
        super().__init__()
        resnet.fc = nn.Identity()
        self.resnet = resnet

    def forward(self, x):
        return self.resnet(x)

    def feature_map(self, x):
        """The last stage's features before pooling: [B, C, h, w] (forward = their spatial mean)."""
        r = self.resnet
        x = r.maxpool(r.relu(r.bn1(r.conv1(x))))
        return r.layer4(r.layer3(r.layer2(r.layer1(x))))


class SpatialResNetTower(nn.Module):
    """image -> (embedding [B, D], patch embeddings [B, h, w, D]).

    The embedding is head(mean over positions of the feature map), as
    ProjectedImageTower gives it; the patch embeddings are the head applied at
    every position of the feature map (MaskCLIP's / CAM's reading of a
    pooled-then-projected ResNet: with a linear head their mean is the
    embedding exactly)."""

    def __init__(self, tower: ProjectedImageTower):
        super().__init__()
        self.backbone = tower.backbone
        self.head = tower.head

    def forward(self, image):
        fmap = self.backbone.feature_map(image)
        embedding = self.head(fmap.mean(dim=(2, 3)))
        patches = self.head(fmap.permute(0, 2, 3, 1))
        return embedding, patches


def strip(state: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def load_real(args):
    try:
        from transformers import AutoModel, AutoTokenizer  # type: ignore
    except ImportError:
        sys.exit("loading CXR-CLIP needs transformers (pip install transformers)")
    import json
    import tempfile

    from torchvision.models import resnet50

    ckpt = torch.load(args.checkpoint, map_location="cpu")
    state = ckpt.get("model", ckpt)
    config = ckpt.get("config", {}) or {}
    mcfg = config.get("model", {}) if isinstance(config, dict) else {}
    pooling = args.text_pooling or (mcfg.get("text_encoder", {}) or {}).get("pooling", "eos")
    pooling = {"bos": "cls"}.get(pooling, pooling)

    image = ResNetFeatures(resnet50(weights=None))
    missing, unexpected = image.resnet.load_state_dict(strip(state, args.image_prefix), strict=False)
    missing = [k for k in missing if not k.startswith("fc.")]
    if missing:
        sys.exit(f"image encoder: {len(missing)} weights missing under '{args.image_prefix}' (e.g. {missing[:3]}); set --image-prefix")
    text_model = AutoModel.from_pretrained(args.text_model)
    t_missing, _ = text_model.load_state_dict(strip(state, args.text_prefix), strict=False)
    t_missing = [k for k in t_missing if "position_ids" not in k and not k.startswith("pooler.")]
    if t_missing:
        sys.exit(f"text encoder: {len(t_missing)} weights missing under '{args.text_prefix}' (e.g. {t_missing[:3]}); set --text-prefix")

    def head(prefix, width):
        sd = strip(state, prefix)
        kind = args.projection or ("mlp" if any(k.startswith("fc.") for k in sd) else "linear")
        weight = [v for k, v in sd.items() if k.endswith("weight") and v.dim() == 2][0]
        embed_dim = weight.shape[0]
        if kind == "linear":
            h = nn.Linear(width, embed_dim, bias="projection.bias" in sd)
            h.load_state_dict({k.replace("projection.", ""): v for k, v in sd.items()})
            return h, embed_dim
        sys.exit("MLP projection heads: load them into your own module, or pass --projection linear if the checkpoint uses linear heads")

    image_head, embed_dim = head(args.image_proj_prefix, 2048)
    text_head, _ = head(args.text_proj_prefix, text_model.config.hidden_size)
    tokenizer = AutoTokenizer.from_pretrained(args.text_model)
    with tempfile.TemporaryDirectory() as d:
        tokenizer.save_pretrained(d)
        with open(os.path.join(d, "tokenizer.json"), "r", encoding="utf-8") as f:
            tokenizer_json = json.load(f)
    logit_scale = float(state["logit_scale"].exp()) if "logit_scale" in state else 100.0
    image_tower = ProjectedImageTower(image, image_head).eval()
    text_tower = PooledTextTower(text_model, pooling, text_head, hf=True).eval()
    return image_tower, text_tower, tokenizer_json, logit_scale, int(tokenizer.pad_token_id or 0), embed_dim


def build_random(labels, seed):
    from torchvision.models.resnet import Bottleneck, ResNet

    torch.manual_seed(seed)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + rb.words_of(rb.label_texts(labels))
    embed_dim = 32
    image = ProjectedImageTower(ResNetFeatures(ResNet(Bottleneck, [1, 1, 1, 1], width_per_group=16)), ProjectionHead("linear", 2048, embed_dim))
    text = PooledTextTower(BertTextEncoder(len(vocab), hidden=48, layers=2, heads=2, intermediate=96), "cls", ProjectionHead("linear", 48, embed_dim))
    return image.eval(), text.eval(), rb.wordpiece_tokenizer_json(vocab), 100.0, 0, embed_dim


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="CXR-CLIP checkpoint (.tar/.pt with 'model' state dict)")
    src.add_argument("--random-init", action="store_true", help="random weights, small config (tests)")
    p.add_argument("--text-model", default=TEXT_MODEL)
    p.add_argument("--text-pooling", choices=["cls", "eos", "mean"])
    p.add_argument("--projection", choices=["linear", "mlp"])
    p.add_argument("--image-prefix", default="image_encoder.resnet.")
    p.add_argument("--text-prefix", default="text_encoder.text_encoder.")
    p.add_argument("--image-proj-prefix", default="image_projection.")
    p.add_argument("--text-proj-prefix", default="text_projection.")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--mean", type=float, nargs=3, default=[0.485, 0.456, 0.406])
    p.add_argument("--std", type=float, nargs=3, default=[0.229, 0.224, 0.225])
    p.add_argument("--labels", help="labels JSON (default: tools/bundles/labels/chest-xray.json)")
    p.add_argument("--id", default=None)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parity", help="also write PyTorch outputs for a seeded input here (JSON, for tests)")
    args = p.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    labels = rb.load_labels(args.labels)
    if args.random_init:
        image, text, tokenizer, logit_scale, pad_id, embed_dim = build_random(labels, args.seed)
        size = 64
    else:
        image, text, tokenizer, logit_scale, pad_id, embed_dim = load_real(args)
        size = args.image_size

    ids = torch.tensor([[2, 5, 6, 3, 0], [2, 7, 8, 9, 3]], dtype=torch.long)
    mask = (ids != 0).long()
    rb.export_encoder_pair(args.out, SpatialResNetTower(image).eval(), text, size, ids, mask, tokenizer, args.parity, spatial=True)

    synthetic = bool(args.random_init)
    rb.write_bundle(
        args.out,
        identity={
            "id": args.id or ("cxr-clip-random-init" if synthetic else "cxr-clip-r50"),
            "name": "CXR-CLIP ResNet-50 (RANDOM WEIGHTS, export test only)" if synthetic else "CXR-CLIP ResNet-50 / Bio_ClinicalBERT",
            "version": args.version,
            "license": "CXR-CLIP code and weights: see github.com/kakaobrain/cxr-clip (research use)",
            "intendedUse": "Testing the RadZ export path only; random weights recognise nothing."
            if synthetic
            else "Research use: zero-shot chest radiograph findings. Not a medical device.",
            "source": "random initialisation of the CXR-CLIP structure" if synthetic else f"CXR-CLIP checkpoint {os.path.basename(args.checkpoint)}",
            "citation": "You K, Gu J, Ham J, et al. CXR-CLIP: Toward Large Scale Chest X-ray Language-Image Pre-training. MICCAI 2023.",
            "synthetic": synthetic,
        },
        image_encoder={
            **rb.file_ref(args.out, "image-encoder.onnx"),
            "inputName": "image",
            "outputName": "embedding",
            "spatialOutputName": "patch_embeddings",
            "embeddingSize": embed_dim,
        },
        text_encoder={
            **rb.file_ref(args.out, "text-encoder.onnx"),
            "tokenizer": rb.file_ref(args.out, "tokenizer.json"),
            "inputIdsName": "input_ids",
            "attentionMaskName": "attention_mask",
            "outputName": "text_embedding",
            "maxLength": 256 if synthetic else 512,
            "padTokenId": pad_id,
        },
        preprocess=rb.Preprocess(size=size, channels=3, resize="bilinear", fit="pad", scale="unit", quantize8=True, mean=args.mean, std=args.std),
        scoring={"similarity": "cosine", "logitScale": float(min(100.0, logit_scale)), "mode": "posneg-softmax", "bias": 0},
        labels=labels,
    )
    print(f"wrote {args.out}/bundle.json (embedding {embed_dim}, input {size}px)")


if __name__ == "__main__":
    main()
