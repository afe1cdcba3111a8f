"""`mynah images tiny-pipeline --out DIR`: a Stable Diffusion-format pipeline with random
weights, built from configs: a small UNet, a VAE with SD's 8× latent scale, a two-layer
CLIP text encoder and a byte-level CLIP tokenizer. It draws noise, not pictures; it exists
so that tests and CI exercise the real diffusers code path (from_pretrained, the scheduler,
the denoising loop, the VAE decode) with no weights to download. The folder is what
`mynah serve --image-model` loads, like any Stable Diffusion-format folder.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def _tokenizer(folder: Path):
    """A CLIP tokenizer whose vocabulary is every byte, alone and word-final, and no merges:
    it tokenizes any text without a trained vocabulary."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    chars = ByteLevel.alphabet()
    vocab: dict[str, int] = {}
    for c in sorted(chars):
        vocab[c] = len(vocab)
    for c in sorted(chars):
        vocab[c + "</w>"] = len(vocab)
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab[special] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77), vocab


def build_tiny_pipeline(out: str | os.PathLike, seed: int = 0) -> Path:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # not its notes on torchvision
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from diffusers.utils import logging as dlog
    from transformers import CLIPTextConfig, CLIPTextModel

    from mynah.atomic import FolderLock

    dlog.set_verbosity_error()
    out = Path(out)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8,  # latents of 8×8: 64×64 pixels by default
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4,  # four blocks: SD's 8× scale
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 16, 16, 16),
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
    )
    with tempfile.TemporaryDirectory() as tmp:
        tok, vocab = _tokenizer(Path(tmp))
        text = CLIPTextModel(
            CLIPTextConfig(
                vocab_size=len(vocab),
                hidden_size=32,
                intermediate_size=64,
                num_hidden_layers=2,
                num_attention_heads=4,
                max_position_embeddings=77,
                projection_dim=32,
                bos_token_id=vocab["<|startoftext|>"],
                eos_token_id=vocab["<|endoftext|>"],
                pad_token_id=vocab["<|endoftext|>"],
            )
        )
        # SD-Turbo's scheduler: few steps, trailing timesteps
        sched = EulerDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            timestep_spacing="trailing",
            steps_offset=1,
        )
        pipe = StableDiffusionPipeline(
            vae=vae,
            text_encoder=text,
            tokenizer=tok,
            unet=unet,
            scheduler=sched,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
        with FolderLock(out, "image pipeline"):
            pipe.save_pretrained(out, safe_serialization=True)
            (out / "mynah_tiny.json").write_text(
                json.dumps({"note": "random weights, for tests; draws noise", "seed": seed}) + "\n"
            )
    return out
