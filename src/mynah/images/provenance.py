"""Provenance on every image mynah makes, in the three ways the ecosystem reads it:

1. A C2PA manifest (c2pa-python), signed with the deployment's certificate. Its
   `c2pa.actions.v2` assertion says `c2pa.created` with the IPTC digital source type
   (`trainedAlgorithmicMedia` for a generated image, `algorithmicMedia` for a chart or a
   card, which are drawn by code from stored data), the software agent (mynah and its
   version) and the time; `org.mynah.image` repeats the model id, time and version, and a
   card carries the post it shows, exactly as stored.
2. The same statement in XMP (an iTXt chunk `XML:com.adobe.xmp` in the PNG), for readers
   that do not do C2PA. It is written before signing, so the manifest's hash covers it.
3. For generated images, an invisible watermark in the pixels (images/watermark.py), which
   outlives re-encoding that strips metadata.

The certificate. C2PA validators refuse a self-signed end-entity certificate, so at first
start the deployment makes a small chain in `STATE/c2pa/`: a local CA (`ca.pem`) and a
signing certificate it issues (`signer.pem`, key `signer.key`, mode 0600), with a warning
that verifiers will call it untrusted. An operator brings a CA-issued certificate with
`--c2pa-cert CHAIN.pem --c2pa-key KEY.pem` (or by putting them at those paths): the chain
is the signing certificate first, then its issuers. Verifying with the local CA as a trust
anchor (`mynah detect-image --trust STATE/c2pa/ca.pem`) reports the manifest as trusted.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
GENERATED = "trainedAlgorithmicMedia"  # a diffusion model drew it
RENDERED = "algorithmicMedia"  # code drew it from stored data: a chart, a card
KINDS = {"generated": GENERATED, "chart": RENDERED, "card": RENDERED}
ASSERTION = "org.mynah.image"
XMP_KEY = "XML:com.adobe.xmp"
UNTRUSTED = {"signingCredential.untrusted"}  # the one failure a self-signed deployment expects


def mynah_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mynah")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


class CertError(ValueError):
    """A certificate or key that cannot sign: the message names the file."""


# -- the deployment's certificate ---------------------------------------------------------


def _name(cn: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mynah deployment (self-signed)"),
        ]
    )


def make_local_chain(folder: Path, years: int = 5) -> None:
    """A local CA and a signing certificate it issues, shaped as C2PA's certificate profile
    asks (EC P-256, digitalSignature, emailProtection EKU, not a CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    until = now + dt.timedelta(days=365 * years)
    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("mynah local CA"))
        .issuer_name(_name("mynah local CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(**(usage | {"key_cert_sign": True, "crl_sign": True})), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("mynah image signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**(usage | {"digital_signature": True})), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    folder.mkdir(parents=True, exist_ok=True)
    from mynah.atomic import write_bytes

    # the CA's key is not kept: nothing else is ever issued with it
    write_bytes(folder / "ca.pem", ca.public_bytes(pem))
    write_bytes(folder / "signer.pem", leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_bytes = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = folder / f".signer.key.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
    with os.fdopen(fd, "wb") as f:
        f.write(key_bytes)
    os.replace(tmp, folder / "signer.key")


def _alg_of(key_pem: bytes, where: str) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        k = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as e:
        raise CertError(f"{where}: not an unencrypted PEM private key ({e})") from None
    if isinstance(k, ec.EllipticCurvePrivateKey):
        return {256: b"es256", 384: b"es384", 521: b"es512"}[k.curve.key_size]
    if isinstance(k, ed25519.Ed25519PrivateKey):
        return b"ed25519"
    if isinstance(k, rsa.RSAPrivateKey):
        return b"ps256"  # C2PA allows RSA only with PSS
    raise CertError(f"{where}: a {type(k).__name__} key; C2PA signs with EC (P-256/384/521), Ed25519 or RSA")


@dataclass
class Signer:
    """The deployment's C2PA signing identity: a PEM chain and its key."""

    chain: bytes
    key: bytes = field(repr=False)
    alg: bytes = b"es256"
    where: str = "(in memory)"
    self_signed: bool = False

    @classmethod
    def load(cls, cert: str | os.PathLike, key: str | os.PathLike, self_signed: bool = False) -> Signer:
        def read(p, what):
            try:
                return Path(p).read_bytes()
            except OSError as e:
                raise CertError(f"{p}: cannot read the C2PA {what} ({e.strerror})") from None

        chain, key_pem = read(cert, "certificate chain"), read(key, "private key")
        if b"-----BEGIN CERTIFICATE-----" not in chain:
            raise CertError(f"{cert}: no PEM certificate in it (the chain: signing certificate first)")
        s = cls(chain, key_pem, _alg_of(key_pem, str(key)), str(cert), self_signed)
        s.check()
        return s

    @classmethod
    def for_state(
        cls, state: str | os.PathLike, cert: str | None = None, key: str | None = None, log=print
    ) -> Signer:
        """The operator's certificate (--c2pa-cert/--c2pa-key), or STATE/c2pa/'s, made at first
        start with a warning."""
        if bool(cert) != bool(key):
            raise CertError("give both --c2pa-cert and --c2pa-key, or neither")
        if cert:
            return cls.load(cert, key)
        folder = Path(state) / "c2pa"
        if not (folder / "signer.pem").exists():
            make_local_chain(folder)
            log(
                f"warning: made a self-signed C2PA certificate in {folder}: images are signed, but "
                "verifiers will call the signer untrusted. Use a CA-issued one with --c2pa-cert/--c2pa-key "
                "(see the README).",
                file=sys.stderr,
                flush=True,
            )
        local = (folder / "ca.pem").exists()
        return cls.load(folder / "signer.pem", folder / "signer.key", self_signed=local)

    @classmethod
    def ephemeral(cls) -> Signer:
        """For a server started without a state folder (tests, embedding create_app)."""
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            make_local_chain(Path(d))
            s = cls.load(Path(d) / "signer.pem", Path(d) / "signer.key", self_signed=True)
            s.ca = (Path(d) / "ca.pem").read_bytes()
            return s

    def check(self) -> None:
        """Sign a 1×1 image now, so a bad certificate stops the server at start, not later."""
        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (1, 1)).save(buf, "PNG")
        try:
            sign_png(buf.getvalue(), Stamp("chart", "check").manifest("2026-01-01T00:00:00Z", "0"), self)
        except Exception as e:
            raise CertError(f"{self.where}: C2PA cannot sign with this certificate and key: {e}") from None

    def c2pa(self):
        import c2pa

        info = c2pa.C2paSignerInfo(alg=self.alg, sign_cert=self.chain, private_key=self.key, ta_url=None)
        return c2pa.Signer.from_info(info)

    def summary(self) -> dict:
        from cryptography import x509

        cert = x509.load_pem_x509_certificates(self.chain)[0]
        return {
            "issuer": cert.issuer.rfc4514_string(),
            "subject": cert.subject.rfc4514_string(),
            "self_signed": self.self_signed,
        }


# -- writing ------------------------------------------------------------------------------


# no thumbnail: it would double a small image's size and tell a reader nothing new
_SIGN_SETTINGS = json.dumps({"builder": {"thumbnail": {"enabled": False}}})


def sign_png(png: bytes, manifest: dict, signer: Signer) -> bytes:
    import c2pa

    out = io.BytesIO()
    with (
        c2pa.Context(c2pa.Settings.from_json(_SIGN_SETTINGS)) as ctx,
        c2pa.Builder(manifest, context=ctx) as b,
        signer.c2pa() as s,
    ):
        b.sign(s, "image/png", io.BytesIO(png), out)
    return out.getvalue()


def xmp_packet(kind: str, model: str, when: str, version: str, title: str | None = None) -> str:
    src = IPTC + KINDS[kind]
    desc = {
        "generated": f"AI-generated image, made by {model} with mynah {version}",
        "chart": f"Chart drawn by mynah {version} from the posts in its store",
        "card": f"Quote card drawn by mynah {version} from a stored post",
    }[kind]
    title_xml = (
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>'
        if title
        else ""
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:mynah="https://github.com/mynah/ns/1.0/"'
        f" Iptc4xmpExt:DigitalSourceType={quoteattr(src)}"
        f" xmp:CreatorTool={quoteattr('mynah ' + version)} xmp:CreateDate={quoteattr(when)}"
        f" mynah:Model={quoteattr(model)} mynah:Kind={quoteattr(kind)}>"
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(desc)}</rdf:li></rdf:Alt></dc:description>'
        f"{title_xml}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="r"?>'
    )


