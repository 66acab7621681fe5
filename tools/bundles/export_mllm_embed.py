#!/usr/bin/env python3
"""Build a RadZ model bundle from a multimodal LLM used as an embedding model,
in the LLaVA-RadZ style (Domain Knowledge Anchoring with MLLM embeddings):
the image and the text each go through the decoder inside a prompt that ends
in a special token, and the decoder's last hidden state at that token is the
embedding. The result is an image/text encoder pair that RadZ scores like any
CLIP-style model (cosine similarity, positive/negative prompts and knowledge
descriptions combined per label).

  image:  [prefix] <image tokens from vision tower + projector> [suffix ... <emb>]  -> h(<emb>)
  text:   [prefix] <text tokens> [suffix ... <emb>]                               -> h(<emb>)

The prompt templates are baked into the ONNX graphs as constant token ids, so
RadZ's tokenizer only tokenizes the label texts themselves (tokenizer.json is
written without a post-processor). Text positions skip padding, so a text's
embedding does not depend on the other texts in its batch.

Where the weights are (transformers installed; a LLaVA checkpoint in Hugging
Face format, e.g. a LLaVA-RadZ or LLaVA-1.5 derivative whose vocabulary has the
special token; exporting a 7B decoder needs ~60 GB RAM and writes ONNX with
external data):

  python3 tools/bundles/export_mllm_embed.py --llava path/to/llava-hf --emb-token "<emb>" --out bundles/llava-radz

Test mode (no weights, no downloads): --random-init builds the same structure
at a tiny size with random weights: a CLIP ViT vision tower (patch tokens), the
LLaVA-1.5 two-layer GELU projector, and a LLaMA-style decoder (RMSNorm,
rotary position embeddings, causal self-attention, SwiGLU MLP), with a
word-level tokenizer; the bundle loads and scores in RadZ but recognises
nothing (identity.synthetic is true).
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
from clip_model import VisionTransformer  # noqa: E402

IMAGE_TEMPLATE = "<s> user : {image} summarize the above image in one word : <emb>"
TEXT_TEMPLATE = "<s> user : {text} summarize the above sentence in one word : <emb>"
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
NEG = -1e9


# --- A LLaMA-style decoder (for random-initialised tests) -----------------------------------------


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rotary(q, k, position_ids, head_dim: int, theta: float = 10000.0):
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = position_ids.to(torch.float32).unsqueeze(-1) * inv  # [B, L, hd/2]
    emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)  # [B, 1, L, hd]
    cos, sin = emb.cos(), emb.sin()
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x, bias, position_ids):
        b, n, d = x.shape
        q = self.q_proj(x).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        q, k = rotary(q, k, position_ids, self.head_dim)
        att = (q @ k.transpose(-1, -2)) / (self.head_dim**0.5) + bias
        out = torch.softmax(att, dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, n, d))


class DecoderLayer(nn.Module):
    def __init__(self, dim: int, heads: int, intermediate: int):
        super().__init__()
        self.input_layernorm = RMSNorm(dim)
        self.self_attn = Attention(dim, heads)
        self.post_attention_layernorm = RMSNorm(dim)
        self.gate_proj = nn.Linear(dim, intermediate, bias=False)
        self.up_proj = nn.Linear(dim, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, dim, bias=False)

    def forward(self, x, bias, position_ids):
        x = x + self.self_attn(self.input_layernorm(x), bias, position_ids)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))


class TinyLlama(nn.Module):
    def __init__(self, vocab: int, dim: int = 64, layers: int = 2, heads: int = 4, intermediate: int = 128):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList([DecoderLayer(dim, heads, intermediate) for _ in range(layers)])
        self.norm = RMSNorm(dim)

    def forward(self, inputs_embeds, attention_mask, position_ids):
        n = inputs_embeds.shape[1]
        idx = torch.arange(n, device=inputs_embeds.device)
        causal = (idx.unsqueeze(0) > idx.unsqueeze(1)).to(inputs_embeds.dtype) * NEG  # [L, L]
        keys = (1 - attention_mask.to(inputs_embeds.dtype)) * NEG  # [B, L]
        bias = causal.unsqueeze(0).unsqueeze(0) + keys.unsqueeze(1).unsqueeze(1)
        x = inputs_embeds
        for layer in self.layers:
            x = layer(x, bias, position_ids)
        return self.norm(x)


# --- The embedding graphs -------------------------------------------------------------------------------


class Parts(nn.Module):
    """What the graphs need: patch tokens of an image, the projector, token embeddings and the decoder."""

    def __init__(self, vision, projector, embed_tokens, decoder, head=None):
        super().__init__()
        self.vision = vision  # image -> [B, N, Dv]
        self.projector = projector  # [B, N, Dv] -> [B, N, D]
        self.embed_tokens = embed_tokens  # ids -> [.., D]
        self.decoder = decoder  # (embeds, mask, positions) -> hidden [B, L, D]
        self.head = head if head is not None else nn.Identity()


class ImageEmbedding(nn.Module):
    def __init__(self, parts: Parts, prefix, suffix):
        super().__init__()
        self.parts = parts
        self.register_buffer("prefix", torch.tensor(prefix, dtype=torch.long))
        self.register_buffer("suffix", torch.tensor(suffix, dtype=torch.long))

    def forward(self, image):
        b = image.shape[0]
        tokens = self.parts.projector(self.parts.vision(image))
        pre = self.parts.embed_tokens(self.prefix).unsqueeze(0).expand(b, -1, -1)
        suf = self.parts.embed_tokens(self.suffix).unsqueeze(0).expand(b, -1, -1)
        x = torch.cat([pre, tokens, suf], dim=1)
        mask = torch.ones(x.shape[0], x.shape[1], dtype=torch.long, device=x.device)
        positions = torch.cumsum(mask, dim=1) - 1
        hidden = self.parts.decoder(x, mask, positions)
        return self.parts.head(hidden[:, -1])


class TextEmbedding(nn.Module):
    def __init__(self, parts: Parts, prefix, suffix):
        super().__init__()
        self.parts = parts
        self.register_buffer("prefix", torch.tensor(prefix, dtype=torch.long))
        self.register_buffer("suffix", torch.tensor(suffix, dtype=torch.long))

    def forward(self, input_ids, attention_mask):
        b = input_ids.shape[0]
        ids = torch.cat([self.prefix.unsqueeze(0).expand(b, -1), input_ids, self.suffix.unsqueeze(0).expand(b, -1)], dim=1)
        ones_pre = torch.ones(b, self.prefix.shape[0], dtype=attention_mask.dtype, device=ids.device)
        ones_suf = torch.ones(b, self.suffix.shape[0], dtype=attention_mask.dtype, device=ids.device)
        mask = torch.cat([ones_pre, attention_mask, ones_suf], dim=1)
        # Padding takes no position: the <emb> token's position is the same in any batch.
        positions = (torch.cumsum(mask, dim=1) - 1).clamp(min=0)
        hidden = self.parts.decoder(self.parts.embed_tokens(ids), mask, positions)
        return self.parts.head(hidden[:, -1])


class ClipPatchTokens(nn.Module):
    def __init__(self, vit: VisionTransformer):
        super().__init__()
        self.vit = vit

    def forward(self, image):
        return self.vit.tokens(image)[:, 1:]


def split_template(template: str, slot: str, token_ids) -> tuple:
    before, after = template.split(slot)
    return token_ids(before), token_ids(after)


def build_random(labels, seed):
    torch.manual_seed(seed)
    specials = ["[PAD]", "[UNK]", "<s>", "<emb>"]
    template_words = rb.words_of([IMAGE_TEMPLATE.replace("{image}", ""), TEXT_TEMPLATE.replace("{text}", "")])
    template_words = [w for w in template_words if w not in ("<", ">", "s", "emb")]
    vocab = specials + [w for w in dict.fromkeys(template_words + rb.words_of(rb.label_texts(labels))) if w not in specials]
    ids = {w: i for i, w in enumerate(vocab)}

    def token_ids(text):
        out = []
        for piece in text.split():
            out.extend([ids[piece]] if piece in ids else [ids.get(w, 1) for w in rb.words_of([piece])])
        return out

    dim = 64
    vit = VisionTransformer(input_resolution=32, patch_size=16, width=48, layers=2, heads=2, output_dim=48)
    projector = nn.Sequential(nn.Linear(48, dim), nn.GELU(), nn.Linear(dim, dim))
    llm = TinyLlama(len(vocab), dim=dim, layers=2, heads=4, intermediate=128)
    parts = Parts(ClipPatchTokens(vit), projector, llm.embed_tokens, llm).eval()
    return parts, split_template(IMAGE_TEMPLATE, "{image}", token_ids), split_template(TEXT_TEMPLATE, "{text}", token_ids), rb.wordlevel_tokenizer_json(vocab), 32, 0


def load_llava(args):
    try:
        from transformers import AutoTokenizer, LlavaForConditionalGeneration  # type: ignore
    except ImportError:
        sys.exit("loading a LLaVA checkpoint needs transformers >= 4.36 (LlavaForConditionalGeneration)")
    import json
    import tempfile

    model = LlavaForConditionalGeneration.from_pretrained(args.llava, torch_dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(args.llava)
    if tok.convert_tokens_to_ids(args.emb_token) in (None, tok.unk_token_id):
        sys.exit(f"the tokenizer has no {args.emb_token!r} token: pass the special token the model was trained with (--emb-token)")
    layer = model.config.vision_feature_layer

    class Vision(nn.Module):
        def __init__(self):
            super().__init__()
            self.tower = model.vision_tower

        def forward(self, image):
            return self.tower(image, output_hidden_states=True).hidden_states[layer][:, 1:]

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lm = model.language_model.model

        def forward(self, embeds, mask, positions):
            return self.lm(inputs_embeds=embeds, attention_mask=mask, position_ids=positions).last_hidden_state

    def token_ids(text):
        return tok(text.strip(), add_special_tokens=False)["input_ids"] if text.strip() else []

    image_template = args.image_template.replace("<emb>", args.emb_token)
    text_template = args.text_template.replace("<emb>", args.emb_token)
    parts = Parts(Vision(), model.multi_modal_projector, model.get_input_embeddings(), Decoder()).eval()
    with tempfile.TemporaryDirectory() as d:
        tok.save_pretrained(d)
        with open(os.path.join(d, "tokenizer.json"), "r", encoding="utf-8") as f:
            tokenizer_json = json.load(f)
    tokenizer_json["post_processor"] = None  # raw text ids: the template (with BOS) is in the graph
    size = model.config.vision_config.image_size
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    return parts, split_template(image_template, "{image}", token_ids), split_template(text_template, "{text}", token_ids), tokenizer_json, size, pad_id


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--llava", help="LLaVA checkpoint directory in Hugging Face format")
    src.add_argument("--random-init", action="store_true", help="random weights, tiny config (tests)")
    p.add_argument("--emb-token", default="<emb>", help="the special token whose hidden state is the embedding")
    p.add_argument("--image-template", default="USER: {image}\nSummarize the above image in one word: <emb>")
    p.add_argument("--text-template", default="USER: {text} Summarize the above sentence in one word: <emb>")
    p.add_argument("--labels", help="labels JSON (default: tools/bundles/labels/chest-xray.json)")
    p.add_argument("--logit-scale", type=float, default=50.0, help="scale of cosine similarities (MLLM embeddings have no learned one)")
    p.add_argument("--id", default=None)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parity", help="also write PyTorch outputs for a seeded input here (JSON, for tests)")
    args = p.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    labels = rb.load_labels(args.labels)
    if args.random_init:
        parts, (ipre, isuf), (tpre, tsuf), tokenizer, size, pad_id = build_random(labels, args.seed)
    else:
        parts, (ipre, isuf), (tpre, tsuf), tokenizer, size, pad_id = load_llava(args)
    image = ImageEmbedding(parts, ipre, isuf).eval()
    text = TextEmbedding(parts, tpre, tsuf).eval()
    with torch.no_grad():
        embed_dim = int(image(torch.zeros(1, 3, size, size)).shape[1])

    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.long)
    rb.export_encoder_pair(args.out, image, text, size, ids, mask, tokenizer, args.parity)

    synthetic = bool(args.random_init)
    rb.write_bundle(
        args.out,
        identity={
            "id": args.id or ("mllm-embed-random-init" if synthetic else "llava-radz-embed"),
            "name": "LLaVA-RadZ-style MLLM embeddings (RANDOM WEIGHTS, export test only)" if synthetic else f"MLLM embeddings from {os.path.basename(os.path.normpath(args.llava))}",
            "version": args.version,
            "license": "see the checkpoint's licence (LLaVA derivatives inherit their language model's terms)",
            "intendedUse": "Testing the RadZ export path only; random weights recognise nothing."
            if synthetic
            else "Research use: zero-shot chest radiograph findings. Not a medical device.",
            "source": "random initialisation of a LLaVA-style vision tower, projector and LLaMA-style decoder" if synthetic else args.llava,
            "citation": "LLaVA-RadZ: Can Multimodal Large Language Models Effectively Tackle Zero-shot Radiology Recognition? (Domain Knowledge Anchoring Module; MLLM embeddings at special tokens).",
            "synthetic": synthetic,
        },
        image_encoder={**rb.file_ref(args.out, "image-encoder.onnx"), "inputName": "image", "outputName": "embedding", "embeddingSize": embed_dim},
        text_encoder={
            **rb.file_ref(args.out, "text-encoder.onnx"),
            "tokenizer": rb.file_ref(args.out, "tokenizer.json"),
            "inputIdsName": "input_ids",
            "attentionMaskName": "attention_mask",
            "outputName": "text_embedding",
            "maxLength": 128,
            "padTokenId": pad_id,
        },
        preprocess=rb.Preprocess(size=size, channels=3, resize="bicubic", fit="pad", pad_value=0.4578275, scale="unit", quantize8=True, mean=OPENAI_MEAN, std=OPENAI_STD),
        scoring={"similarity": "cosine", "logitScale": args.logit_scale, "mode": "posneg-softmax", "bias": 0},
        labels=[{**l, "combine": l.get("combine") or {"promptWeight": 0.5, "knowledgeWeight": 0.5}} for l in labels],
    )
    print(f"wrote {args.out}/bundle.json (embedding {embed_dim}, input {size}px)")


if __name__ == "__main__":
    main()
