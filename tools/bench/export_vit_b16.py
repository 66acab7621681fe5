#!/usr/bin/env python3
"""The benchmark-size image encoder for `npm run bench:model` (and other
benchmarks): torchvision's ViT-B/16 at 224 x 224 with RANDOM weights
(vit_b_16(weights=None), no download), classification head removed so it
outputs the 768-d CLS embedding, exported to ONNX; plus a RadZ bundle around
it with random precomputed label embeddings (no text encoder). Nothing here
recognises anything: it has the size and cost of a real encoder.

Like the real exports (export_chexzero.py's SpatialImageTower), the encoder
also has a spatial output, patch_embeddings [batch, 14, 14, 768]: the patch
tokens through the same final layer norm and projection as the class token
(MaskCLIP-style; the projection is the removed head, an identity here), so
bench:e2e can measure what localisation costs. The embedding is the one
vit_b_16's own forward gives (same weights, same seed: same scores).

  /usr/bin/python3 tools/bench/export_vit_b16.py --out bench-output/vit-b16

Writes image-encoder.onnx (~330 MB), label-embeddings.bin and bundle.json.
bench-output/ is git-ignored; nothing generated here is committed.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bundles"))

import torch  # noqa: E402
from torchvision.models import vit_b_16  # noqa: E402

import radz_bundle as rb  # noqa: E402


class SpatialViT(torch.nn.Module):
    """image [B, 3, 224, 224] -> (embedding [B, 768], patch embeddings [B, 14, 14, 768]).

    torchvision's VisionTransformer.forward, step by step, keeping the patch
    tokens: the encoder ends with its final LayerNorm (CLIP's ln_post), and
    `heads` is the final projection (removed: an identity), applied to the
    class token and to every patch token alike."""

    def __init__(self, vit):
        super().__init__()
        self.vit = vit
        self.grid = vit.image_size // vit.patch_size

    def forward(self, image: torch.Tensor):
        vit = self.vit
        x = vit._process_input(image)
        x = torch.cat([vit.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        tokens = vit.encoder(x)
        embedding = vit.heads(tokens[:, 0])
        patches = vit.heads(tokens[:, 1:])
        return embedding, patches.reshape(patches.shape[0], self.grid, self.grid, patches.shape[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="bench-output/vit-b16")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    model = vit_b_16(weights=None)
    model.heads = torch.nn.Identity()
    rb.export_onnx(
        SpatialViT(model),
        (torch.zeros(2, 3, 224, 224),),
        os.path.join(args.out, "image-encoder.onnx"),
        ["image"],
        ["embedding", "patch_embeddings"],
        {"image": {0: "batch"}, "embedding": {0: "batch"}, "patch_embeddings": {0: "batch"}},
    )
    labels = rb.load_labels(None)
    dim = 768
    g = torch.Generator().manual_seed(args.seed + 1)
    rows = torch.randn(2 * len(labels), dim, generator=g)
    with open(os.path.join(args.out, "label-embeddings.bin"), "wb") as f:
        for r in rows:
            f.write(struct.pack("<%df" % dim, *r.tolist()))
    ids = [l["id"] for l in labels]
    rb.write_bundle(
        args.out,
        identity={
            "id": "bench-vit-b16-random",
            "name": "Benchmark ViT-B/16 (random weights; recognises nothing)",
            "version": "1.0.0",
            "license": "BSD-3-Clause (torchvision architecture); random weights",
            "intendedUse": "Benchmarking only: it has the size and cost of a real ViT-B/16 image encoder and recognises nothing.",
            "source": "torchvision.models.vit_b_16(weights=None), exported by tools/bench/export_vit_b16.py",
            "synthetic": True,
        },
        image_encoder={**rb.file_ref(args.out, "image-encoder.onnx"), "inputName": "image", "outputName": "embedding", "spatialOutputName": "patch_embeddings", "embeddingSize": dim},
        label_embeddings={**rb.file_ref(args.out, "label-embeddings.bin"), "shape": [2 * len(labels), dim], "labelIds": ids, "negativeLabelIds": ids},
        preprocess=rb.Preprocess(size=224, channels=3, resize="bilinear", fit="pad", scale="unit", quantize8=False, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
        scoring={"similarity": "cosine", "logitScale": 100.0, "mode": "posneg-softmax", "bias": 0},
        labels=labels,
    )
    print(f"wrote {args.out}/bundle.json and image-encoder.onnx (ViT-B/16, random weights)")


if __name__ == "__main__":
    main()