def with_itxt(png: bytes, key: str, text: str) -> bytes:
    """The PNG with an uncompressed iTXt chunk after its IHDR (PNG's own layout: length,
    type, data, CRC over type and data)."""
    import struct
    import zlib

    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    end = 8 + 8 + struct.unpack(">I", png[8:12])[0] + 4  # signature, IHDR's length+type, data, CRC
    data = key.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")  # no compression, no language
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data))
    return png[:end] + chunk + png[end:]


@dataclass
class Stamp:
    """What is said about one image: kind ("generated", "chart", "card"), the model or
    renderer, and for a card the post it shows."""

    kind: str
    model: str
    title: str | None = None
    post: dict | None = None
    extra: dict = field(default_factory=dict)  # e.g. a chart's query and range

    def manifest(self, when: str, version: str) -> dict:
        src = IPTC + KINDS[self.kind]
        own = {"kind": self.kind, "model": self.model, "time": when, "mynah_version": version}
        if self.post is not None:
            own["post"] = self.post
        own.update(self.extra)
        return {
            "claim_generator_info": [{"name": "mynah", "version": version}],
            "title": self.title or f"mynah {self.kind}.png",
            "format": "image/png",
            "assertions": [
                {
                    "label": "c2pa.actions.v2",
                    "data": {
                        "actions": [
                            {
                                "action": "c2pa.created",
                                "digitalSourceType": src,
                                "softwareAgent": {"name": "mynah", "version": version},
                                "when": when,
                                "parameters": {"model": self.model},
                            }
                        ]
                    },
                },
                {"label": ASSERTION, "data": own},
            ],
        }


