"""The images API on a live server, through the official `openai` client: generation with
the tiny pipeline (built by `mynah images tiny-pipeline`), charts and cards from the post
store, the provenance on each (C2PA manifest read and validated by c2pa-python, XMP, the
pixel watermark), the image guardrails, and the queue's limits."""

from __future__ import annotations

import base64
import io
import sqlite3
import stat
import time

import httpx
import numpy as np
import openai
import pytest
from PIL import Image

from conftest import copy_store
from mynah.images.provenance import IPTC, read_c2pa, read_xmp
from mynah.images.watermark import detect as detect_pixels
from serve_helpers import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from mynah.cli import main

    out = tmp_path_factory.mktemp("images") / "tiny-sd"
    assert main(["images", "tiny-pipeline", "--out", str(out)]) == 0
    assert sorted(p.suffix for p in out.rglob("*.safetensors")) == [".safetensors"] * 3
    assert not [p for p in out.rglob("*") if p.suffix in (".bin", ".ckpt", ".pt")]
    return out


@pytest.fixture(scope="module")
def server(trained, post_db, pipeline, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("images-serve")
    db = copy_store(post_db, tmp)
    s = LiveServer(
        trained, "--posts", str(db), "--image-model", str(pipeline), "--image-max-queue", "2", tmp=tmp
    )
    s.db = db
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="none", max_retries=0)


def png_of(b64: str) -> bytes:
    return base64.b64decode(b64)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def assert_provenance(png: bytes, source: str, model: str | None = None):
    found = read_c2pa(png)
    assert found is not None, "no C2PA manifest"
    # intact and signed; the one failure is trust in the deployment's self-signed certificate
    assert found.valid and found.state == "Valid", found.failures
    assert found.failures == ["signingCredential.untrusted"]
    assert found.digital_source_type == IPTC + source
    assert found.assertion["mynah_version"] and found.assertion["time"]
    if model:
        assert found.assertion["model"] == model
    xmp = read_xmp(Image.open(io.BytesIO(png)))
    assert xmp is not None and xmp["digital_source_type"] == IPTC + source
    return found


# -- generation -----------------------------------------------------------------------------


def test_generate_with_the_openai_client(client, server, pipeline):
    r = client.images.generate(prompt="a red bird on a wire", size="64x64", extra_body={"seed": 7})
    assert len(r.data) == 1 and r.data[0].revised_prompt == "a red bird on a wire"
    png = png_of(r.data[0].b64_json)
    assert Image.open(io.BytesIO(png)).size == (64, 64)
    assert pixels(png).std() > 1  # a drawn image, not a blank one
    assert_provenance(png, "trainedAlgorithmicMedia", model=pipeline.name)
    # trusted once the deployment's own CA is the anchor
    ca = (server.state / "c2pa" / "ca.pem").read_bytes()
    assert read_c2pa(png, trust=ca).state == "Trusted"
    key = server.state / "c2pa" / "signer.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    # a seed makes the same image; another seed another one
    again = client.images.generate(prompt="a red bird on a wire", size="64x64", extra_body={"seed": 7})
    other = client.images.generate(prompt="a red bird on a wire", size="64x64", extra_body={"seed": 8})
    assert np.array_equal(pixels(png), pixels(png_of(again.data[0].b64_json)))
    assert not np.array_equal(pixels(png), pixels(png_of(other.data[0].b64_json)))


def test_n_images_by_url_carry_the_pixel_watermark(client):
    r = client.images.generate(
        prompt="a lighthouse at dusk",
        n=2,
        size="256x256",
        response_format="url",
        extra_body={"seed": 3, "num_inference_steps": 2},
    )
    assert len(r.data) == 2
    for d in r.data:
        png = httpx.get(d.url, timeout=30).content  # no key needed: the URL is the capability
        assert_provenance(png, "trainedAlgorithmicMedia")
        img = Image.open(io.BytesIO(png))
        assert detect_pixels(img).found
        # a copy stripped of its metadata: the pixels still carry the mark (how much lossy
        # re-encoding it survives is measured on photographs in test_images_provenance.py
        # and benchmarks/images.py; the tiny pipeline draws noise, which JPEG destroys)
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "PNG")
        assert read_c2pa(buf.getvalue()) is None and read_xmp(Image.open(buf)) is None
        assert detect_pixels(Image.open(buf)).found


