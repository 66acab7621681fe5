#!/usr/bin/env python3
"""Build a RadZ model bundle from CheXzero (Tiu et al., Nature Biomedical
Engineering 2022; github.com/rajpurkarlab/CheXzero): a CLIP ViT-B/32
fine-tuned on MIMIC-CXR image/report pairs, scored zero-shot with
positive/negative prompt pairs ("pneumothorax" vs "no pneumothorax").

Where the weights are (no network needed):

  python3 tools/bundles/export_chexzero.py \\
      --checkpoint checkpoints/chexzero_weights/best_64_5e-05_original_22000_0.864.pt \\
      --tokenizer-json clip-vit-base-patch32/tokenizer.json \\
      --out bundles/chexzero

The checkpoint is the state dict of the CLIP model (loaded here into
clip_model.CLIP, same parameter names as openai/CLIP). tokenizer.json is
the CLIP BPE tokenizer as Hugging Face ships it (openai/clip-vit-base-patch32);
with `transformers` installed and cached, --tokenizer-json may be omitted.

Test mode (no weights, no downloads): --random-init builds a small CLIP of the
same architecture with random weights and a word-level tokenizer over the
label texts; the bundle it writes loads and scores in RadZ but recognises
nothing (identity.synthetic is true).

Preprocessing follows CheXzero: the radiograph is padded to a square with
black, resized (bicubic) to the model's resolution, replicated to 3 channels,
and normalised on the 0-255 scale with mean 101.48761 and std 83.43944.
Scoring: posneg-softmax with the model's learned logit scale (CheXzero's own
evaluation uses unscaled cosines; the ranking and AUROC are the same, and
`radz calibrate` fits the probabilities either way).
"""
from __future__ import annotations

import argparse
import math
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import radz_bundle as rb  # noqa: E402
from clip_model import SpatialImageTower, TextTower, build_clip, build_clip_from_state_dict  # noqa: E402

CHEXZERO_MEAN = 101.48761
CHEXZERO_STD = 83.43944


