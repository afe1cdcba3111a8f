"""The invisible watermark in a generated image's pixels, with `invisible-watermark` (the
library diffusers' SDXL pipelines mark their images with).

The mark is public, like SDXL's: a fixed 48-bit message that anyone's detector reads, so
that an image stripped of its metadata can still be recognised as made by a mynah
deployment. It is written with the library's `dwtDctSvd` method, not SDXL's `dwtDct`: in
our measurements (benchmarks/images.py) `dwtDct` is gone after one JPEG re-encode at quality
75, while `dwtDctSvd` survives it, and survives a 50% resize once the detector scales the
image back up. The library needs 256×256 pixels at least; smaller images (a 64×64 preview)
are left unmarked and say so in their provenance, as SDXL's watermarker does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# "mynah" in 40 bits, then a version byte: what every deployment writes
MESSAGE = int.from_bytes(b"mynah", "big") << 8 | 1
BITS = [int(b) for b in format(MESSAGE, "048b")]
METHOD = "dwtDctSvd"
# the strength in the U channel (the library's default is 36): 60 keeps photographs at a PSNR
# of about 36 dB and takes the mark through a 50% resize and a JPEG at q75 (44/48 bits on the
# test photograph, where 36 leaves 32)
SCALES = [0, 60, 0]
MIN_SIDE = 256
# 40 or more of 48 bits right: an unmarked image gets there with p ≈ 1e-6 (binomial(48, ½));
# a marked photograph reads 48 clean and 44 after a 50% resize and JPEG q75
THRESHOLD = 40


def can_mark(width: int, height: int) -> bool:
    return width >= MIN_SIDE and height >= MIN_SIDE


def mark(image):
    """A PIL RGB image with the mark in its pixels (the same image when it is too small)."""
    import cv2
    from imwatermark import WatermarkEncoder
    from PIL import Image

    if not can_mark(*image.size):
        return image
    enc = WatermarkEncoder()
    enc.set_watermark("bits", BITS)
    bgr = enc.encode(cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR), METHOD, scales=SCALES)
    return Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@dataclass
class PixelMark:
    found: bool
    bits_matched: int  # of 48, at the best scale tried
    scale: float  # the scale it was read at (2.0: the image had been halved)
    checked: bool = True  # False: too small to carry a mark

    def as_dict(self) -> dict:
        return {
            "found": self.found,
            "bits_matched": self.bits_matched,
            "bits": len(BITS),
            "threshold": THRESHOLD,
            "scale": self.scale,
            "checked": self.checked,
        }


def _read(image) -> int:
    import cv2
    from imwatermark import WatermarkDecoder

    dec = WatermarkDecoder("bits", len(BITS))
    got = dec.decode(cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR), METHOD, scales=SCALES)
    return int(sum(int(a) == b for a, b in zip(got, BITS)))


def detect(image) -> PixelMark:
    """Reads the mark at the image's size and at twice it (a shared image is often a
    downscaled copy); the best reading decides."""
    from PIL import Image

    best, at = -1, 1.0
    for scale in (1.0, 2.0):
        w, h = round(image.width * scale), round(image.height * scale)
        if not can_mark(w, h):
            continue
        img = image if scale == 1.0 else image.convert("RGB").resize((w, h), Image.BICUBIC)
        n = _read(img)
        if n > best:
            best, at = n, scale
        if best >= THRESHOLD:
            break
    if best < 0:
        return PixelMark(False, 0, 1.0, checked=False)
    return PixelMark(best >= THRESHOLD, best, at)
