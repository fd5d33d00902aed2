"""Can MOL's classifier fit a handful of clips? A diagnostic for the demo's chance-level MER.

Takes ``--per-class`` test clips of each class from a prepared cache and trains MOL (width
``--flow-width``, MER loss only unless ``--joint``) on that one fixed batch, full batch, for
``--steps`` steps at each learning rate, with the MER head's dropout as released (0.5) and off.
Prints, at initialisation, how much the logits vary between clips against how much they vary
between classes' logits, then the loss and the batch accuracy (eval mode) along the way.

    .venv/bin/python benchmarks/bench_mer_fit.py --cache DIR [--steps 60 --lrs 1e-4 1e-3]

Writes ``reports/benchmarks/mer_fit.md``.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import torch

from molkit.data import ClipDataset
from molkit.data.cache import atomic_write_text
from molkit.losses import LossWeights, joint_loss
from molkit.model import MOL, MOLConfig

REPORT = Path(__file__).resolve().parents[1] / "reports" / "benchmarks" / "mer_fit.md"


def fixed_batch(cache: Path, per_class: int) -> dict[str, torch.Tensor]:
    """``per_class`` test clips of every class, from different videos where there are enough."""
    dataset = ClipDataset(cache, train=False)
    table = dataset.table.drop_duplicates("video_id")
    picks = [i for c in sorted(table.label.unique()) for i in table.index[table.label == c][:per_class]]
    items = [dataset[int(i)] for i in picks]
    return {k: torch.stack([item[k] for item in items]) for k in ("clip", "flow", "landmarks", "label")}


def fit(
    batch: dict[str, torch.Tensor],
    model_config: MOLConfig,
    lr: float,
    dropout: float,
    steps: int,
    joint: bool,
) -> list[tuple[int, float, float]]:
    """(step, training loss, eval accuracy on the batch) every tenth of the run."""
    torch.manual_seed(0)
    model = MOL(model_config)
    model.mer_head.dropout.p = dropout
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-3)
    weights = LossWeights() if joint else LossWeights(flow=0.0, landmarks=0.0)
    trace = []
    for step in range(1, steps + 1):
        model.train()
        losses = joint_loss(model(batch["clip"]), batch, weights, None)
        optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        optimizer.step()
        if step % max(1, steps // 10) == 0:
            model.eval()
            with torch.no_grad():
                accuracy = (model(batch["clip"]).logits.argmax(1) == batch["label"]).float().mean()
            trace.append((step, losses["mer"].item(), accuracy.item()))
    return trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--per-class", type=int, default=2)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--lrs", type=float, nargs="+", default=[1e-4, 1e-3])
    parser.add_argument("--flow-width", type=float, default=0.125)
    parser.add_argument("--joint", action="store_true", help="train with the flow and landmark losses too")
    args = parser.parse_args()
    batch = fixed_batch(args.cache, args.per_class)
    n_classes = int(batch["label"].max()) + 1
    config = MOLConfig(n_classes=n_classes, flow_width=args.flow_width, flow=args.joint, landmarks=args.joint)
    torch.manual_seed(0)
    with torch.no_grad():
        logits = MOL(config).eval()(batch["clip"]).logits
    between_clips = logits.std(0).mean().item()
    between_classes = logits.mean(0).std().item()
    lines = [
        "# Fitting a fixed batch of clips with MOL's classifier",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_mer_fit.py --cache DIR --per-class "
        f"{args.per_class} --steps {args.steps} --lrs {' '.join(map(str, args.lrs))} --flow-width "
        f"{args.flow_width}{' --joint' if args.joint else ''}`; {len(batch['label'])} test clips "
        f"({args.per_class} per class), {'joint loss' if args.joint else 'MER loss only'}, AdamW "
        f"(weight decay 1e-3), full batch; CPU {platform.machine()}, torch {torch.__version__}.",
        "",
        f"At initialisation (eval mode): logits vary by {between_clips:.4f} between clips (std "
        f"over clips, mean over classes) and by {between_classes:.4f} between classes (std of the "
        "mean logits): the untrained network is almost blind to its input.",
        "",
        "| lr | MER dropout | cross-entropy (start -> end) | batch accuracy along the run |",
        "|---:|---:|---|---|",
    ]
    for lr in args.lrs:
        for dropout in (0.5, 0.0):
            trace = fit(batch, config, lr, dropout, args.steps, args.joint)
            accuracy = " ".join(f"{a:.2f}" for _, _, a in trace)
            lines.append(f"| {lr:g} | {dropout:g} | {trace[0][1]:.3f} -> {trace[-1][1]:.3f} | {accuracy} |")
            print(lines[-1], flush=True)
    lines += [
        "",
        f"Chance accuracy {1 / n_classes:.2f}; cross-entropy of a uniform guess "
        f"{torch.tensor(float(n_classes)).log():.3f}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    atomic_write_text(REPORT, text)


if __name__ == "__main__":
    main()
