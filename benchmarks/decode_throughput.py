"""Batch-1 greedy decode: mynah's engine vs transformers `generate()` on the same checkpoint.

Both run in this process on the same safetensors checkpoint, in fp32, with the same thread
count, 128 new tokens after the same prompt, EOS disabled so both produce every token.
Prints tokens/s for each, the ratio, and the bandwidth bound: measured memory read
bandwidth / bytes that must be read per token (every weight once, plus the KV cache).

    python benchmarks/decode_throughput.py --recipe tiny --recipe small
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time

import torch

from mynah.checkpoint import load_model, save_checkpoint
from mynah.engine import Engine, SamplingParams
from mynah.model import Transformer
from mynah.recipes import get_recipe


def read_bandwidth(gib: float = 1.0, reps: int = 5) -> float:
    """Bytes/s for summing a buffer much larger than the caches (a pure streaming read)."""
    x = torch.ones(int(gib * 2**30) // 4)
    x.sum()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        x.sum()
        times.append(time.perf_counter() - t)
    return x.numel() * 4 / statistics.median(times)


def bytes_per_token(model: Transformer, context: int) -> float:
    cfg = model.cfg
    weights = sum(p.numel() * p.element_size() for p in model.parameters())  # tied weights count once
    weights -= (
        cfg.vocab_size * cfg.dim * 4 * (0 if cfg.tie_embeddings else 1)
    )  # an untied embedding reads one row
    if cfg.is_moe:  # only the routed experts' weights are read
        per_expert = 3 * cfg.dim * cfg.ffn_dim * 4 * cfg.n_layers
        weights -= per_expert * (cfg.n_experts - cfg.experts_per_token)
    kv = 2 * cfg.n_layers * cfg.n_kv_heads * cfg.head_dim * 4 * context
    return weights + kv


def bench(recipe: str, new_tokens: int, prompt_len: int, reps: int) -> dict:
    transformers = __import__("transformers")
    torch.manual_seed(0)
    model = Transformer(get_recipe(recipe).model)
    model.init_weights(0)
    with tempfile.TemporaryDirectory() as d:
        save_checkpoint(model, d)
        ours = load_model(d)
        hf = transformers.AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    prompt = torch.randint(0, 1000, (prompt_len,)).tolist()
    max_len = prompt_len + new_tokens + 1
    eager = Engine(ours, max_batch=1, max_len=max_len)
    t = time.perf_counter()
    compiled = Engine(ours, max_batch=1, max_len=max_len, compile=True)
    compiled.generate_all([prompt], SamplingParams(max_tokens=4, temperature=0))
    compile_s = time.perf_counter() - t
    params = SamplingParams(max_tokens=new_tokens, temperature=0)

    def run(eng):
        t = time.perf_counter()
        ((toks, _),) = eng.generate_all([prompt], params)
        assert len(toks) == new_tokens
        return new_tokens / (time.perf_counter() - t), toks

    def run_hf():
        t = time.perf_counter()
        with torch.inference_mode():
            out = hf.generate(
                torch.tensor([prompt]),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                eos_token_id=None,
                pad_token_id=0,
            )
        assert out.shape[1] - prompt_len == new_tokens
        return new_tokens / (time.perf_counter() - t), out[0, prompt_len:].tolist()

    run(eager), run(compiled), run_hf()  # warm up allocators and kernels
    eager_tps, comp_tps, hf_tps = [], [], []
    for _ in range(reps):  # interleave so background noise hits all three alike
        tps, a = run(eager)
        eager_tps.append(tps)
        tps, c = run(compiled)
        comp_tps.append(tps)
        tps, b = run_hf()
        hf_tps.append(tps)
    same = a == b == c
    bw = read_bandwidth()
    bound = bw / bytes_per_token(ours, prompt_len + new_tokens // 2)
    e, m, h = statistics.median(eager_tps), statistics.median(comp_tps), statistics.median(hf_tps)
    return {
        "recipe": recipe,
        "params_M": model.num_params() / 1e6,
        "eager_tok_s": e,
        "mynah_tok_s": m,
        "hf_tok_s": h,
        "ratio": m / h,
        "eager_ratio": e / h,
        "compile_s": compile_s,
        "bandwidth_GBs": bw / 1e9,
        "bound_tok_s": bound,
        "fraction_of_bound": m / bound,
        "same_tokens": same,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", action="append", help="recipe(s) to measure (default: tiny and small)")
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, torch threads {torch.get_num_threads()}, torch {torch.__version__}"
    )
    for recipe in a.recipe or ["tiny", "small"]:
        r = bench(recipe, a.new_tokens, a.prompt_len, a.reps)
        print(
            f"{r['recipe']:>8} ({r['params_M']:.1f}M params): mynah compiled {r['mynah_tok_s']:.1f} tok/s "
            f"(compile {r['compile_s']:.0f} s), eager {r['eager_tok_s']:.1f} tok/s, transformers generate() "
            f"{r['hf_tok_s']:.1f} tok/s, ratio compiled {r['ratio']:.2f}x, eager {r['eager_ratio']:.2f}x | "
            f"read bandwidth {r['bandwidth_GBs']:.1f} GB/s, "
            f"bound {r['bound_tok_s']:.0f} tok/s, reached {100 * r['fraction_of_bound']:.0f}% | same tokens: {r['same_tokens']}"
        )


if __name__ == "__main__":
    main()
