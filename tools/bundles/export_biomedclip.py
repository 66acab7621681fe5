#!/usr/bin/env python3
"""Build a RadZ model bundle from BiomedCLIP (Zhang et al., 2023;
huggingface.co/microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224):
a ViT-B/16 image encoder and a PubMedBERT text encoder (CLS pooling, MLP
projection, 256 tokens) trained on PMC-15M figure/caption pairs.

Where the weights are (open_clip and transformers installed, the model in the
Hugging Face cache or downloadable):

  python3 tools/bundles/export_biomedclip.py --out bundles/biomedclip

or from a local open_clip checkpoint directory:

  python3 tools/bundles/export_biomedclip.py --model hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224 --out ...

Test mode (no weights, no downloads): --random-init builds the same
structure at a tiny size with random weights (torchvision ViT with a linear
projection; BERT encoder with CLS pooling and an MLP projection) and a
WordPiece tokenizer over the label texts; the bundle loads and scores in RadZ
but recognises nothing (identity.synthetic is true).

Preprocessing follows BiomedCLIP's open_clip transform: bicubic resize of the
shorter side to 224, centre crop, OpenAI CLIP mean/std. Scoring:
posneg-softmax with the learned logit scale (BiomedCLIP's own zero-shot
examples use softmax across labels; for multi-label chest findings the
positive/negative pair per label is the usual choice).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import radz_bundle as rb  # noqa: E402
from towers import BertTextEncoder, PooledTextTower, ProjectedImageTower, ProjectionHead, tiny_vit  # noqa: E402

HF_ID = "hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224"
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


class OpenClipImage(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        return self.model.encode_image(image)


class OpenClipText(torch.nn.Module):
    """open_clip's HF text tower derives the mask from the pad id; RadZ passes the same mask explicitly."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        text = self.model.text
        out = text.transformer(input_ids=input_ids, attention_mask=attention_mask)
        pooled = text.pooler(out, attention_mask)
        return text.proj(pooled)


def load_real(model_id):
    try:
        import open_clip  # type: ignore
    except ImportError:
        sys.exit("loading BiomedCLIP needs open_clip_torch and transformers (pip install open_clip_torch transformers)")
    model, _ = open_clip.create_model_from_pretrained(model_id)
    tokenizer = open_clip.get_tokenizer(model_id)
    with tempfile.TemporaryDirectory() as d:
        tokenizer.tokenizer.save_pretrained(d)
        with open(os.path.join(d, "tokenizer.json"), "r", encoding="utf-8") as f:
            tokenizer_json = json.load(f)
    model.eval()
    image_size = model.visual.image_size if hasattr(model.visual, "image_size") else 224
    size = image_size[0] if isinstance(image_size, (tuple, list)) else int(image_size)
    return OpenClipImage(model), OpenClipText(model), tokenizer_json, size, float(model.logit_scale.exp()), 256, int(tokenizer.tokenizer.pad_token_id or 0)


def build_random(labels, seed):
    torch.manual_seed(seed)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + rb.words_of(rb.label_texts(labels))
    embed_dim = 32
    image = ProjectedImageTower(tiny_vit(image_size=32, patch=16, hidden=64, layers=2, heads=2), ProjectionHead("linear", 64, embed_dim))
    text = PooledTextTower(BertTextEncoder(len(vocab), hidden=48, layers=2, heads=2, intermediate=96, max_positions=256), "cls", ProjectionHead("mlp", 48, embed_dim))
    return image.eval(), text.eval(), rb.wordpiece_tokenizer_json(vocab), 32, 100.0, 256, 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--random-init", action="store_true", help="random weights, tiny config (tests)")
    p.add_argument("--model", default=HF_ID, help="open_clip model id (default: BiomedCLIP on the Hugging Face hub)")
    p.add_argument("--labels", help="labels JSON (default: tools/bundles/labels/chest-xray.json)")
    p.add_argument("--id", default=None)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parity", help="also write PyTorch outputs for a seeded input here (JSON, for tests)")
    args = p.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    labels = rb.load_labels(args.labels)
    if args.random_init:
        image, text, tokenizer, size, logit_scale, max_len, pad_id = build_random(labels, args.seed)
    else:
        image, text, tokenizer, size, logit_scale, max_len, pad_id = load_real(args.model)

    with torch.no_grad():
        embed_dim = int(image(torch.zeros(1, 3, size, size)).shape[1])
    ids = torch.tensor([[2, 5, 6, 3, 0], [2, 7, 8, 9, 3]], dtype=torch.long)
    mask = (ids != 0).long()
    mask[:, 0] = 1
    rb.export_encoder_pair(args.out, image, text, size, ids, mask, tokenizer, args.parity)

    synthetic = bool(args.random_init)
    rb.write_bundle(
        args.out,
        identity={
            "id": args.id or ("biomedclip-random-init" if synthetic else "biomedclip-vitb16-pubmedbert"),
            "name": "BiomedCLIP ViT-B/16 PubMedBERT (RANDOM WEIGHTS, export test only)" if synthetic else "BiomedCLIP ViT-B/16 PubMedBERT-256",
            "version": args.version,
            "license": "MIT (BiomedCLIP weights: research use, see the model card)",
            "intendedUse": "Testing the RadZ export path only; random weights recognise nothing."
            if synthetic
            else "Research use: zero-shot biomedical image findings. Not a medical device; not validated for chest radiograph triage.",
            "source": "random initialisation of the BiomedCLIP structure" if synthetic else args.model,
            "citation": "Zhang S, Xu Y, Usuyama N, et al. BiomedCLIP: a multimodal biomedical foundation model pretrained from fifteen million scientific image-text pairs. arXiv:2303.00915, 2023.",
            "synthetic": synthetic,
        },
        image_encoder={**rb.file_ref(args.out, "image-encoder.onnx"), "inputName": "image", "outputName": "embedding", "embeddingSize": embed_dim},
        text_encoder={
            **rb.file_ref(args.out, "text-encoder.onnx"),
            "tokenizer": rb.file_ref(args.out, "tokenizer.json"),
            "inputIdsName": "input_ids",
            "attentionMaskName": "attention_mask",
            "outputName": "text_embedding",
            "maxLength": max_len,
            "padTokenId": pad_id,
        },
        preprocess=rb.Preprocess(size=size, channels=3, resize="bicubic", fit="crop", scale="unit", quantize8=True, mean=OPENAI_MEAN, std=OPENAI_STD),
        scoring={"similarity": "cosine", "logitScale": float(min(100.0, logit_scale)), "mode": "posneg-softmax", "bias": 0},
        labels=labels,
    )
    print(f"wrote {args.out}/bundle.json (embedding {embed_dim}, input {size}px)")


if __name__ == "__main__":
    main()
