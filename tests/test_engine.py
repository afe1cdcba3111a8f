import pytest
import torch

from mynah.engine import ContextOverflow, Engine, SamplingParams, draw_checked, process_logits
from mynah.generate import Detokenizer, TextGenerator
from mynah.model import ModelConfig, Transformer
from mynah.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = Transformer(
        ModelConfig(vocab_size=128, dim=64, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=128, max_seq_len=96)
    )
    m.init_weights(5)
    # Larger weights than init give a peaked, prompt-dependent distribution to test against.
    with torch.no_grad():
        m.lm_head.weight.mul_(20)
    return m.eval()


def reference_greedy(model, ids, n):
    """No cache, no engine: recompute the whole sequence each step."""
    ids = list(ids)
    out = []
    with torch.no_grad():
        for _ in range(n):
            nxt = int(model(torch.tensor([ids]))[0, -1].argmax())
            ids.append(nxt)
            out.append(nxt)
    return out


def test_greedy_matches_full_recompute_and_transformers_generate(model, tmp_path):
    transformers = pytest.importorskip("transformers")
    from mynah.checkpoint import save_checkpoint

    prompt = [5, 17, 42, 9, 77, 3]
    ((ours, reason),) = Engine(model, max_batch=2).generate_all(
        [prompt], SamplingParams(max_tokens=40, temperature=0)
    )
    assert reason == "length" and len(ours) == 40
    assert ours == reference_greedy(model, prompt, 40)
    save_checkpoint(model, tmp_path)
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    hf_out = hf.generate(
        torch.tensor([prompt]), max_new_tokens=40, do_sample=False, eos_token_id=None, pad_token_id=0
    )
    assert ours == hf_out[0, len(prompt) :].tolist()


def test_batched_sequences_of_different_lengths_equal_their_solo_runs(model):
    prompts = [[1, 2, 3], [9, 8, 7, 6, 5, 4, 3, 2], [50], [11, 12, 13, 14, 15]]
    params = [SamplingParams(max_tokens=n, temperature=0) for n in (12, 20, 7, 16)]
    batched = Engine(model, max_batch=4).generate_all(prompts, params)
    for p, sp, got in zip(prompts, params, batched):
        assert got == Engine(model, max_batch=1).generate_all([p], sp)[0]
    assert [len(t) for t, _ in batched] == [12, 20, 7, 16]


def test_seeded_sampling_repeats_and_seeds_differ(model):
    eng = Engine(model, max_batch=3)
    p = lambda s: SamplingParams(max_tokens=30, temperature=8.0, seed=s)
    a = eng.generate_all([[4, 5, 6]], p(1))[0][0]
    b = eng.generate_all([[4, 5, 6]], p(1))[0][0]
    c = eng.generate_all([[4, 5, 6]], p(2))[0][0]
    assert a == b and a != c
    # sequences sharing a batch keep their own RNG: same seed in a batch of 3 = solo
    batch = eng.generate_all([[4, 5, 6], [7, 7], [4, 5, 6]], [p(1), p(9), p(1)])
    assert batch[0][0] == a and batch[2][0] == a
    top1 = eng.generate_all([[4, 5, 6]], SamplingParams(max_tokens=30, temperature=1.0, top_k=1, seed=3))[0][
        0
    ]
    assert top1 == eng.generate_all([[4, 5, 6]], SamplingParams(max_tokens=30, temperature=0))[0][0]


def test_stops_processors_and_cancel(model):
    eng = Engine(model, max_batch=2)
    greedy = eng.generate_all([[1, 2]], SamplingParams(max_tokens=20, temperature=0))[0][0]
    toks, reason = eng.generate_all(
        [[1, 2]], SamplingParams(max_tokens=20, temperature=0, stop_token_ids=[greedy[4]])
    )[0]
    assert reason == "stop" and toks == greedy[: greedy.index(greedy[4]) + 1]
    seq = greedy[6:8]
    toks, reason = eng.generate_all(
        [[1, 2]], SamplingParams(max_tokens=20, temperature=0, stop_sequences=[seq])
    )[0]
    assert reason == "stop" and toks[-2:] == seq and len(toks) <= 8

    banned = greedy[0]

    def ban(history, logits):
        logits = logits.clone()
        logits[banned] = float("-inf")
        return logits

    toks, _ = eng.generate_all(
        [[1, 2]], SamplingParams(max_tokens=20, temperature=0, logits_processors=[ban])
    )[0]
    assert banned not in toks

    gen = eng.generate([[1, 2], [3, 4]], SamplingParams(max_tokens=10, temperature=0))
    events = []
    for ev in gen:
        events.append(ev)
        if len(events) == 1:
            gen.cancel(0)
    s0 = [e for e in events if e.seq == 0]
    assert s0[-1].finish_reason == "cancelled" and sum(e.token is not None for e in s0) == 1
    assert sum(e.token is not None for e in events if e.seq == 1) == 10


