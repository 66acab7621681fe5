"""The OpenAI CLIP architecture (ViT image tower + causal text transformer)
with the same module and parameter names as openai/CLIP's clip/model.py, so
CLIP-family checkpoints such as CheXzero's load with load_state_dict and no
`clip` package. Only the ViT image tower is implemented (CheXzero and most
medical CLIPs use ViT-B/32 or ViT-B/16).

build_clip_from_state_dict infers the configuration from a state dict
exactly as clip.model.build_model does; build_clip builds one from sizes
(used with random weights by the tests).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Optional

import torch
from torch import nn


class LayerNorm(nn.LayerNorm):
    """LayerNorm computed in float32 (as CLIP does for fp16 weights)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        orig = x.dtype
        return super().forward(x.type(torch.float32)).type(orig)


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model: int, n_head: int, attn_mask: Optional[torch.Tensor] = None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = LayerNorm(d_model)
        self.mlp = nn.Sequential(
            OrderedDict(
                [
                    ("c_fc", nn.Linear(d_model, d_model * 4)),
                    ("gelu", QuickGELU()),
                    ("c_proj", nn.Linear(d_model * 4, d_model)),
                ]
            )
        )
        self.ln_2 = LayerNorm(d_model)
        self.attn_mask = attn_mask

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        mask = self.attn_mask.to(dtype=x.dtype, device=x.device) if self.attn_mask is not None else None
        return self.attn(x, x, x, need_weights=False, attn_mask=mask)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, attn_mask: Optional[torch.Tensor] = None):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, attn_mask) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(self, input_resolution: int, patch_size: int, width: int, layers: int, heads: int, output_dim: int):
        super().__init__()
        self.input_resolution = input_resolution
        self.output_dim = output_dim
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width**-0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((input_resolution // patch_size) ** 2 + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """All output tokens [batch, 1 + grid^2, width] before ln_post (LLaVA-style feature extraction)."""
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x).permute(1, 0, 2)
        return self.transformer(x).permute(1, 0, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln_post(self.tokens(x)[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    def __init__(
        self,
        embed_dim: int,
        image_resolution: int,
        vision_layers: int,
        vision_width: int,
        vision_patch_size: int,
        context_length: int,
        vocab_size: int,
        transformer_width: int,
        transformer_heads: int,
        transformer_layers: int,
    ):
        super().__init__()
        self.context_length = context_length
        self.visual = VisionTransformer(
            input_resolution=image_resolution,
            patch_size=vision_patch_size,
            width=vision_width,
            layers=vision_layers,
            heads=max(1, vision_width // 64),
            output_dim=embed_dim,
        )
        self.transformer = Transformer(transformer_width, transformer_layers, transformer_heads, self.build_attention_mask())
        self.vocab_size = vocab_size
        self.token_embedding = nn.Embedding(vocab_size, transformer_width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, transformer_width))
        self.ln_final = LayerNorm(transformer_width)
        self.text_projection = nn.Parameter(torch.empty(transformer_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * torch.log(torch.tensor(1 / 0.07)))
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=transformer_width**-0.5)

    def build_attention_mask(self) -> torch.Tensor:
        mask = torch.empty(self.context_length, self.context_length)
        mask.fill_(float("-inf"))
        mask.triu_(1)
        return mask

    def encode_image(self, image: torch.Tensor) -> torch.Tensor:
        return self.visual(image)

    def encode_text(self, text: torch.Tensor) -> torch.Tensor:
        """CLIP's text embedding: the end-of-text token's feature (the highest token id in each row)."""
        n = text.shape[1]
        x = self.token_embedding(text) + self.positional_embedding[:n]
        x = x.permute(1, 0, 2)
        mask = self.transformer.resblocks[0].attn_mask
        for block in self.transformer.resblocks:
            block.attn_mask = mask[:n, :n] if mask is not None else None
        x = self.transformer(x)
        for block in self.transformer.resblocks:
            block.attn_mask = mask
        x = self.ln_final(x.permute(1, 0, 2))
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection


def build_clip(**sizes) -> CLIP:
    return CLIP(**sizes)


def build_clip_from_state_dict(state_dict: dict) -> CLIP:
    """Configuration from the checkpoint's shapes (clip.model.build_model), weights loaded strictly."""
    vision_width = state_dict["visual.conv1.weight"].shape[0]
    vision_layers = len([k for k in state_dict if k.startswith("visual.") and k.endswith(".attn.in_proj_weight")])
    vision_patch_size = state_dict["visual.conv1.weight"].shape[-1]
    grid_size = round((state_dict["visual.positional_embedding"].shape[0] - 1) ** 0.5)
    image_resolution = vision_patch_size * grid_size
    embed_dim = state_dict["text_projection"].shape[1]
    context_length = state_dict["positional_embedding"].shape[0]
    vocab_size = state_dict["token_embedding.weight"].shape[0]
    transformer_width = state_dict["ln_final.weight"].shape[0]
    transformer_heads = transformer_width // 64
    transformer_layers = len({k.split(".")[2] for k in state_dict if k.startswith("transformer.resblocks")})
    model = CLIP(
        embed_dim,
        image_resolution,
        vision_layers,
        vision_width,
        vision_patch_size,
        context_length,
        vocab_size,
        transformer_width,
        transformer_heads,
        transformer_layers,
    )
    for key in ("input_resolution", "context_length", "vocab_size"):
        state_dict.pop(key, None)
    model.load_state_dict(state_dict)
    return model.float().eval()


class ImageTower(nn.Module):
    """image [B, 3, H, W] -> embedding [B, D] (not normalised; RadZ normalises)."""

    def __init__(self, clip: CLIP):
        super().__init__()
        self.clip = clip

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.clip.encode_image(image)


class SpatialImageTower(nn.Module):
    """image [B, 3, H, W] -> (embedding [B, D], patch embeddings [B, g, g, D]).

    The patch embeddings are MaskCLIP-style (Zhou et al., ECCV 2022): the
    ViT's patch tokens through the same ln_post and projection as the class
    token, so they live in the joint space and RadZ can score each patch
    against the label embeddings (bundle.json imageEncoder.spatialOutputName).
    The embedding equals ImageTower's."""

    def __init__(self, clip: CLIP):
        super().__init__()
        self.clip = clip
        visual = clip.visual
        self.grid = visual.input_resolution // visual.conv1.kernel_size[0]

    def forward(self, image: torch.Tensor):
        visual = self.clip.visual
        tokens = visual.tokens(image)
        embedding = visual.ln_post(tokens[:, 0, :]) @ visual.proj
        patches = visual.ln_post(tokens[:, 1:, :]) @ visual.proj
        return embedding, patches.reshape(patches.shape[0], self.grid, self.grid, patches.shape[-1])


class TextTower(nn.Module):
    """input_ids [B, T] (padded with 0 after the end-of-text token) -> embedding [B, D]."""

    def __init__(self, clip: CLIP):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.clip.encode_text(input_ids)
