"""Encoder towers shared by the export scripts, in plain torch.nn:

- BertTextEncoder: the BERT architecture (word + position + token-type
  embeddings, post-norm encoder layers with GELU, attention mask) with a
  pooler (CLS, first/last token, or masked mean). With `transformers`
  installed, real BERT weights (PubMedBERT, Bio_ClinicalBERT) are used through
  HfTextEncoder instead; this class is the same architecture at any size, used
  with random weights by the tests.
- ProjectionHead: linear, or open_clip's "mlp" (Linear, GELU, Linear).
- ImageTower / TextTower wrappers that give RadZ's ONNX signatures:
  image [B, C, H, W] -> embedding [B, D]; input_ids [B, T] (+ attention_mask) -> [B, D].
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn


class BertTextEncoder(nn.Module):
    def __init__(self, vocab_size: int, hidden: int = 768, layers: int = 12, heads: int = 12, intermediate: int = 3072, max_positions: int = 512, pad_id: int = 0):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden, padding_idx=pad_id)
        self.position_embeddings = nn.Embedding(max_positions, hidden)
        self.token_type_embeddings = nn.Embedding(2, hidden)
        self.embeddings_norm = nn.LayerNorm(hidden, eps=1e-12)
        layer = nn.TransformerEncoderLayer(hidden, heads, intermediate, dropout=0.0, activation="gelu", batch_first=True, layer_norm_eps=1e-12)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.hidden = hidden

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Last hidden states [B, T, hidden]."""
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embeddings(torch.zeros_like(input_ids))
        x = self.embeddings_norm(x)
        return self.encoder(x, src_key_padding_mask=attention_mask == 0)


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: str) -> torch.Tensor:
    """cls: first token; eos: last real token; mean: mean over real tokens."""
    if how == "cls":
        return hidden[:, 0]
    if how == "eos":
        last = attention_mask.sum(dim=1) - 1
        return hidden[torch.arange(hidden.shape[0]), last]
    if how == "mean":
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
    raise ValueError(f"unknown pooling {how}")


class ProjectionHead(nn.Module):
    def __init__(self, kind: str, width: int, embed_dim: int, bias: bool = False):
        super().__init__()
        if kind == "linear":
            self.net = nn.Linear(width, embed_dim, bias=bias)
        elif kind == "mlp":
            hidden = (width + embed_dim) // 2
            self.net = nn.Sequential(nn.Linear(width, hidden, bias=bias), nn.GELU(), nn.Linear(hidden, embed_dim, bias=bias))
        elif kind == "none":
            self.net = nn.Identity()
        else:
            raise ValueError(f"unknown projection {kind}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PooledTextTower(nn.Module):
    """input_ids, attention_mask -> projected pooled embedding (RadZ's text encoder signature)."""

    def __init__(self, encoder: nn.Module, pooling: str, head: nn.Module, hf: bool = False):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.head = head
        self.hf = hf

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.hf:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        else:
            hidden = self.encoder(input_ids, attention_mask)
        return self.head(pool(hidden, attention_mask, self.pooling))


class ProjectedImageTower(nn.Module):
    """image -> head(backbone(image)) (RadZ's image encoder signature)."""

    def __init__(self, backbone: nn.Module, head: Optional[nn.Module] = None):
        super().__init__()
        self.backbone = backbone
        self.head = head if head is not None else nn.Identity()

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(image))


def tiny_vit(image_size: int = 32, patch: int = 16, hidden: int = 64, layers: int = 2, heads: int = 2):
    """torchvision's ViT (the ViT-B/16 family) at a tiny size, classification head removed: CLS features [B, hidden]."""
    from torchvision.models.vision_transformer import VisionTransformer

    m = VisionTransformer(image_size=image_size, patch_size=patch, num_layers=layers, num_heads=heads, hidden_dim=hidden, mlp_dim=hidden * 4)
    m.heads = nn.Identity()
    return m
