"""Frames of a sample: the neutral face seen through the inverse motion, with illumination
flicker and sensor noise, encoded as colour JPEG."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from molkit.data.truth import Motion, pixel_grid
from molkit.synthetic.motion import FPS


@dataclasses.dataclass(frozen=True)
class Photometry:
    """Per-frame appearance nuisances: relative flicker amplitude and noise std in grey levels."""

    flicker: float = 0.01
    noise_std: float = 2.0


def flicker_gains(rng: np.random.Generator, n_frames: int, flicker: float) -> np.ndarray:
    """Per-frame brightness gains ``[T]``: a mains-like oscillation plus jitter around 1."""
    t = np.arange(n_frames) / FPS
    wave = np.sin(2 * np.pi * rng.uniform(3, 30) * t + rng.uniform(0, 2 * np.pi))
    return 1.0 + flicker * (0.7 * wave + 0.3 * rng.normal(0, 1, n_frames))


def render_frame(
    base: np.ndarray, motion: Motion, t: int, gain: float, noise_std: float, rng: np.random.Generator
) -> np.ndarray:
    """Frame ``t`` as uint8 RGB ``[H, W, 3]``: ``gain * base(phi_t^-1(x)) + noise``."""
    height, width = base.shape[:2]
    source = motion.inverse(t, pixel_grid(height, width)).reshape(height, width, 2).astype(np.float32)
    image = cv2.remap(base, source[..., 0], source[..., 1], cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    image = image * gain + rng.normal(0.0, noise_std, image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """Colour JPEG bytes of a uint8 RGB image."""
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG frame")
    return data.tobytes()
