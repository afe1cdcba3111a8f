"""Checkpoints in the Hugging Face layout, both ways.

A folder holds config.json (model_type llama or mixtral), model.safetensors (or shards with
model.safetensors.index.json), generation_config.json and the tokenizer files. That is what
transformers, vLLM and llama.cpp's convert_hf_to_gguf.py read, and what they write, so
mynah loads their Llama/Mixtral checkpoints too. Only safetensors are read: a pickle file
can run code on load, so a folder with only pytorch_model.bin is refused.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from mynah.atomic import write_text
from mynah.model import ModelConfig, Transformer, rope_tables


class CheckpointError(ValueError):
    """A checkpoint folder that cannot be loaded; the message says which file and why."""


def config_to_hf(cfg: ModelConfig, bos_id: int | None = None, eos_id: int | list[int] | None = None) -> dict:
    d = {
        "architectures": ["MixtralForCausalLM" if cfg.is_moe else "LlamaForCausalLM"],
        "model_type": "mixtral" if cfg.is_moe else "llama",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.dim,
        "intermediate_size": cfg.ffn_dim,
        "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads,
        "num_key_value_heads": cfg.n_kv_heads,
        "head_dim": cfg.head_dim,
        "max_position_embeddings": cfg.max_seq_len,
        "rms_norm_eps": cfg.norm_eps,
        # transformers < 5 reads rope_theta, >= 5 reads rope_parameters; write both.
        "rope_theta": cfg.rope_theta,
        "rope_parameters": {"rope_type": "default", "rope_theta": cfg.rope_theta},
        "hidden_act": "silu",
        "tie_word_embeddings": cfg.tie_embeddings,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "torch_dtype": "float32",
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "use_cache": True,
    }
    if cfg.is_moe:
        d |= {
            "num_local_experts": cfg.n_experts,
            "num_experts_per_tok": cfg.experts_per_token,
            "router_aux_loss_coef": cfg.router_aux_loss_coef,
            "sliding_window": None,
            "output_router_logits": False,
        }
    else:
        d |= {"mlp_bias": False, "pretraining_tp": 1}
    return d


def config_from_hf(d: dict, where: str = "config.json") -> ModelConfig:
    """Read an HF config, refusing (with the reason) anything this model would compute differently."""
    mt = d.get("model_type")
    if mt not in ("llama", "mixtral"):
        raise CheckpointError(
            f"{where}: model_type {mt!r} is not supported (mynah loads 'llama' and 'mixtral')"
        )
    rope = d.get("rope_parameters") or d.get("rope_scaling") or {}
    rope_type = rope.get("rope_type", rope.get("type", "default"))
    if rope_type != "default":
        raise CheckpointError(f"{where}: rope type {rope_type!r} is not supported (only 'default')")
    for flag in ("attention_bias", "mlp_bias"):
        if d.get(flag):
            raise CheckpointError(f"{where}: {flag}=true is not supported")
    if d.get("hidden_act", "silu") != "silu":
        raise CheckpointError(f"{where}: hidden_act {d['hidden_act']!r} is not supported (only 'silu')")
    if mt == "mixtral" and d.get("sliding_window"):
        raise CheckpointError(f"{where}: sliding-window attention is not supported")
    try:
        n_heads = d["num_attention_heads"]
        head_dim = d.get("head_dim") or d["hidden_size"] // n_heads
        return ModelConfig(
            vocab_size=d["vocab_size"],
            dim=d["hidden_size"],
            n_layers=d["num_hidden_layers"],
            n_heads=n_heads,
            n_kv_heads=d.get("num_key_value_heads") or n_heads,
            ffn_dim=d["intermediate_size"],
            max_seq_len=d.get("max_position_embeddings", 2048),
            rope_theta=float(rope.get("rope_theta", d.get("rope_theta", 10000.0))),
            norm_eps=d.get("rms_norm_eps", 1e-6),
            tie_embeddings=bool(d.get("tie_word_embeddings", False)),
            n_experts=d.get("num_local_experts", 0) if mt == "mixtral" else 0,
            experts_per_token=d.get("num_experts_per_tok", 2),
            router_aux_loss_coef=d.get("router_aux_loss_coef", 0.01),
            head_dim_override=head_dim if head_dim != d["hidden_size"] // n_heads else None,
        )
    except KeyError as e:
        raise CheckpointError(f"{where}: missing field {e.args[0]!r}") from None


def write_safetensors(tensors: dict, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """safetensors' save_file, with its I/O failures (a full disk) as the OSError they are,
    naming the file, and no partial file left behind."""
    try:
        save_file(tensors, str(path), metadata=metadata)
    except Exception as e:  # SafetensorError: "... I/O error: No space left on device (os error 28)"
        Path(path).unlink(missing_ok=True)
        m = re.search(r"os error (\d+)", str(e))
        if m is None:
            raise
        code = int(m.group(1))
        raise OSError(code, os.strerror(code), str(path)) from None


def _atomic_json(path: Path, obj: dict) -> None:
    write_text(path, json.dumps(obj, indent=2) + "\n")


def save_checkpoint(
    model: Transformer, out: str | os.PathLike, tokenizer=None, metadata: dict | None = None
) -> Path:
    """Write the model (and tokenizer) to `out` in the HF layout. Each file lands by rename."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    if cfg.tie_embeddings:
        state.pop("lm_head.weight", None)  # shared storage; HF re-ties it from the config
    tmp = out / "model.safetensors.tmp"
    write_safetensors(state, tmp, metadata={"format": "pt", **(metadata or {})})
    os.replace(tmp, out / "model.safetensors")
    bos = tokenizer.eot_id if tokenizer else None
    eos = tokenizer.stop_ids if tokenizer else None
    _atomic_json(out / "config.json", config_to_hf(cfg, bos, eos))
    gen = {"bos_token_id": bos, "eos_token_id": eos, "do_sample": True, "temperature": 0.8, "top_p": 0.95}
    # The watermark `mynah serve` applies, without its key (a deployment's own, in its
    # state folder). Never transformers' `watermarking_config`: transformers would apply
    # its own watermark, with its public default key.
    from mynah.provenance.watermark import Scheme

    gen["mynah"] = {"watermark": Scheme().as_dict()}
    if tokenizer:
        gen["pad_token_id"] = tokenizer.pad_id
        tokenizer.save(out)
    _atomic_json(out / "generation_config.json", gen)
    return out