def test_generation_errors_are_openai_shaped(client, server, tmp_path):
    with pytest.raises(openai.BadRequestError) as e:
        client.images.generate(prompt="   ")
    assert e.value.body["param"] == "prompt"
    with pytest.raises(openai.BadRequestError) as e:
        client.images.generate(prompt="a cat", size="100x100")
    assert e.value.body["param"] == "size" and "multiple of 64" in e.value.body["message"]
    with pytest.raises(openai.BadRequestError) as e:
        client.images.generate(prompt="a cat", n=9)
    assert e.value.body["param"] == "n"
    with pytest.raises(openai.NotFoundError) as e:
        client.images.generate(prompt="a cat", model="dall-e-3")
    assert e.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError) as e:
        client.images.generate(prompt="a cat", style="vivid")
    assert e.value.body["param"] == "style"


def test_an_election_fake_prompt_is_refused(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.images.generate(
            prompt="photorealistic photo of election workers throwing ballots into a dumpster behind the county office"
        )
    body = e.value.body
    assert body["code"] == "content_policy_violation" and body["param"] == "prompt"
    assert "ballot" in body["message"].lower() or "election" in body["message"].lower()


def test_queue_full_is_429_and_a_gone_client_is_cancelled(server):
    import concurrent.futures as cf

    slow = {"prompt": "a field of wheat", "size": "1024x1024", "num_inference_steps": 50}
    url = server.url + "/v1/images/generations"
    before = httpx.get(server.url + "/health").json()["images"]

    def gives_up(seed: int, after: float):
        try:
            return httpx.post(url, json=slow | {"seed": seed}, timeout=after).status_code
        except httpx.TimeoutException:
            return "gone"

    # the queue holds 2: a running and a waiting request fill it, a third is turned away
    with cf.ThreadPoolExecutor(2) as pool:
        waiting = [pool.submit(gives_up, i, 1.5) for i in (1, 2)]
        deadline = time.time() + 30
        while httpx.get(server.url + "/health").json()["images"]["queued"] < 2 and time.time() < deadline:
            time.sleep(0.05)
        r = httpx.post(url, json=slow, timeout=30)
        assert r.status_code == 429 and r.headers["retry-after"]
        assert r.json()["error"]["type"] == "rate_limit_error"
        # both clients give up: the waiting job is dropped, the running one interrupted
        assert [f.result() for f in waiting] == ["gone", "gone"]
    deadline = time.time() + 60
    while time.time() < deadline:
        h = httpx.get(server.url + "/health").json()["images"]
        if h["cancelled"] >= before["cancelled"] + 2 and h["queued"] == 0:
            break
        time.sleep(0.1)
    assert h["cancelled"] == before["cancelled"] + 2 and h["queued"] == 0, h
    assert h["done"] <= before["done"] + 1  # the interrupted one came back, as cancelled


# -- charts and cards ----------------------------------------------------------------------


def test_chart_counts_the_store(client, server):
    d = client.post("/images/chart", body={"query": "coffee", "by": "day"}, cast_to=object)
    png = png_of(d["data"][0]["b64_json"])
    assert Image.open(io.BytesIO(png)).size == (1000, 560)
    with sqlite3.connect(server.db) as c:
        want = c.execute(
            "SELECT count(*) FROM posts_fts f JOIN posts p ON p.rowid = f.rowid"
            " WHERE posts_fts MATCH 'coffee' AND p.ts IS NOT NULL"
        ).fetchone()[0]
    assert want > 0 and d["post_count"] == want == sum(d["series"]["counts"])
    assert f"{want:,} posts" in d["caption"] and '"coffee"' in d["caption"]
    found = assert_provenance(png, "algorithmicMedia", model="mynah-chart")
    assert found.assertion["query"] == "coffee" and found.assertion["post_count"] == want

    with pytest.raises(openai.BadRequestError) as e:
        client.post("/images/chart", body={"query": "coffee", "since": "last week"}, cast_to=object)
    assert e.value.body["param"] == "since"
    with pytest.raises(openai.BadRequestError) as e:
        client.post("/images/chart", body={"query": "coffee", "by": "week"}, cast_to=object)
    assert e.value.body["param"] == "by"


def test_card_shows_the_post_as_stored(client, server):
    with sqlite3.connect(server.db) as c:
        key, text, url = c.execute(
            "SELECT key, text, url FROM posts WHERE text LIKE '%#%' AND url IS NOT NULL LIMIT 1"
        ).fetchone()
    d = client.post("/images/card", body={"post_id": key}, cast_to=object)
    png = png_of(d["data"][0]["b64_json"])
    found = assert_provenance(png, "algorithmicMedia", model="mynah-card")
    assert found.assertion["post"]["text"] == text == d["post"]["text"]
    assert found.assertion["post"]["url"] == url and url in d["caption"]
    with pytest.raises(openai.NotFoundError) as e:
        client.post("/images/card", body={"post_id": "x:0"}, cast_to=object)
    assert e.value.body["code"] == "post_not_found"


def detect_image(capsys, *args: str) -> tuple[int, str, str]:
    """`mynah detect-image ...` as the command line runs it (in this process: it is quick)."""
    from mynah.cli import main

    rc = main(["detect-image", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_detect_image_reads_all_three(client, tmp_path, capsys):
    r = client.images.generate(
        prompt="a boat", size="256x256", extra_body={"seed": 1, "num_inference_steps": 2}
    )
    f = tmp_path / "boat.png"
    f.write_bytes(png_of(r.data[0].b64_json))
    rc, out, _ = detect_image(capsys, str(f))
    assert rc == 0
    assert "C2PA manifest: valid" in out and "trainedAlgorithmicMedia" in out
    assert "pixel watermark: found" in out and "AI-made: c2pa, xmp, pixel_watermark" in out
    # stripped of its metadata, the pixels still tell
    plain = tmp_path / "plain.png"
    Image.open(f).convert("RGB").save(plain)
    rc, out, _ = detect_image(capsys, str(plain), "--json")
    assert rc == 0 and '"found": [\n    "pixel_watermark"\n  ]' in out
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 300), (120, 130, 140)).save(blank)
    assert detect_image(capsys, str(blank))[0] == 1
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    rc, _, err = detect_image(capsys, str(junk))
    assert rc == 2 and "junk.png" in err


# -- servers without an image model, and folders that are refused --------------------------


def test_without_an_image_model_charts_and_cards_still_work(trained, post_db, tmp_path):
    from mynah.serve.app import create_app
    from mynah.social.fakes import serve_in_thread

    # the app in a thread of this process (charts and cards need no model loaded), with a key
    running = serve_in_thread(create_app(trained, posts=copy_store(post_db, tmp_path), api_keys=["sk-img"]))
    try:
        url = f"http://127.0.0.1:{running.port}/v1"
        for path, body in (
            ("/images/chart", {"query": "coffee"}),
            ("/images/generations", {"prompt": "a cat"}),
        ):
            with pytest.raises(openai.AuthenticationError):  # the same keys as every other route
                openai.OpenAI(base_url=url, api_key="wrong", max_retries=0).post(
                    path, body=body, cast_to=object
                )
        c = openai.OpenAI(base_url=url, api_key="sk-img", max_retries=0)
        with pytest.raises(openai.NotFoundError) as e:
            c.images.generate(prompt="a cat")
        assert "no image model configured" in e.value.body["message"]
        d = c.post("/images/chart", body={"query": "coffee"}, cast_to=object)
        assert_provenance(png_of(d["data"][0]["b64_json"]), "algorithmicMedia")
    finally:
        running.stop()


def test_pickle_weights_are_refused(trained, pipeline, tmp_path, capsys):
    import shutil

    from mynah.cli import main

    bad = tmp_path / "pickled"
    shutil.copytree(pipeline, bad)
    for f in (bad / "unet").glob("*.safetensors"):
        f.unlink()
    (bad / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04not really")
    args = ["serve", "--model", str(trained), "--state-dir", str(tmp_path / "st")]
    assert main([*args, "--image-model", str(bad)]) == 2  # before the port is bound
    err = capsys.readouterr().err
    assert "diffusion_pytorch_model.bin" in err and "pickle" in err
    assert main([*args, "--image-model", str(tmp_path)]) == 2
    assert "model_index.json" in capsys.readouterr().err


def test_a_tampered_image_fails_validation(client):
    r = client.images.generate(prompt="a red bird", size="64x64", extra_body={"seed": 2})
    png = bytearray(png_of(r.data[0].b64_json))
    i = png.find(b"IDAT")
    png[i + 12] ^= 0xFF
    found = read_c2pa(bytes(png))
    assert found is not None and not found.valid
    assert "assertion.dataHash.mismatch" in found.failures
