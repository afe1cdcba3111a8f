"""`mynah detect-image FILE`: which of the three provenance signals an image carries.

- C2PA: the manifest's validation state and failures. A deployment's self-signed
  certificate reads as untrusted; that failure alone still counts as a valid manifest
  (intact, signature checks), and `--trust STATE/c2pa/ca.pem` makes it Trusted.
- XMP: the IPTC DigitalSourceType in the image's XMP packet.
- The pixel watermark (images/watermark.py), which is all that is left of an image that was
  re-encoded by a platform that strips metadata.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path

from mynah.images.provenance import IPTC, read_c2pa, read_xmp
from mynah.images.watermark import detect as detect_pixels

AI = {
    IPTC + "trainedAlgorithmicMedia",
    IPTC + "algorithmicMedia",
    IPTC + "compositeWithTrainedAlgorithmicMedia",
}


def inspect_bytes(data: bytes, trust: bytes | None = None) -> dict:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"not an image PIL can read ({e})") from None
    mime = Image.MIME.get(image.format, "image/png")
    c2 = read_c2pa(data, mime, trust)
    xmp = read_xmp(image)
    px = detect_pixels(image)
    c2_ai = c2 is not None and c2.valid and c2.digital_source_type in AI
    xmp_ai = xmp is not None and xmp.get("digital_source_type") in AI
    return {
        "format": image.format,
        "size": list(image.size),
        "c2pa": asdict(c2) if c2 is not None else None,
        "xmp": xmp,
        "pixel_watermark": px.as_dict(),
        "ai_made": bool(c2_ai or xmp_ai or px.found),
        "found": [n for n, ok in (("c2pa", c2_ai), ("xmp", xmp_ai), ("pixel_watermark", px.found)) if ok],
    }


def inspect_file(path: str, trust: bytes | None = None) -> dict:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ValueError(f"{p}: cannot read ({e.strerror})") from None
    try:
        rep = inspect_bytes(data, trust)
    except ValueError as e:
        raise ValueError(f"{p}: {e}") from None
    return {"file": str(p), **rep}


def render(rep: dict) -> str:
    lines = [f"{rep['file']}: {rep['format']} {rep['size'][0]}×{rep['size'][1]}"]
    c2 = rep["c2pa"]
    if c2 is None:
        lines.append("  C2PA manifest: none")
    else:
        src = (c2["digital_source_type"] or "?").rsplit("/", 1)[-1]
        trust = "trusted" if c2["state"] == "Trusted" else "signer untrusted (self-signed?)"
        state = f"valid, {trust}" if c2["valid"] else f"INVALID: {', '.join(c2['failures'])}"
        who = (c2["signer"] or {}).get("issuer", "?")
        lines.append(f"  C2PA manifest: {state}; digitalSourceType {src}; signed by {who}")
        if c2["assertion"]:
            a = c2["assertion"]
            lines.append(
                f"    mynah: {a.get('kind')} by {a.get('model')} at {a.get('time')} (mynah {a.get('mynah_version')})"
            )
    x = rep["xmp"]
    lines.append(
        "  XMP: none"
        if x is None
        else f"  XMP: digitalSourceType {(x['digital_source_type'] or '?').rsplit('/', 1)[-1]}, {x['creator_tool']}"
    )
    px = rep["pixel_watermark"]
    if not px["checked"]:
        lines.append("  pixel watermark: not checked (smaller than 256×256, too small to carry one)")
    else:
        word = "found" if px["found"] else "not found"
        lines.append(
            f"  pixel watermark: {word} ({px['bits_matched']}/{px['bits']} bits, needs {px['threshold']})"
        )
    verdict = "AI-made: " + ", ".join(rep["found"]) if rep["ai_made"] else "no sign that it is AI-made"
    lines.append(f"  => {verdict}")
    return "\n".join(lines)
