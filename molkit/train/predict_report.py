"""The page ``molkit predict --report PATH.html`` writes: what was predicted for a video and what
the model saw, for a person to look at. One standalone HTML file (figures embedded as PNG):
the prediction and the frames without a face, the class probabilities of every clip along the
video, the aligned frames of the most confident clip with dlib's and the predicted landmarks, and
the predicted flow beside TV-L1 on the same frames (colour wheel)."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from molkit.data import clips
from molkit.data.problems import format_runs
from molkit.data.tvl1 import tvl1
from molkit.reports.figures import plot_clip_landmarks, plot_flows
from molkit.train.predict import Prediction, PreparedVideo

CSS = """
body { font-family: system-ui, sans-serif; max-width: 72em; margin: 1.5em auto; color: #222; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.7em; text-align: left; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; display: block; margin: 0.5em 0 1.5em; }
.note { color: #555; }
"""


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _table(rows: list[tuple[str, str]]) -> str:
    return (
        "<table>"
        + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )


def plot_along_video(video: PreparedVideo, prediction: Prediction) -> Figure:
    """Top: where dlib found a face, frame by frame. Bottom: each clip's class probabilities at
    its first frame (clip j takes frames j+1, j+1+s, ...); left-out clips are marked."""
    fig, (faces, probs) = plt.subplots(2, 1, figsize=(10, 4.2), height_ratios=[1, 3], sharex=False)
    frames = np.arange(1, len(video.face_found) + 1)
    faces.fill_between(frames, video.face_found.astype(float), step="mid", color="#4c956c")
    faces.set_yticks([0, 1], ["no face", "face"])
    faces.set_xlim(0.5, len(frames) + 0.5)
    faces.set_xlabel("frame")
    starts = prediction.clip_index + 1
    for c, name in enumerate(prediction.classes):
        probs.plot(starts, prediction.clip_probabilities[:, c], marker="o", ms=3, label=name)
    for j in prediction.clips_left_out:
        probs.axvspan(j + 0.5, j + 1.5, color="#ccc", lw=0)
    probs.set_xlim(0.5, video.stride + 0.5)
    probs.set_ylim(0, 1)
    probs.set_xlabel(f"clip (its first frame; stride {video.stride}); grey: left out, mostly without a face")
    probs.set_ylabel("probability")
    probs.legend(fontsize=7, ncol=len(prediction.classes), loc="upper center")
    fig.tight_layout()
    return fig


def clip_figures(video: PreparedVideo, prediction: Prediction) -> tuple[int, Figure, Figure | None]:
    """The most confident clip: (its index, its frames with landmarks, predicted flow beside
    TV-L1 on its pair with the most TV-L1 motion, or None without a flow head)."""
    best = int(prediction.clip_probabilities.max(1).argmax())
    j = int(prediction.clip_index[best])
    positions = clips.clip_frames(j, video.stride)
    y, x = clips.TEST_OFFSET
    frames = video.frames[positions][:, y : y + clips.CROP_SIZE, x : x + clips.CROP_SIZE]
    points = {"dlib": video.landmarks[positions] - np.array([x, y], np.float32)}
    if prediction.landmarks is not None:  # the model predicts frames 2..8
        points["predicted"] = np.concatenate(
            [np.full((1, 68, 2), np.nan, np.float32), prediction.landmarks[best]]
        )
    title = f"clip {j + 1}: frames {', '.join(str(p + 1) for p in positions)}"
    marks = plot_clip_landmarks(frames, points, indices=(1, 4, 7), title=title)
    for ax in marks.axes:  # points off the crop would stretch the panels
        ax.set_xlim(-0.5, clips.CROP_SIZE - 0.5)
        ax.set_ylim(clips.CROP_SIZE - 0.5, -0.5)
    if prediction.flow is None:
        return j, marks, None
    flows = [
        tvl1(video.frames[a], video.frames[b])[y : y + clips.CROP_SIZE, x : x + clips.CROP_SIZE]
        for a, b in zip(positions[:-1], positions[1:])
    ]
    pair = int(np.argmax([np.hypot(f[..., 0], f[..., 1]).mean() for f in flows]))
    predicted = prediction.flow[best, pair].transpose(1, 2, 0)
    flow = plot_flows(
        {
            f"predicted, frame {positions[pair] + 1} -> {positions[pair + 1] + 1}": predicted,
            "TV-L1": flows[pair],
        },
        frame=frames[pair],
    )
    return j, marks, flow


def render_report(
    *,
    source: str | Path,
    checkpoint: str | Path,
    preparation: str,
    video: PreparedVideo,
    prediction: Prediction,
    seconds: float,
) -> str:
    """The page as HTML text."""
    missing = np.flatnonzero(~video.face_found) + 1
    left_out = prediction.clips_left_out
    summary = _table(
        [
            ("input", str(source)),
            ("checkpoint", str(checkpoint)),
            (
                "predicted class",
                f"{prediction.label} ({prediction.probabilities.max():.3f}, mean-logit vote "
                f"of {len(prediction.clip_index)} clips)",
            ),
            (
                "frames",
                f"{prediction.n_frames} in the input; clips use frames 1-{len(video.face_found)} "
                f"(8 frames each, stride {video.stride})",
            ),
            (
                "frames without a face",
                f"{len(missing)}: frames {format_runs(missing)}" if len(missing) else "none",
            ),
            (
                "clips left out",
                f"{len(left_out)} of {video.stride} (mostly frames without a face): clips "
                f"{format_runs(left_out + 1)}"
                if len(left_out)
                else "none",
            ),
            ("preparation", preparation),
            ("time", f"{seconds:.1f} s"),
        ]
    )
    probabilities = (
        "<table><tr><th>class</th><th>probability</th></tr>"
        + "".join(
            f'<tr><td>{escape(name)}</td><td class="num">{p:.3f}</td></tr>'
            for name, p in zip(prediction.classes, prediction.probabilities)
        )
        + "</table>"
    )
    j, marks, flow = clip_figures(video, prediction)
    flow_part = _png(flow) if flow is not None else '<p class="note">this model has no flow head</p>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>molkit predict: {escape(Path(source).name)}</title>
<style>{CSS}</style></head><body>
<h1>molkit predict: {escape(Path(source).name)}</h1>
{summary}
<h2>Class probabilities</h2>
{probabilities}
<h2>Along the video</h2>
<p class="note">Where dlib found a face, and each clip's class probabilities.</p>
{_png(plot_along_video(video, prediction))}
<h2>What the model saw: clip {j + 1}, the most confident</h2>
<p class="note">The aligned 128 px test crop, with dlib's landmarks and the model's (the model predicts
frames 2 to 8 of a clip).</p>
{_png(marks)}
<h2>Predicted flow beside TV-L1</h2>
<p class="note">Colour = direction, saturation = size, on one scale (the wheel is the legend, in pixels).</p>
{flow_part}
</body></html>
"""