def random_tokenizer(labels):
    vocab = ["[PAD]", "[UNK]", "<|startoftext|>"] + rb.words_of(rb.label_texts(labels)) + ["<|endoftext|>"]
    ids = {w: i for i, w in enumerate(vocab)}
    post = {
        "type": "TemplateProcessing",
        "single": [
            {"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}},
        ],
        "pair": [
            {"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"Sequence": {"id": "B", "type_id": 1}},
            {"SpecialToken": {"id": "<|endoftext|>", "type_id": 1}},
        ],
        "special_tokens": {
            "<|startoftext|>": {"id": "<|startoftext|>", "ids": [ids["<|startoftext|>"]], "tokens": ["<|startoftext|>"]},
            "<|endoftext|>": {"id": "<|endoftext|>", "ids": [ids["<|endoftext|>"]], "tokens": ["<|endoftext|>"]},
        },
    }
    return rb.wordlevel_tokenizer_json(vocab, post_processor=post), len(vocab)


def clip_tokenizer_json(path):
    if path:
        with open(path, "r", encoding="utf-8") as f:
            import json

            return json.load(f)
    try:
        from transformers import CLIPTokenizerFast  # type: ignore
    except ImportError:
        sys.exit("give --tokenizer-json (the CLIP tokenizer.json), or install transformers with a cached openai/clip-vit-base-patch32")
    import json
    import tempfile

    tok = CLIPTokenizerFast.from_pretrained("openai/clip-vit-base-patch32")
    with tempfile.TemporaryDirectory() as d:
        tok.save_pretrained(d)
        with open(os.path.join(d, "tokenizer.json"), "r", encoding="utf-8") as f:
            return json.load(f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="bundle directory to write")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="CheXzero .pt state dict")
    src.add_argument("--random-init", action="store_true", help="random weights, small config (tests)")
    p.add_argument("--tokenizer-json", help="CLIP tokenizer.json (Hugging Face format)")
    p.add_argument("--labels", help="labels JSON (default: tools/bundles/labels/chest-xray.json)")
    p.add_argument("--id", default=None)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parity", help="also write PyTorch outputs for a seeded input here (JSON, for tests)")
    args = p.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    labels = rb.load_labels(args.labels)
    torch.manual_seed(args.seed)

    if args.random_init:
        tokenizer, vocab_size = random_tokenizer(labels)
        model = build_clip(
            embed_dim=64,
            image_resolution=64,
            vision_layers=2,
            vision_width=64,
            vision_patch_size=16,
            context_length=77,
            vocab_size=vocab_size,
            transformer_width=64,
            transformer_heads=2,
            transformer_layers=2,
        ).eval()
        pad_id = 0
    else:
        state = torch.load(args.checkpoint, map_location="cpu")
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        model = build_clip_from_state_dict(dict(state))
        tokenizer = clip_tokenizer_json(args.tokenizer_json)
        pad_id = 0  # CLIP pads with 0 after <|endoftext|>; the EOT id is the row's maximum

    resolution = model.visual.input_resolution
    embed_dim = model.text_projection.shape[1]
    # The image encoder also gives MaskCLIP-style patch embeddings (RadZ's spatial output).
    rb.export_onnx(
        SpatialImageTower(model),
        (torch.zeros(2, 3, resolution, resolution),),
        os.path.join(args.out, "image-encoder.onnx"),
        ["image"],
        ["embedding", "patch_embeddings"],
        {"image": {0: "batch"}, "embedding": {0: "batch"}, "patch_embeddings": {0: "batch"}},
    )
    example_ids = torch.zeros(2, 8, dtype=torch.long)
    example_ids[:, 0] = 1
    example_ids[:, 4] = model.vocab_size - 1
    rb.export_onnx(
        TextTower(model),
        (example_ids,),
        os.path.join(args.out, "text-encoder.onnx"),
        ["input_ids"],
        ["text_embedding"],
        {"input_ids": {0: "batch", 1: "tokens"}, "text_embedding": {0: "batch"}},
    )
    rb.write_json(os.path.join(args.out, "tokenizer.json"), tokenizer)
    if args.parity:
        rb.write_parity(args.parity, SpatialImageTower(model), [2, 3, resolution, resolution], TextTower(model), example_ids)

    logit_scale = float(min(100.0, math.exp(float(model.logit_scale))))
    synthetic = bool(args.random_init)
    rb.write_bundle(
        args.out,
        identity={
            "id": args.id or ("chexzero-random-init" if synthetic else "chexzero-vit-b32"),
            "name": "CheXzero ViT-B/32 (RANDOM WEIGHTS, export test only)" if synthetic else "CheXzero ViT-B/32",
            "version": args.version,
            "license": "MIT (code); check the CheXzero weights' terms (MIMIC-CXR data use agreement)",
            "intendedUse": "Research use: zero-shot chest radiograph findings. Not a medical device."
            if not synthetic
            else "Testing the RadZ export path only; random weights recognise nothing.",
            "source": "random initialisation of the CheXzero architecture" if synthetic else f"CheXzero checkpoint {os.path.basename(args.checkpoint)}",
            "citation": "Tiu E, Talius E, Patel P, Langlotz CP, Ng AY, Rajpurkar P. Expert-level detection of pathologies from unannotated chest X-ray images via self-supervised learning. Nat Biomed Eng 2022;6:1399-1406.",
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
            "outputName": "text_embedding",
            "maxLength": model.context_length,
            "padTokenId": pad_id,
        },
        preprocess=rb.Preprocess(
            size=resolution,
            channels=3,
            resize="bicubic",
            fit="pad",
            pad_value=0.0,
            scale="byte",
            quantize8=True,
            mean=[CHEXZERO_MEAN] * 3,
            std=[CHEXZERO_STD] * 3,
        ),
        scoring={"similarity": "cosine", "logitScale": logit_scale, "mode": "posneg-softmax", "bias": 0},
        labels=labels,
    )
    print(f"wrote {args.out}/bundle.json (embedding {embed_dim}, input {resolution}px)")


if __name__ == "__main__":
    main()
