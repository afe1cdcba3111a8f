import json

import pytest
import torch

from mynah.checkpoint import CheckpointError, load_model, save_checkpoint
from mynah.model import KVCache, ModelConfig, Transformer
from mynah.recipes import RECIPES, get_recipe

transformers = pytest.importorskip("transformers")


def tiny_cfg(**kw) -> ModelConfig:
    base = dict(vocab_size=96, dim=64, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=128, max_seq_len=64)
    return ModelConfig(**{**base, **kw})


@pytest.mark.parametrize("experts", [0, 4], ids=["llama", "mixtral"])
@pytest.mark.parametrize("tie", [True, False], ids=["tied", "untied"])
def test_transformers_loads_mynah_checkpoint_with_same_logits(tmp_path, experts, tie):
    torch.manual_seed(0)
    model = Transformer(tiny_cfg(n_experts=experts, tie_embeddings=tie))
    model.init_weights(1)
    save_checkpoint(model.eval(), tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["model_type"] == ("mixtral" if experts else "llama")
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    assert type(hf).__name__ == ("MixtralForCausalLM" if experts else "LlamaForCausalLM")
    x = torch.randint(0, 96, (2, 23))
    with torch.no_grad():
        torch.testing.assert_close(model(x), hf(x).logits, rtol=1e-4, atol=1e-4)


def sharpen(model: Transformer, std: float = 0.25) -> Transformer:
    """Query and key weights large enough that attention is peaked, not near-uniform as at
    init: attention scores of std ~4, so RoPE (its angles, its rotate-half sign) and the
    1/sqrt(head_dim) scale decide which positions each token reads."""
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("q_proj.weight", "k_proj.weight")):
                p.copy_(torch.randn(p.shape, generator=gen) * std)
    return model


@pytest.mark.parametrize("experts", [0, 4], ids=["llama", "mixtral"])
def test_transformers_matches_mynah_with_peaked_attention_at_every_position(tmp_path, experts):
    torch.manual_seed(0)
    model = Transformer(tiny_cfg(n_experts=experts, rope_theta=50000.0))
    model.init_weights(1)
    sharpen(model).eval()
    x = torch.randint(0, 96, (2, 64))  # the whole context: the far positions too
    with torch.no_grad():
        ours = model(x)
    save_checkpoint(model, tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["rope_theta"] == 50000.0
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(ours, hf(x).logits, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("arch", ["llama", "mixtral"])
def test_mynah_loads_transformers_checkpoint_with_same_logits(tmp_path, arch):
    torch.manual_seed(0)
    common = dict(
        vocab_size=120,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=8,
        num_key_value_heads=2,
        max_position_embeddings=128,
        rms_norm_eps=1e-5,
    )
    if arch == "llama":
        hf = transformers.LlamaForCausalLM(transformers.LlamaConfig(**common))
    else:
        hf = transformers.MixtralForCausalLM(
            transformers.MixtralConfig(**common, num_local_experts=4, num_experts_per_tok=2)
        )
    hf.eval().save_pretrained(tmp_path)
    ours = load_model(tmp_path)
    assert ours.cfg.is_moe == (arch == "mixtral") and ours.cfg.n_kv_heads == 2
    x = torch.randint(0, 120, (3, 31))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), hf(x).logits, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("experts", [0, 4])
def test_kv_cache_prefill_and_decode_match_full_forward(experts):
    torch.manual_seed(0)
    model = Transformer(tiny_cfg(n_experts=experts)).eval()
    model.init_weights(2)
    x = torch.randint(0, 96, (1, 20))
    full = model(x)
    cache = KVCache(model.cfg, batch=3, max_len=64, dtype=torch.float32)
    with torch.no_grad():
        steps = [model(x[:, :12], cache=cache, rows=slice(1, 2), pos=torch.arange(12)[None])]
        for t in range(12, 20):
            steps.append(model(x[:, t : t + 1], cache=cache, rows=torch.tensor([1]), pos=torch.tensor([[t]])))
    torch.testing.assert_close(torch.cat(steps, 1), full, rtol=1e-4, atol=1e-4)


def test_recipes_sizes():
    from mynah.model import Transformer as T

    with torch.device("meta"):
        small = T(get_recipe("small").model)
        tiny = T(get_recipe("tiny").model)
        moe = T(get_recipe("moe-tiny").model)
    assert 90e6 < small.num_params() < 115e6
    assert tiny.num_params() < 5e6
    assert moe.cfg.is_moe and moe.cfg.n_experts == 4 and moe.cfg.experts_per_token == 2
    assert set(RECIPES) == {"tiny", "demo", "small", "moe-tiny"}
    demo, base = get_recipe("demo"), get_recipe("tiny")
    assert demo.model.max_seq_len == demo.train.seq_len == demo.sft.seq_len == 512
    # the same tokens per step as tiny, so the demo's step costs about the same
    assert demo.train.micro_batch * demo.train.seq_len == base.train.micro_batch * base.train.seq_len
    with pytest.raises(ValueError, match="unknown recipe"):
        get_recipe("huge")


def test_bad_checkpoints_are_refused_with_the_reason(tmp_path):
    model = Transformer(tiny_cfg())
    save_checkpoint(model, tmp_path / "ok")
    with pytest.raises(CheckpointError, match="no model.safetensors"):
        (tmp_path / "noweights").mkdir()
        (tmp_path / "noweights" / "config.json").write_text((tmp_path / "ok" / "config.json").read_text())
        load_model(tmp_path / "noweights")
    pickle_dir = tmp_path / "pickle"
    pickle_dir.mkdir()
    (pickle_dir / "config.json").write_text((tmp_path / "ok" / "config.json").read_text())
    torch.save({"x": torch.zeros(1)}, pickle_dir / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="safetensors only"):
        load_model(pickle_dir)
    cfg = json.loads((tmp_path / "ok" / "config.json").read_text())
    cfg["model_type"] = "gpt2"
    (tmp_path / "ok" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="model_type 'gpt2' is not supported"):
        load_model(tmp_path / "ok")