def _weight_files(path: Path) -> list[Path]:
    if (path / "model.safetensors").exists():
        return [path / "model.safetensors"]
    index = path / "model.safetensors.index.json"
    if index.exists():
        try:
            names = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (ValueError, KeyError) as e:
            raise CheckpointError(f"{index}: not a valid safetensors index ({e})") from None
        return [path / n for n in names]
    if any(path.glob("*.bin")) or any(path.glob("*.pt")) or any(path.glob("*.pth")):
        raise CheckpointError(
            f"{path}: only pickle weights (.bin/.pt) found; mynah loads safetensors only, which cannot run code on load"
        )
    raise CheckpointError(f"{path}: no model.safetensors (is this a checkpoint folder?)")


def load_config(path: str | os.PathLike) -> ModelConfig:
    path = Path(path)
    if not path.is_dir():
        what = "is a file, not a checkpoint folder" if path.exists() else "checkpoint folder not found"
        raise CheckpointError(f"{path}: {what}")
    cfg_file = path / "config.json"
    if not cfg_file.exists():
        raise CheckpointError(f"{cfg_file}: missing (is this a checkpoint folder?)")
    try:
        raw = json.loads(cfg_file.read_text())
    except ValueError as e:
        raise CheckpointError(f"{cfg_file}: invalid JSON ({e})") from None
    except OSError as e:
        raise CheckpointError(f"{cfg_file}: cannot be read ({e.strerror})") from None
    if not isinstance(raw, dict):
        raise CheckpointError(f"{cfg_file}: not a JSON object")
    return config_from_hf(raw, str(cfg_file))


def check_checkpoint(path: str | os.PathLike) -> ModelConfig:
    """What can be known about a checkpoint folder without loading its weights: a readable
    config.json of a supported architecture, safetensors weights whose headers parse, and a
    tokenizer. `mynah serve` runs this before binding its port, so a wrong path exits at
    once (as vLLM and llama.cpp's server do) while the weights still load in the background."""
    path = Path(path)
    cfg = load_config(path)
    for f in _weight_files(path):
        if not f.exists():
            raise CheckpointError(f"{f}: listed in the index but missing")
        try:
            with safe_open(str(f), framework="pt", device="cpu") as sf:
                sf.keys()
        except OSError as e:
            raise CheckpointError(f"{f}: cannot be read ({e.strerror or e})") from None
        except Exception as e:  # safetensors' SafetensorError: a cut or damaged header
            raise CheckpointError(f"{f}: not a valid safetensors file ({e})") from None
    if not (path / "tokenizer.json").is_file():
        raise CheckpointError(f"{path / 'tokenizer.json'}: missing (the tokenizer is saved with the model)")
    return cfg


def load_model(
    path: str | os.PathLike, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"
) -> Transformer:
    """Load a mynah, transformers or other HF-layout Llama/Mixtral checkpoint from safetensors."""
    path = Path(path)
    cfg = load_config(path)
    files = _weight_files(path)
    with torch.device("meta"):
        model = Transformer(cfg)
    state = {}
    for f in files:
        if not f.exists():
            raise CheckpointError(f"{f}: listed in the index but missing")
        with safe_open(str(f), framework="pt", device="cpu") as sf:
            for key in sf.keys():  # noqa: SIM118 (safe_open is not iterable)
                state[key] = sf.get_tensor(key)
    if cfg.tie_embeddings:
        state.pop("lm_head.weight", None)
    expected = {k for k in model.state_dict() if not (cfg.tie_embeddings and k == "lm_head.weight")}
    missing, unexpected = sorted(expected - state.keys()), sorted(state.keys() - expected)
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match config.json (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    try:
        model.load_state_dict(state, strict=False, assign=True)
    except RuntimeError as e:
        raise CheckpointError(
            f"{path}: weight shapes do not match config.json ({str(e).splitlines()[-1].strip()})"
        ) from None
    if cfg.tie_embeddings:
        model.lm_head.weight = model.model.embed_tokens.weight
    # Buffers were created on the meta device with the module; compute the real ones.
    model.rope_cos, model.rope_sin = rope_tables(cfg, cfg.max_seq_len)
    return model.to(device=device, dtype=dtype).eval()