def test_context_overflow_is_an_error(model):
    with pytest.raises(ContextOverflow, match="does not fit the context of 96"):
        Engine(model).generate([list(range(96))], SamplingParams())
    toks, reason = Engine(model).generate_all(
        [list(range(90))], SamplingParams(max_tokens=50, temperature=0)
    )[0]
    assert reason == "length" and len(toks) == 6  # stops at the end of the context, not past it


def test_logit_processing_rules():
    logits = torch.tensor([4.0, 3.0, 2.0, 1.0, -1.0])
    masked = lambda out: torch.isinf(out).tolist()
    assert masked(process_logits(logits, [], SamplingParams(top_k=2))) == [False, False, True, True, True]
    p = torch.softmax(logits, -1)  # [0.64, 0.23, 0.09, 0.03, 0.004]
    assert masked(process_logits(logits, [], SamplingParams(top_p=0.8))) == [False, False, True, True, True]
    assert masked(process_logits(logits, [], SamplingParams(min_p=0.1))) == (p < 0.1 * p.max()).tolist()
    pen = process_logits(logits, [0, 4], SamplingParams(repetition_penalty=2.0, temperature=0))
    assert pen.tolist() == [2.0, 3.0, 2.0, 1.0, -2.0]
    with pytest.raises(ValueError):
        SamplingParams(top_p=0)


def test_stop_strings_never_stream_text_after_the_stop(trained):
    tok = Tokenizer.load(trained)
    ids = tok.encode("the new album was amazing. ### and more text after")
    d = Detokenizer(tok, ["###"])
    pieces = []
    for i, t in enumerate(ids):
        pieces.append(d.push(t, final=i == len(ids) - 1))
        if d.stopped:
            break
    assert "".join(pieces) == "the new album was amazing. "
    assert all("#" not in p for p in pieces)
    # multi-byte characters split across byte-level tokens never stream as U+FFFD
    d = Detokenizer(tok, [])
    text = "".join(d.push(t, final=False) for t in tok.encode("🎉🔥 ¿qué?")) + d.push(None, final=True)
    assert text == "🎉🔥 ¿qué?"


def test_text_generator_chat_and_complete(talker):
    gen = TextGenerator.from_dir(talker, max_batch=2)
    greedy = SamplingParams(max_tokens=12, temperature=0)
    out = "".join(gen.complete("The new album", greedy))
    ids = gen.tok.encode_doc("The new album")
    ref, _ = gen.engine.generate_all(
        [ids], SamplingParams(max_tokens=12, temperature=0, stop_token_ids=gen.tok.stop_ids)
    )[0]
    assert out.strip() and out == gen.tok.decode(ref)
    # chat frames the messages with the template and ends at the end-of-turn token
    msgs = [{"role": "user", "content": "Quick thought:"}]
    reply = "".join(gen.chat(msgs, greedy))
    ids, _ = gen.tok.encode_chat(msgs, add_generation_prompt=True)
    ref, _ = gen.engine.generate_all(
        [ids], SamplingParams(max_tokens=12, temperature=0, stop_token_ids=gen.tok.stop_ids)
    )[0]
    assert reply.strip() and reply == gen.tok.decode(ref)


