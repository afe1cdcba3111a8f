import pytest

from mynah.sample import build_network
from mynah.tokenizer import IM_END, Tokenizer, train_tokenizer


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory):
    net = build_network(1500, seed=2)
    tok = train_tokenizer([p["text"] for p in net.posts], vocab_size=1024)
    out = tmp_path_factory.mktemp("tok")
    tok.save(out)
    return out, net


def _ids(x):
    return x["input_ids"] if not isinstance(x, list) else x


def test_transformers_chat_template_gives_mynah_ids(tok_dir):
    transformers = pytest.importorskip("transformers")
    path, net = tok_dir
    hf = transformers.AutoTokenizer.from_pretrained(path)
    tok = Tokenizer.load(path)
    assert hf.convert_tokens_to_ids(IM_END) == tok.im_end_id
    for conv in net.conversations[:40]:
        msgs = conv["messages"]
        assert _ids(hf.apply_chat_template(msgs, tokenize=True)) == tok.encode_chat(msgs)[0]
        prompt = msgs[:-1]
        assert (
            _ids(hf.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True))
            == tok.encode_chat(prompt, True)[0]
        )
    # plain text round-trips through both
    text = "Heute: die Hitzewelle 🔥 ¿en serio? @user #weather https://example.com/x"
    assert hf.encode(text, add_special_tokens=False) == tok.encode(text)
    assert tok.decode(tok.encode(text)) == text


def test_mask_covers_only_assistant_content(tok_dir):
    path, _ = tok_dir
    tok = Tokenizer.load(path)
    msgs = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hola, ¿qué tal?"},
        {"role": "assistant", "content": "Muy bien 😊"},
        {"role": "user", "content": "and you?"},
        {"role": "assistant", "content": "Fine."},
    ]
    ids, mask = tok.encode_chat(msgs)
    learned = tok.decode([i for i, m in zip(ids, mask) if m], skip_special=False)
    assert learned == f"Muy bien 😊{IM_END}Fine.{IM_END}"


def test_token_bytes_sum_to_utf8_length(tok_dir):
    path, _ = tok_dir
    tok = Tokenizer.load(path)
    tb = tok.token_bytes()
    text = "Café ☕ in München: größer! 🎉"
    assert sum(tb[i] for i in tok.encode_doc(text)) == len(text.encode("utf-8"))
    assert tb[tok.eot_id] == 0
