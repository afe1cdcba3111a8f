"""Image provenance without a server: the deployment's certificate, the manifest and XMP a
stamp writes, and the pixel watermark's robustness on a photograph."""

from __future__ import annotations

import io
import stat

import pytest
from PIL import Image

from mynah.images.provenance import IPTC, CertError, Signer, Stamp, read_c2pa, read_xmp, stamp
from mynah.images.watermark import detect, mark


def png_of(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def photo():
    import matplotlib.cbook as cbook

    # a real photograph (it ships with matplotlib): the tiny pipeline only draws noise
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return Image.open(f).convert("RGB").resize((512, 512))


def test_first_start_makes_a_certificate_once_and_warns(tmp_path, capsys):
    s = Signer.for_state(tmp_path)
    err = capsys.readouterr().err
    assert "self-signed C2PA certificate" in err and "--c2pa-cert" in err
    key = tmp_path / "c2pa" / "signer.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = Signer.for_state(tmp_path)
    assert capsys.readouterr().err == ""  # the second start uses it, quietly
    assert again.chain == s.chain and s.summary()["self_signed"]


def test_bring_your_own_certificate(tmp_path):
    Signer.for_state(tmp_path / "a")  # a chain made elsewhere stands in for a CA-issued one
    chain, key = tmp_path / "a" / "c2pa" / "signer.pem", tmp_path / "a" / "c2pa" / "signer.key"
    s = Signer.for_state(tmp_path / "b", str(chain), str(key))
    assert not (tmp_path / "b" / "c2pa").exists() and not s.self_signed
    png, prov = stamp(png_of(Image.new("RGB", (32, 32))), Stamp("chart", "mynah-chart"), s)
    ca = (tmp_path / "a" / "c2pa" / "ca.pem").read_bytes()
    assert read_c2pa(png, trust=ca).state == "Trusted"
    with pytest.raises(CertError, match="both --c2pa-cert and --c2pa-key"):
        Signer.for_state(tmp_path / "b", str(chain), None)
    Signer.for_state(tmp_path / "c")
    other_key = tmp_path / "c" / "c2pa" / "signer.key"
    with pytest.raises(CertError, match="cannot sign with this certificate"):
        Signer.load(chain, other_key)  # a key that is not the certificate's
    with pytest.raises(CertError, match="no PEM certificate"):
        Signer.load(key, key)
    with pytest.raises(CertError, match="cannot read"):
        Signer.load(tmp_path / "missing.pem", key)


def test_stamp_writes_c2pa_and_xmp(tmp_path):
    s = Signer.for_state(tmp_path)
    post = {"text": "Cost: $5 — 50% off #deal 🎉", "author": "a", "url": "https://x.com/a/status/1"}
    png, prov = stamp(
        png_of(Image.new("RGB", (40, 20), (1, 2, 3))), Stamp("card", "mynah-card", post=post), s
    )
    found = read_c2pa(png)
    assert found.valid and found.digital_source_type == IPTC + "algorithmicMedia"
    assert found.assertion["post"] == post and "c2pa.actions.v2" in found.labels
    xmp = read_xmp(Image.open(io.BytesIO(png)))
    assert xmp["digital_source_type"] == IPTC + "algorithmicMedia" and xmp["created"] == prov["created"]
    gen, _ = stamp(png_of(Image.new("RGB", (40, 20))), Stamp("generated", "sd-turbo"), s)
    assert read_c2pa(gen).digital_source_type == IPTC + "trainedAlgorithmicMedia"


def test_pixel_mark_survives_jpeg_and_a_half_resize(photo):
    marked = mark(photo)
    assert detect(marked).found and detect(marked).bits_matched == 48
    assert not detect(photo).found  # the unmarked photograph
    buf = io.BytesIO()
    marked.resize((256, 256), Image.BICUBIC).save(buf, "JPEG", quality=75)
    got = detect(Image.open(io.BytesIO(buf.getvalue())))
    assert got.found and got.scale == 2.0, got


def test_small_images_are_left_unmarked():
    small = Image.new("RGB", (64, 64), (9, 9, 9))
    assert mark(small) is small
    assert detect(small).checked is False