@pytest.mark.slow
def test_compiled_decode_step_gives_the_eager_tokens(model):
    prompt = [3, 1, 4, 1, 5, 9, 2, 6]
    params = SamplingParams(max_tokens=24, temperature=0)
    eager = Engine(model, max_batch=1, max_len=48).generate_all([prompt], params)
    compiled = Engine(model, max_batch=1, max_len=48, compile=True).generate_all([prompt], params)
    assert compiled == eager
    sampled = SamplingParams(max_tokens=24, temperature=4.0, top_p=0.9, seed=11)
    assert Engine(model, max_batch=1, max_len=48, compile=True).generate_all([prompt], sampled) == Engine(
        model, max_batch=1, max_len=48
    ).generate_all([prompt], sampled)


def test_batched_prefill_matches_one_prompt_at_a_time(trained):
    import torch

    from mynah.checkpoint import load_model

    tok = Tokenizer.load(trained)
    prompts = [
        tok.encode_doc(t)
        for t in ["The new album", "a much longer prompt about rent in the city today", "hi"]
    ]
    solo = Engine(load_model(trained), max_batch=1)
    want = torch.stack([solo.prefill(0, p) for p in prompts])
    batch = Engine(load_model(trained), max_batch=4)
    torch.testing.assert_close(batch.prefill_batch([0, 1, 2], prompts), want, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(batch.prefill_batch([3, 1, 0], prompts), want, rtol=1e-4, atol=1e-4)
    # the padded positions do not leak into decoding: each row continues as if alone
    greedy = SamplingParams(max_tokens=12, temperature=0, stop_token_ids=[])
    alone = [solo.generate_all([p], greedy)[0][0] for p in prompts]
    logits = batch.prefill_batch([0, 1, 2], prompts)
    hist = [[int(t)] for t in logits.argmax(-1)]
    for _ in range(11):
        step = batch.decode(
            [0, 1, 2], [h[-1] for h in hist], [len(p) + len(h) - 1 for p, h in zip(prompts, hist)]
        )
        for h, t in zip(hist, step.argmax(-1).tolist()):
            h.append(t)
    assert hist == alone


class _BanOnDraw:
    """A processor that masks nothing and bans `ids` when one of them is drawn."""

    def __init__(self, ids):
        self.ids, self.asked = list(ids), 0

    def __call__(self, history, logits):
        return logits

    def reject(self, history, token):
        self.asked += 1
        return self.ids if token in self.ids else None


def test_a_token_rejected_after_the_draw_is_drawn_again_from_the_rest_in_proportion():
    """draw_checked: banning a class once it is drawn samples exactly the masked
    distribution (the class's mass spreads over the rest in proportion)."""
    logits = torch.log(torch.tensor([0.5, 0.3, 0.2]))
    ban = _BanOnDraw([0])
    p = SamplingParams(temperature=1.0, logits_processors=[ban], stop_token_ids=[2])
    g = torch.Generator().manual_seed(0)
    drawn = [draw_checked(logits, [], p, g)[0] for _ in range(4000)]
    assert 0 not in drawn
    share = drawn.count(1) / len(drawn)
    assert abs(share - 0.6) < 0.03, share  # 0.3 / (0.3 + 0.2)
    # greedy too: the best token banned, the next best
    assert draw_checked(logits, [], SamplingParams(temperature=0, logits_processors=[ban]), g)[0] == 1
    # everything banned: the end, as when a constraint masks every token
    everything = SamplingParams(
        temperature=1.0, logits_processors=[_BanOnDraw([0, 1, 2])], stop_token_ids=[2]
    )
    token, shaped = draw_checked(logits, [], everything, g)
    assert token == 2 and not bool(torch.isfinite(shaped).any())


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_processors_that_together_leave_no_token_end_the_sequence_not_the_batch(temperature):
    """Each processor leaves a token, two together may leave none (a quote that must go on
    where a length budget allows only the end): the sequence ends, with no error for the
    step's other sequences (the server once answered such a step with a 500 for all)."""
    from mynah.engine import SamplingParams, sample

    def only(keep):
        def proc(history, logits):
            out = torch.full_like(logits, float("-inf"))
            out[keep] = logits[keep]
            return out

        return proc

    p = SamplingParams(
        temperature=temperature, top_p=0.9, stop_token_ids=[2], logits_processors=[only([5, 6]), only([7])]
    )
    assert sample(torch.randn(16), [1, 3], p, torch.Generator().manual_seed(0)) == 2
