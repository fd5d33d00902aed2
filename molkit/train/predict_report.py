"""The page ``molkit predict --report PATH.html`` writes: what was predicted along a recording and
what the model saw, for a person to look at. One standalone HTML file (figures embedded as PNG):
how the windows were made and calibrated, the timeline (where dlib found a face, each window's
class probabilities, windows outside the training range shaded), the most confident windows, the
flags per statistic, the aligned frames of the shown window with dlib's and the predicted
landmarks, and the predicted flow beside TV-L1 on the same frames (colour wheel)."""

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
from molkit.plots import plot_clip_landmarks, plot_flows
from molkit.train.input_range import STATISTICS
from molkit.train.timeline import OUTSIDE, Timeline

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


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def plot_timeline(timeline: Timeline) -> Figure:
    """Top: where dlib found a face, on the frames it looked at. Bottom: each window's class
    probabilities at its middle, in seconds; windows outside the training range shaded."""
    fig, (faces, probs) = plt.subplots(2, 1, figsize=(10, 4.2), height_ratios=[1, 3], sharex=True)
    fps = timeline.plan.fps
    faces.fill_between(
        (timeline.checked - 1) / fps, timeline.face_found.astype(float), step="mid", color="#4c956c"
    )
    faces.set_yticks([0, 1], ["no face", "face"])
    middle = (timeline.first - 1 + timeline.plan.frames / 2) / fps
    for c, name in enumerate(timeline.classes):
        probs.plot(middle, timeline.probabilities[:, c], marker="o", ms=3, label=name)
    half = timeline.plan.frames / 2 / fps
    for w in np.flatnonzero([bool(o) for o in timeline.outside]):
        probs.axvspan(middle[w] - half / 2, middle[w] + half / 2, color="#ccc", lw=0)
    probs.set_ylim(0, 1)
    probs.set_xlabel(f"time (s); one window every {timeline.plan.hop / fps:.3f} s; grey: {OUTSIDE}")
    probs.set_ylabel("probability")
    probs.legend(fontsize=7, ncol=len(timeline.classes), loc="upper center")
    fig.tight_layout()
    return fig


def window_figures(timeline: Timeline) -> tuple[Figure, Figure | None]:
    """The shown window: its test crops with dlib's landmarks (and the model's, frames 2..8), and
    the predicted flow beside TV-L1 on its pair with the most TV-L1 motion (None without a flow
    head). Every frame of a window shows a face, so every dlib point drawn is dlib's own."""
    w = timeline.shown
    y, x = clips.TEST_OFFSET
    frames = timeline.frames[:, y : y + clips.CROP_SIZE, x : x + clips.CROP_SIZE]
    points = {"dlib": timeline.landmarks - np.array([x, y], np.float32)}
    if timeline.predicted_landmarks is not None:
        points["predicted"] = np.concatenate(
            [np.full((1, 68, 2), np.nan, np.float32), timeline.predicted_landmarks]
        )
    numbers = [timeline.first[w] + k * timeline.plan.gap for k in range(clips.CLIP_LENGTH)]
    title = f"window {w + 1}: frames {', '.join(map(str, numbers))}"
    marks = plot_clip_landmarks(frames, points, indices=(1, 4, 7), title=title)
    for ax in marks.axes:  # points off the crop would stretch the panels
        ax.set_xlim(-0.5, clips.CROP_SIZE - 0.5)
        ax.set_ylim(clips.CROP_SIZE - 0.5, -0.5)
    if timeline.flow is None:
        return marks, None
    flows = [
        tvl1(a, b)[y : y + clips.CROP_SIZE, x : x + clips.CROP_SIZE]
        for a, b in zip(timeline.frames[:-1], timeline.frames[1:])
    ]
    pair = int(np.argmax([np.hypot(f[..., 0], f[..., 1]).mean() for f in flows]))
    flow = plot_flows(
        {
            f"predicted, frame {numbers[pair]} -> {numbers[pair + 1]}": timeline.flow[pair].transpose(
                1, 2, 0
            ),
            "TV-L1": flows[pair],
        },
        frame=frames[pair],
    )
    return marks, flow


def _flag_rows(timeline: Timeline, ranges: dict | None) -> list[list[str]]:
    flagged = timeline.flagged()
    rows = []
    for i, name in enumerate(STATISTICS):
        values = timeline.statistics[:, i]
        span = (
            f"{ranges[name]['low']:.3g} to {ranges[name]['high']:.3g}" if ranges and name in ranges else "-"
        )
        rows.append([name, str(flagged.get(name, 0)), span, f"{values.min():.3g} to {values.max():.3g}"])
    return rows


def render_report(
    *,
    source: str | Path,
    checkpoint: str | Path,
    notes: list[str],
    timeline: Timeline,
    seconds: float,
    ranges: dict | None = None,
) -> str:
    """The page as HTML text (``ranges``: the checkpoint's training-input range, for the flags)."""
    missing = timeline.checked[~timeline.face_found]
    flagged = sum(bool(o) for o in timeline.outside)
    summary = [
        ["input", str(source)],
        ["checkpoint", str(checkpoint)],
        ["frames", f"{timeline.n_frames} at {timeline.plan.fps:g} fps"],
        ["windows", f"{len(timeline.first)}, {flagged} {OUTSIDE}"],
        [
            "frames without a face",
            f"{len(missing)}: frames {format_runs(missing)}" if len(missing) else "none",
        ],
        *(["how", note] for note in notes),
        ["time", f"{seconds:.1f} s"],
    ]
    if timeline.summary is not None:
        summary.insert(
            4,
            [
                "whole recording (a trimmed sample)",
                ", ".join(f"{n} {p:.3f}" for n, p in zip(timeline.classes, timeline.summary)),
            ],
        )
    top = [
        [f"{timeline.first[w]}-{timeline.last[w]}", f"{timeline.seconds[w]:.2f}", timeline.answer(w)]
        for w in timeline.top_windows()
    ] or [["-", "-", f"every window is {OUTSIDE}"]]
    examples = [
        [f"{timeline.first[w]}-{timeline.last[w]}", timeline.outside[w]]
        for w in np.flatnonzero([bool(o) for o in timeline.outside])[:5]
    ]
    marks, flow = window_figures(timeline)
    flow_part = _png(flow) if flow is not None else '<p class="note">this model has no flow head</p>'
    name = escape(Path(source).name)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>molkit predict: {name}</title>
<style>{CSS}</style></head><body>
<h1>molkit predict: {name}</h1>
{_table(["", ""], summary)}
<h2>Timeline</h2>
<p class="note">Each window is one clip at the training clips' time scale; its probabilities say what
the model would answer if this window were a coded micro-expression sample. On a recording that is
not one, they are not a diagnosis.</p>
{_png(plot_timeline(timeline))}
<h2>The most confident windows inside the training range</h2>
{_table(["frames", "start (s)", "answer"], top)}
<h2>Outside the training range</h2>
<p class="note">A window whose statistic lies beyond the training clips' range gets no class.</p>
{_table(["statistic", "windows flagged", "training range", "this recording"], _flag_rows(timeline, ranges))}
{_table(["frames", "why"], examples) if examples else ""}
<h2>What the model saw: window {timeline.shown + 1}</h2>
<p class="note">The aligned 128 px test crop, with dlib's landmarks and the model's (the model predicts
frames 2 to 8 of a window).</p>
{_png(marks)}
<h2>Predicted flow beside TV-L1</h2>
<p class="note">Colour = direction, saturation = size, on one scale (the wheel is the legend, in pixels).</p>
{flow_part}
</body></html>
"""
