"""New footage, one grey frame at a time: a folder of images (numeric order) or a video file,
never held whole in memory. A frame that fails to decode and a video that ends before the frame
count its header announces are recorded, not fatal: the rest is read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from molkit.data.problems import format_runs
from molkit.data.readers.common import IMAGE_SUFFIXES, list_frames


class FrameStream:
    """Iterate ``(index, frame)``: 0-based index, grey uint8 frame or None (failed to decode).
    ``fps``: the video's frame rate (None for a folder), ``expected``: the frames announced
    (a folder's image count, a video header's frame count; None when unknown); after a pass,
    ``read`` frames were read and ``unreadable`` lists the 1-based numbers of those that failed."""

    def __init__(self, source: str | Path):
        self.source = Path(source)
        self.read, self.unreadable = 0, []
        self._paths: list[Path] | None = None
        if self.source.is_dir():
            self._paths = list_frames(self.source)
            if not self._paths:
                raise ValueError(f"{self.source}: no image files ({sorted(IMAGE_SUFFIXES)}) in this folder")
            self.fps, self.expected = None, len(self._paths)
            return
        if not self.source.is_file():
            raise FileNotFoundError(f"{self.source}: no such video file or frame folder")
        # FFmpeg's own log lines ("moov atom not found") would come before molkit's one-line
        # error; read when the first video is opened, so a user's own setting wins
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        capture = cv2.VideoCapture(str(self.source))
        opened = capture.isOpened()
        fps, count = capture.get(cv2.CAP_PROP_FPS), capture.get(cv2.CAP_PROP_FRAME_COUNT)
        capture.release()
        if not opened:
            raise ValueError(f"{self.source}: not a video (OpenCV reads no frame from it)")
        self.fps = float(fps) if fps and fps > 0 else None
        self.expected = int(count) if count and count > 0 else None

    def frame_name(self, index: int) -> str:
        """Where frame ``index`` (0-based) comes from: its file, or the video and its number."""
        return str(self._paths[index]) if self._paths is not None else f"{self.source} frame {index + 1}"

    def __iter__(self) -> Iterator[tuple[int, np.ndarray | None]]:
        self.read, self.unreadable = 0, []
        frames = self._images() if self._paths is not None else self._video()
        for frame in frames:
            self.read += 1
            if frame is None:
                self.unreadable.append(self.read)
            yield self.read - 1, frame
        if self._paths is None and not self.read:
            raise ValueError(f"{self.source}: not a video (OpenCV reads no frame from it)")

    def _images(self) -> Iterator[np.ndarray | None]:
        for path in self._paths:
            yield cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)

    def _video(self) -> Iterator[np.ndarray | None]:
        capture = cv2.VideoCapture(str(self.source))
        try:
            while capture.grab():
                ok, frame = capture.retrieve()
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if ok and frame is not None else None
        finally:
            capture.release()

    def problems(self) -> list[str]:
        """What went wrong in the last pass, one line each (empty: nothing)."""
        found = []
        if self.unreadable:
            found.append(
                f"{len(self.unreadable)} frames fail to decode and are skipped: frames "
                f"{format_runs(self.unreadable)}"
            )
        if self.expected is not None and self.read < self.expected:
            found.append(
                f"the video ends early: {self.read} frames read of the {self.expected} its header "
                "announces; the frames read are predicted"
            )
        return found


def read_frames(source: str | Path) -> list[np.ndarray]:
    """Every grey frame of a short folder of images or video, in memory (a trimmed sample);
    a frame that fails to decode is an error naming it."""
    stream = FrameStream(source)
    frames = []
    for index, frame in stream:
        if frame is None:
            raise ValueError(f"{stream.frame_name(index)}: cannot be read as an image")
        frames.append(frame)
    return frames
