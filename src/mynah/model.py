"""The mynah decoder: Llama architecture, with an optional Mixtral/Grok-1 mixture-of-experts FFN.

One file for both variants. Modules are named exactly as Hugging Face's Llama and Mixtral
name them (`model.layers.0.self_attn.q_proj`, `...block_sparse_moe.experts.3.w1`), so a
checkpoint converts by copying tensors, with no renaming table, and the numerics follow
HF's (RMSNorm in fp32, rotate-half RoPE) so logits match to float tolerance.

The KV cache lives here because attention reads it; the engine owns its lifetime. Each
batch row has its own positions, so rows of different lengths decode side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    vocab_size: int = 4096
    dim: int = 256
    n_layers: int = 4
    n_heads: int = 8
    n_kv_heads: int = 2
    ffn_dim: int = 704
    max_seq_len: int = 512
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    tie_embeddings: bool = True
    n_experts: int = 0  # 0 means a dense SwiGLU FFN; >0 a top-k routed mixture of experts
    experts_per_token: int = 2
    router_aux_loss_coef: float = 0.01
    head_dim_override: int | None = None  # HF lets head_dim differ from dim // n_heads

    @property
    def head_dim(self) -> int:
        return self.head_dim_override or self.dim // self.n_heads

    @property
    def is_moe(self) -> bool:
        return self.n_experts > 0

    def __post_init__(self):
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must be a multiple of n_kv_heads ({self.n_kv_heads})")
        if self.is_moe and not 0 < self.experts_per_token <= self.n_experts:
            raise ValueError("experts_per_token must be between 1 and n_experts")


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Normalize in fp32 whatever the activation dtype, as HF does; bf16 variance is too coarse.
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


def rope_tables(cfg: ModelConfig, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    inv_freq = 1.0 / (
        cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim)
    )
    freqs = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    # x: [B, H, T, D]; cos/sin: [B, T, D]. Rotate-half convention (HF's), not interleaved pairs.
    cos, sin = cos.unsqueeze(1).to(x.dtype), sin.unsqueeze(1).to(x.dtype)
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


class Linear(nn.Linear):
    """nn.Linear, except that for a handful of rows on the CPU (decoding) it computes
    (W @ x^T)^T: the CPU BLAS picks a far better kernel for that than for x @ W^T with a
    skinny x. Measured on `small`, 2 cores: a 16-row decode step 99 ms instead of 137, the
    32k-vocabulary head at 4 rows 7.7 ms instead of 22.9. One row keeps F.linear (no gain,
    and it skips the reshapes)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // x.shape[-1]
        if 1 < rows <= 32 and self.bias is None and x.device.type == "cpu" and not torch.is_grad_enabled():
            return (self.weight @ x.reshape(rows, -1).t()).t().reshape(*x.shape[:-1], -1)
        return F.linear(x, self.weight, self.bias)


class KVCache:
    """Preallocated keys and values for every layer: [B, n_kv_heads, max_len, head_dim] each."""

    def __init__(
        self,
        cfg: ModelConfig,
        batch: int,
        max_len: int,
        dtype: torch.dtype,
        device: torch.device | str = "cpu",
    ):
        shape = (batch, cfg.n_kv_heads, max_len, cfg.head_dim)
        self.k = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.n_layers)]
        self.v = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.n_layers)]
        self.max_len = max_len
        self.batch = batch


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.q_proj = Linear(cfg.dim, cfg.n_heads * hd, bias=False)
        self.k_proj = Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.v_proj = Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.o_proj = Linear(cfg.n_heads * hd, cfg.dim, bias=False)

    def forward(self, x, cos, sin, layer: int, cache: KVCache | None, rows, pos, attn_len: int):
        B, T, _ = x.shape
        hd, H, KV = self.cfg.head_dim, self.cfg.n_heads, self.cfg.n_kv_heads
        q = self.q_proj(x).view(B, T, H, hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, KV, hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, KV, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=KV != H)
        else:
            # Write this step's keys at each row's own positions, then attend over the prefix
            # of the cache that any row needs; later positions are masked per row.
            kc, vc = cache.k[layer], cache.v[layer]
            # A contiguous run of rows (the common case) reads the cache as a view; an arbitrary
            # set of rows has to gather a copy.
            rows = slice(0, B) if rows is None else rows
            if isinstance(rows, slice):
                write_rows = torch.arange(rows.start, rows.stop, device=x.device)
                keys, values = kc[rows, :, :attn_len], vc[rows, :, :attn_len]
            else:
                write_rows = rows
            kc[write_rows[:, None], :, pos] = k.transpose(1, 2).to(kc.dtype)
            vc[write_rows[:, None], :, pos] = v.transpose(1, 2).to(vc.dtype)
            if not isinstance(rows, slice):
                keys, values = kc[rows, :, :attn_len], vc[rows, :, :attn_len]
            mask = torch.arange(attn_len, device=x.device)[None, None, :] <= pos[:, :, None]  # [B, T, S]
            y = F.scaled_dot_product_attention(
                q, keys.to(q.dtype), values.to(q.dtype), attn_mask=mask[:, None], enable_gqa=KV != H
            )
        return self.o_proj(y.transpose(1, 2).reshape(B, T, H * hd))