def stamp(png: bytes, s: Stamp, signer: Signer, now: dt.datetime | None = None) -> tuple[bytes, dict]:
    """PNG bytes → signed PNG bytes with XMP (the pixels as they are: no decode, no
    re-encode), and the `provenance` object a response carries about it."""
    when = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds").replace("+00:00", "Z")
    version = mynah_version()
    png = with_itxt(png, XMP_KEY, xmp_packet(s.kind, s.model, when, version, s.title))
    signed = sign_png(png, s.manifest(when, version), signer)
    return signed, {
        "c2pa": True,
        "xmp": True,
        "digital_source_type": IPTC + KINDS[s.kind],
        "model": s.model,
        "created": when,
        "mynah_version": version,
        "signer": signer.summary(),
    }


# -- reading ------------------------------------------------------------------------------


@dataclass
class C2paFound:
    state: str  # c2pa's validation state: Invalid, Valid, Trusted
    valid: bool  # the manifest is intact and its signature checks, trust apart
    failures: list[str]
    digital_source_type: str | None
    assertion: dict | None  # org.mynah.image
    signer: dict | None
    labels: list[str]


def read_c2pa(data: bytes, mime: str = "image/png", trust: bytes | None = None) -> C2paFound | None:
    """The active manifest, or None when the file has none. `trust`: PEM anchors to trust
    (the deployment's ca.pem), so a valid signature by them reads as Trusted."""
    import c2pa

    ctx = None
    if trust is not None:
        settings = c2pa.Settings.from_json(
            json.dumps({"verify": {"verify_trust": True}, "trust": {"trust_anchors": trust.decode()}})
        )
        ctx = c2pa.Context(settings)
    try:
        r = c2pa.Reader(mime, io.BytesIO(data), context=ctx) if ctx else c2pa.Reader(mime, io.BytesIO(data))
    except c2pa.C2paError.ManifestNotFound:
        return None
    with r:
        store = json.loads(r.json())
        results = r.get_validation_results() or {}
        state = r.get_validation_state() or "Invalid"
    m = store["manifests"][store["active_manifest"]]
    failures = [f["code"] for f in (results.get("activeManifest") or {}).get("failure", [])]
    failures += [f["code"] for f in store.get("validation_status") or [] if f["code"] not in failures]
    src, own = None, None
    for a in m.get("assertions", []):
        if a["label"].startswith("c2pa.actions"):
            for act in a["data"].get("actions", []):
                src = act.get("digitalSourceType", src)
        elif a["label"] == ASSERTION:
            own = a["data"]
    return C2paFound(
        state=state,
        valid=not (set(failures) - UNTRUSTED),
        failures=failures,
        digital_source_type=src,
        assertion=own,
        signer=m.get("signature_info"),
        labels=[a["label"] for a in m.get("assertions", [])],
    )


def read_xmp(image) -> dict | None:
    """The XMP packet's DigitalSourceType, tool, time and model, or None when there is none."""
    import re

    raw = image.info.get(XMP_KEY) or image.info.get("xmp")
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw

    def attr(name):
        m = re.search(rf'{name}="([^"]*)"', text)
        return m.group(1) if m else None

    return {
        "digital_source_type": attr("Iptc4xmpExt:DigitalSourceType"),
        "creator_tool": attr("xmp:CreatorTool"),
        "created": attr("xmp:CreateDate"),
        "model": attr("mynah:Model"),
    }