class MLP(nn.Module):
    """SwiGLU, named as HF Llama names it."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.up_proj = Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.down_proj = Linear(cfg.ffn_dim, cfg.dim, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Expert(nn.Module):
    """SwiGLU, named as HF Mixtral names it (w1 gate, w3 up, w2 down)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.w1 = Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.w2 = Linear(cfg.ffn_dim, cfg.dim, bias=False)
        self.w3 = Linear(cfg.dim, cfg.ffn_dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class MoE(nn.Module):
    """Top-k routing over N experts with renormalized weights (Mixtral, Grok-1)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.gate = Linear(cfg.dim, cfg.n_experts, bias=False)
        self.experts = nn.ModuleList(Expert(cfg) for _ in range(cfg.n_experts))
        self.aux_loss: torch.Tensor | None = None

    def forward(self, x):
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        probs = F.softmax(self.gate(x).float(), dim=-1)
        top_w, top_i = probs.topk(self.cfg.experts_per_token, dim=-1)
        top_w = (top_w / top_w.sum(-1, keepdim=True)).to(x.dtype)
        out = torch.zeros_like(x)
        # Gather each expert's tokens and run them as one matmul: per-token loops are far slower.
        for e, expert in enumerate(self.experts):
            tok, slot = torch.where(top_i == e)
            if tok.numel():
                out.index_add_(0, tok, expert(x[tok]) * top_w[tok, slot, None])
        if self.training:
            # Switch-Transformer load-balancing loss: fraction routed x mean router prob, per expert.
            frac = F.one_hot(top_i, self.cfg.n_experts).float().sum(1).mean(0) / self.cfg.experts_per_token
            self.aux_loss = self.cfg.n_experts * (frac * probs.mean(0)).sum()
        return out.view(shape)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        # HF calls the FFN `mlp` in Llama and `block_sparse_moe` in Mixtral; keep both names.
        if cfg.is_moe:
            self.block_sparse_moe = MoE(cfg)
        else:
            self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, layer, cache, rows, pos, attn_len):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, layer, cache, rows, pos, attn_len)
        ffn = self.block_sparse_moe if hasattr(self, "block_sparse_moe") else self.mlp
        return x + ffn(self.post_attention_layernorm(x))


class Decoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.model = Decoder(cfg)
        self.lm_head = Linear(cfg.dim, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        cos, sin = rope_tables(cfg, cfg.max_seq_len)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def init_weights(self, seed: int | None = None) -> None:
        """GPT-2 style init: N(0, 0.02), residual outputs scaled down by depth so the stream stays O(1)."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        for name, p in self.named_parameters():
            if p.dim() == 1:
                nn.init.ones_(p)
                continue
            std = (
                0.02 / math.sqrt(2 * self.cfg.n_layers)
                if name.endswith(("o_proj.weight", "down_proj.weight", "w2.weight"))
                else 0.02
            )
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=gen) * std)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(
        self,
        idx: torch.Tensor,
        cache: KVCache | None = None,
        rows: torch.Tensor | slice | None = None,
        pos: torch.Tensor | None = None,
        last_only: bool = False,
        attn_len: int | None = None,
    ) -> torch.Tensor:
        """Logits for `idx` [B, T].

        Without a cache this is the training forward (positions 0..T-1, causal attention).
        With one, `pos` [B, T] gives each token's position and `rows` [B] picks which cache
        rows the batch uses: a slice, a tensor of row indices, or None for rows 0..B-1.
        """
        B, T = idx.shape
        if cache is None:
            if self.cfg.max_seq_len < T:
                raise ValueError(f"sequence of {T} tokens exceeds the context of {self.cfg.max_seq_len}")
            cos, sin = self.rope_cos[:T][None], self.rope_sin[:T][None]
            attn_len = T
        else:
            cos, sin = self.rope_cos[pos], self.rope_sin[pos]
            # Attending over only the filled prefix is cheapest eagerly; a compiled step passes
            # the full cache length instead so its shapes never change (no recompiles, no sync).
            attn_len = attn_len or int(pos.max()) + 1
        x = self.model.embed_tokens(idx)
        for i, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, i, cache, rows, pos, attn_len)
        if last_only:
            x = x[:, -1:]
        return self.lm_head(self.model.norm(x))

    def aux_loss(self) -> torch.Tensor | float:
        """Sum of the MoE load-balancing losses from the last training forward (0 for dense)."""
        losses = [
            b.block_sparse_moe.aux_loss
            for b in self.model.layers
            if hasattr(b, "block_sparse_moe") and b.block_sparse_moe.aux_loss is not None
        ]
        return self.cfg.router_aux_loss_coef * sum(losses) if losses else 0.0
