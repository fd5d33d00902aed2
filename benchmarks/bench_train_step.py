"""A whole training step (forward, backward, AdamW) of the faithful MOL at B = 2 on the CPU:
molkit's batched model vs the released computation (a per-pair loop with the naive CCC loop).

Same weights, same batch, one run; prints medians and the ratio, counts FLOPs per part, and
writes reports/benchmarks/model_train_step.md.

``--throughput`` instead measures training steps/s, clips/s and peak memory of molkit alone at
``--batch`` (32) on ``--device``: float32, on CUDA also bf16 autocast + channels_last, and with
``--compile`` torch.compile; it projects the ``paper`` profile's whole run from them and writes
reports/benchmarks/model_train_step_gpu.md (CUDA) or model_train_step_cpu_throughput.md.

``--variants`` measures on the CPU, side by side in one run, the trainer's step today (float32)
against torch.compile, channels-last, bf16 autocast and data loading overlapped with the step
(a prefetching thread), at the ``demo`` profile's size (flow width 0.125, B = 4) and at full
width, B = 4, on the kit recipe's model and loss; blocks of ``--block`` steps of each variant
alternate (A B C ... A B C ...) so that all see the same machine load; medians per step and the
median of the per-round ratios to float32, and each variant's loss beside float32's at the same
steps (same initial weights, same batches, same dropout seeds). With ``--cache`` (a prepared
composite twin) the batches are the kit's training batches read from it (the data loading
variant needs it); without, one fixed random batch. Writes
reports/benchmarks/model_train_step_cpu.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from bench_ccc import interleaved_medians, write_report  # noqa: E402
from released_reference import ReleasedMOL  # noqa: E402

from molkit.data import composite_list  # noqa: E402
from molkit.gpu import autocast, channels_last, maybe_compile, pick_device  # noqa: E402
from molkit.losses import LossWeights, joint_loss  # noqa: E402
from molkit.model import MOL, MOLConfig, MOLOutput, from_released_state_dict, model_input  # noqa: E402
from molkit.profiles import get_profile  # noqa: E402
from molkit.run.ablations import ABLATIONS  # noqa: E402
from molkit.run.configs import loso_config_from_profile  # noqa: E402

B, T = 2, 8


def make_batch(
    b: int = B, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(b, 1, T, 128, 128, generator=g)
    batch = {
        "label": torch.arange(b) % 5,
        "flow": torch.randn(b, T - 1, 2, 128, 128, generator=g),
        "landmarks": 30 + 70 * torch.rand(b, T, 68, 2, generator=g),
    }
    return x.to(device), {k: v.to(device) for k, v in batch.items()}


def released_output(model: ReleasedMOL, x: torch.Tensor) -> MOLOutput:
    logits, flows, landmarks = model(x.permute(0, 1, 3, 4, 2))  # released layout: time last
    return MOLOutput(logits, torch.stack(flows, 1), torch.stack(landmarks, 1).reshape(B, T - 1, 68, 2))


def training_step(model: torch.nn.Module, forward, x: torch.Tensor, batch: dict):
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-3)

    def step() -> None:
        optimiser.zero_grad()
        joint_loss(forward(model, x), batch, LossWeights())["total"].backward()
        optimiser.step()

    return step


def flops_by_part(model: MOL, x: torch.Tensor, batch: dict) -> tuple[float, dict[str, float]]:
    """FLOPs of one forward + backward, and of the forward per top-level part of the model
    (the counter's module attribution is only reliable in the forward)."""
    with FlopCounterMode(display=False) as step:
        joint_loss(model(x), batch, LossWeights())["total"].backward()
    model.zero_grad()
    with torch.no_grad(), FlopCounterMode(display=False) as forward:
        model(x)
    counts = forward.get_flop_counts()
    parts = {
        name: sum(next((v for k, v in counts.items() if k.endswith(f".{name}")), {}).values())
        for name in ("stem", "block_a", "block_b", "flow_head", "landmark_head", "mer_head")
    }
    return step.get_total_flops(), {"forward": forward.get_total_flops(), **parts}


def paper_runs() -> dict[str, int]:
    """Training steps of the ``paper`` profile's whole run, per part: MOL on every fold of the
    composite twin under the kit and the released recipe (notebook 02) and the ablations'
    variants x seeds on every fold (notebook 03); the baselines' few minutes are left out."""
    profile = get_profile("paper")
    folds = composite_list().groupby(["dataset", "subject"]).ngroups  # 68 LOSO folds
    variants = len(profile.ablation_variants or ABLATIONS)
    seeds, ablation_folds = len(profile.ablation_seeds), profile.ablation_folds or folds
    mol = f"MOL, kit and released recipes ({folds} folds x {profile.steps} steps each)"
    ablations = (
        f"ablations ({variants} variants x {seeds} seeds x {ablation_folds} folds x "
        f"{profile.ablation_steps} steps)"
    )
    return {
        mol: 2 * folds * profile.steps,
        ablations: variants * seeds * ablation_folds * profile.ablation_steps,
    }


def throughput(args: argparse.Namespace) -> None:
    """Steps/s, clips/s and peak memory of molkit's training step at ``args.batch``, and the
    ``paper`` profile's whole run projected from them: on CUDA every variant, on a CPU float32
    alone (``--steps`` and ``--warmup`` small: a step of batch 32 takes about a minute there)."""
    device = pick_device(args.device)
    torch.manual_seed(0)
    model = MOL(MOLConfig(flow_width=args.width)).to(device).train()
    x, batch = make_batch(args.batch, device)
    variants = [("float32", False, False)]
    if device.type == "cuda":
        variants.append(("bf16 + channels_last", True, False))
    if args.compile:
        variants.append(("bf16 + channels_last + compile", True, True))
    rows = []
    for name, bf16, compiled in variants:
        net = maybe_compile(channels_last(model) if bf16 else model, compiled)
        optimiser = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-3)

        def step() -> None:
            optimiser.zero_grad(set_to_none=True)
            with autocast(device, enabled=bf16):
                output = net(x)
            joint_loss(output, batch, LossWeights())["total"].backward()
            optimiser.step()

        for _ in range(args.warmup):  # warm-up (and compilation)
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        rate = args.steps / (time.perf_counter() - start)
        if device.type == "cuda":
            peak = torch.cuda.max_memory_allocated() / 2**30
        else:  # the process's peak resident memory (Linux: KiB)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        rows.append((name, rate, rate * args.batch, peak))
        print(f"{name:32s} {rate:7.4f} steps/s  {rate * args.batch:7.2f} clips/s  peak {peak:5.1f} GiB")
    where = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU ({platform.machine()}, {args.threads} threads)"
    )
    memory = "peak memory (GiB)" if device.type == "cuda" else "peak resident memory of the process (GiB)"
    lines = [
        "# Training throughput of molkit's MOL, and the `paper` profile's whole run projected",
        "",
        f"`{' '.join(sys.argv)}` on {where}, torch {torch.__version__}: flow width {args.width}, "
        f"B = {args.batch}, T = {T}, forward + joint loss + backward + AdamW, {args.steps} timed steps "
        f"after {args.warmup} warm-up step{'s' if args.warmup != 1 else ''}.",
        "",
        f"| variant | steps/s | clips/s | {memory} |",
        "|---|---:|---:|---:|",
        *(f"| {n} | {r:.4f} | {c:.2f} | {p:.1f} |" for n, r, c, p in rows),
        "",
    ]
    paper = get_profile("paper")
    fastest = max(rate for _, rate, _, _ in rows)
    if (args.batch, args.width) != (paper.batch_size, paper.flow_width):
        lines.append(
            f"No projection: the `paper` profile trains at B = {paper.batch_size}, width {paper.flow_width}."
        )
    else:
        runs = paper_runs()
        total = sum(runs.values())
        lines += [
            f"The `paper` profile's training steps, projected at the fastest variant's {fastest:.4f} "
            "steps/s (one process; evaluation, preparation and the baselines left out):",
            "",
            "| part | steps | projected hours |",
            "|---|---:|---:|",
            *(f"| {part} | {steps} | {steps / fastest / 3600:,.1f} |" for part, steps in runs.items()),
            f"| **whole run** | {total} | **{total / fastest / 3600:,.1f}** |",
        ]
    write_report(
        "model_train_step_gpu" if device.type == "cuda" else "model_train_step_cpu_throughput", lines
    )


# the trainer's step today, and each candidate alone (``--variants``); sizes: (flow width, batch)
VARIANTS: dict[str, dict[str, bool]] = {
    "float32 (today)": {},
    "channels_last": {"channels_last": True},
    "bf16 autocast": {"bf16": True},
    "torch.compile": {"compile": True},
    "prefetch (loading overlapped)": {"prefetch": True},
}
SIZES = {"demo": (0.125, 4), "full": (1.0, 4)}
SLOW = 3  # a variant this many times slower than float32 at the first size stops there
SIZE_NOTE = f"more than {SLOW}x slower than float32 there"
FOLD = "casme2/sub17"  # the training clips of this fold (every other subject) feed the batches


class StepBatches:
    """The batch of each training step: the kit's balanced batches of ``FOLD``'s training clips
    read from ``cache`` (as the trainer reads them: one item at a time, then collated), or, without
    a cache, one fixed random batch for every step."""

    def __init__(self, cache: Path | None, config, batch: int):
        from molkit.sampling import batch_indices
        from molkit.train.evaluation import labels_of
        from molkit.train.loso import all_subjects, chosen_folds, open_clips

        self.batch, self.seed, self.model_config = batch, config.train.seed, config.model
        if cache is None:
            self.fixed = make_batch(batch)
            self.fixed[1]["label"] = self.fixed[1]["label"] % config.model.n_classes
            return
        self.fixed = None
        (fold,) = chosen_folds(config.replace(fold_subjects=(FOLD,)), all_subjects(config, cache))
        self.clips = open_clips(config, cache, fold.train_subjects, True)
        self.labels = labels_of(self.clips)
        self.indices = lambda step: batch_indices(self.labels, batch, step, self.seed, balanced=True)

    def __call__(self, step: int) -> tuple[torch.Tensor, dict]:
        if self.fixed is not None:
            return self.fixed
        from torch.utils.data import default_collate

        items = [self.clips[int(i)] for i in self.indices(step)]
        batch = default_collate(
            [{k: item[k] for k in ("clip", "flow", "landmarks", "label")} for item in items]
        )
        return model_input(batch, self.model_config), batch


def prefetched(batches, depth: int = 1):
    """``batches`` (an iterator) read ahead by a thread, ``depth`` batches at most."""
    import queue
    import threading

    ready: queue.Queue = queue.Queue(maxsize=depth)
    end = object()

    def fill() -> None:
        for batch in batches:
            ready.put(batch)
        ready.put(end)

    threading.Thread(target=fill, daemon=True).start()
    while (batch := ready.get()) is not end:
        yield batch


class Variant:
    """One way of running the trainer's step on its own copy of the initial weights."""

    def __init__(self, name: str, model: MOL, config, batches: StepBatches, **switches: bool):
        import copy

        self.name, self.config, self.batches = name, config, batches
        self.switches = switches
        self.model = copy.deepcopy(model).train()
        if switches.get("channels_last"):
            channels_last(self.model)
        self.net = self.model
        if switches.get("compile"):
            import torch._inductor.config as inductor

            inductor.fallback_random = True  # dropout draws eager's masks: losses comparable
            self.net = torch.compile(self.model)
        self.optimiser = torch.optim.AdamW(
            self.model.parameters(), lr=config.train.lr, weight_decay=config.train.weight_decay
        )
        self.losses: dict[int, float] = {}
        self.times: list[float] = []

    def block(self, start: int, steps: int) -> float:
        """Steps ``start .. start + steps - 1`` as the trainer runs them (load, seed, forward,
        loss, backward, AdamW); seconds per step."""
        tic = time.perf_counter()
        loads = (self.batches(k) for k in range(start, start + steps))
        if self.switches.get("prefetch"):
            loads = prefetched(loads)
        for step, (x, batch) in zip(range(start, start + steps), loads):
            torch.manual_seed(self.config.train.seed * 1_000_003 + step)
            if self.switches.get("bf16"):
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    output = self.net(x)
                output = MOLOutput(*(None if v is None else v.float() for v in vars(output).values()))
            else:
                output = self.net(x)
            losses = joint_loss(output, batch, self.config.train.loss)
            self.optimiser.zero_grad(set_to_none=True)
            losses["total"].backward()
            self.optimiser.step()
            self.losses[step] = losses["total"].item()
        return (time.perf_counter() - tic) / steps


def variant_rows(args: argparse.Namespace, size: str, which: list[str]) -> tuple[list[dict], list[dict]]:
    """Every variant at ``size``, interleaved; one row each, and the warm-up seconds."""
    width, batch = SIZES[size]
    config = loso_config_from_profile("demo", classes="composite")
    config = config.replace(model=config.model.replace(flow_width=width))
    batches = StepBatches(args.cache, config, batch)
    loads = []
    for k in range(8):  # reading a batch alone, as the trainer does before each step
        tic = time.perf_counter()
        batches(k)
        loads.append(time.perf_counter() - tic)
    torch.manual_seed(0)
    model = MOL(config.model).train()
    names = ["float32 (today)", *(n for n in which if n != "float32 (today)")]  # the reference first
    variants = [Variant(name, model, config, batches, **VARIANTS[name]) for name in names]
    del model
    warm = {}
    for variant in variants:  # warm-up (compilation): the same first steps for every variant
        tic = time.perf_counter()
        variant.block(0, args.warmup)
        warm[variant.name] = time.perf_counter() - tic
        print(f"{size}: {variant.name} warm-up {warm[variant.name]:.1f} s", flush=True)
    step = args.warmup
    for r in range(args.rounds):
        for variant in variants if r % 2 == 0 else variants[::-1]:  # A B C .. C B A: no fixed order
            variant.times.append(variant.block(step, args.block))
        step += args.block
        print(
            f"{size} round {r + 1}: " + ", ".join(f"{v.name} {v.times[-1]:.2f}" for v in variants), flush=True
        )
    plain = variants[0]
    profiled = Variant("profile", plain.model, config, batches)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        profiled.block(0, 2)
    events = profiler.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    top = sorted(events, key=lambda e: -e.self_cpu_time_total)[:4]
    where = ", ".join(f"{e.key} {e.self_cpu_time_total / total:.0%}" for e in top)
    del profiled
    rows = []
    for variant in variants:
        ratios = [p / t for p, t in zip(plain.times, variant.times)]
        steps = sorted(plain.losses)
        relative = [abs(variant.losses[k] - plain.losses[k]) / abs(plain.losses[k]) for k in steps]
        rows.append(
            {
                "size": size,
                "width": width,
                "batch": batch,
                "variant": variant.name,
                "median_s": statistics.median(variant.times),
                "speedup": statistics.median(ratios),
                "speedup_min": min(ratios),
                "speedup_max": max(ratios),
                "warmup_s": warm[variant.name],
                "load_s": statistics.median(loads),
                "profile": where,
                "loss_step0": variant.losses[0],
                "loss_diff_step0": relative[0],
                "loss_diff_max": max(relative),
                "loss_last": variant.losses[steps[-1]],
                "steps_compared": len(steps),
            }
        )
    curves = [
        {"size": size, "variant": v.name, "step": k, "loss": loss}
        for v in variants
        for k, loss in v.losses.items()
    ]
    return rows, curves


def command_line() -> str:
    """This command as run, the values of ``--note`` (the record's own lines) left out."""
    words, skipping = [Path(sys.argv[0]).resolve().relative_to(ROOT).as_posix()], False
    for word in sys.argv[1:]:
        skipping = (skipping and not word.startswith("--")) or word == "--note"
        if not skipping or word == "--note":
            words.append(word if word != "--note" else "--note ...")
    return " ".join(f"'{w}'" if " " in w and w != "--note ..." else w for w in words)


def variants_report(args: argparse.Namespace) -> None:
    """``--variants``: the side-by-side table, written to model_train_step_cpu.md."""
    import pandas as pd

    rows, curves, skipped, which = [], [], [], list(args.which)
    for size in args.sizes:
        found, losses = variant_rows(args, size, which)
        rows, curves = rows + found, curves + losses
        # a variant several times slower at the first size is not run at the larger ones
        slow = [r["variant"] for r in found if r["speedup"] < 1 / SLOW]
        skipped += [f"{name}: not run past {size} ({SIZE_NOTE})" for name in slow]
        which = [name for name in which if name not in slow]
    table = pd.DataFrame(rows)
    for name, frame in ((args.record, table), (f"{args.record}_losses", pd.DataFrame(curves))):
        csv = ROOT / "reports" / "benchmarks" / f"{name}.csv"
        frame.to_csv(csv.with_suffix(".csv.tmp"), index=False)
        os.replace(csv.with_suffix(".csv.tmp"), csv)
    load = os.getloadavg()
    data = (
        f"the kit's training batches of fold {FOLD}'s training clips read from `{args.cache}` (balanced "
        "sampler, training crops), as the trainer reads them"
        if args.cache
        else "one fixed random batch (no cache given: the loading variant measures nothing)"
    )
    lines = [
        "# The CPU training step: today's float32 step beside torch.compile, channels-last, bf16 "
        "autocast and overlapped loading",
        "",
        f"`nice -n 15 python {command_line()}` "
        f"on {platform.machine()} ({platform.processor() or 'CPU'}, {os.cpu_count()} cores, "
        f"{args.threads} torch threads, instruction set {torch.backends.cpu.get_cpu_capability()}), "
        f"torch {torch.__version__}, {time.strftime('%Y-%m-%d %H:%M')}. The kit recipe's model "
        "(composite classes) and joint loss, AdamW; per step as the trainer runs it: the batch read, "
        "the step's dropout seed, forward, loss, backward, AdamW step. Batches: " + data + ".",
        "",
        f"Every variant starts from the same weights and runs the same steps on the same batches: "
        f"{args.warmup} warm-up step(s) (compilation included, its seconds in the table), then "
        f"{args.rounds} rounds, each one block of {args.block} steps of every variant in turn (the "
        "order reversed every other round). Seconds: median per step over the rounds; speed-up: "
        "the median (and range) of the per-round ratios of float32's time to the variant's, so "
        "machine load that changes between rounds cancels. Load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) on {os.cpu_count()} cores"
        + (
            ": another engineer's heavy jobs shared the cores, so absolute seconds are inflated and "
            "noisy; the ratios are the result."
            if load[1] > (os.cpu_count() or 1) * 0.75
            else "."
        ),
        "",
        "Loss: the variant's total loss beside float32's at the same step; `step 0` is the same "
        "weights and batch (only the arithmetic differs), `max over steps` the largest relative "
        "difference along the run (it grows as the weights drift apart). torch.compile runs with "
        "`fallback_random` so its dropout masks are eager's.",
        "",
        "| size | variant | s / step | speed-up vs float32 [range] | warm-up s | loss diff step 0 "
        "| loss diff max over steps |",
        "|---|---|---:|---|---:|---:|---:|",
        *(
            f"| {r.size} (width {r.width:g}, B {r.batch}) | {r.variant} | {r.median_s:.3f} | "
            f"{r.speedup:.2f}x [{r.speedup_min:.2f}, {r.speedup_max:.2f}] | {r.warmup_s:.0f} | "
            f"{r.loss_diff_step0:.1e} | {r.loss_diff_max:.1e} |"
            for r in table.itertuples()
        ),
        "",
        *(
            f"- {r.size}: reading a batch (as the trainer does, before its step) takes {r.load_s * 1e3:.0f} ms, "
            f"{r.load_s / r.median_s:.1%} of float32's step: the most that overlapping it could save. "
            f"float32's step spends its CPU time in (torch.profiler, 2 steps, self time): {r.profile}."
            for r in table[table.variant == "float32 (today)"].itertuples()
        ),
        *(f"- {line}" for line in skipped),
        "",
    ]
    write_report(args.record, lines + args.note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--throughput", action="store_true", help="molkit alone, steps/s at --batch")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--variants", action="store_true", help="today's step beside the candidates")
    parser.add_argument("--which", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--cache", type=Path, help="a prepared composite twin (the batches)")
    parser.add_argument("--block", type=int, default=3, help="steps of a variant in a row (--variants)")
    parser.add_argument("--note", nargs="*", default=[], help="lines appended to the record")
    parser.add_argument("--record", default="model_train_step_cpu", help="--variants: the record's name")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.variants:
        variants_report(args)
        return
    if args.throughput:
        throughput(args)
        return
    torch.manual_seed(0)
    released = ReleasedMOL().train()
    model = from_released_state_dict(released.state_dict()).train()
    no_flow = MOL(model.config.replace(flow=False)).train()
    no_flow.load_state_dict(model.state_dict(), strict=False)
    x, batch = make_batch()

    step_flops, flops = flops_by_part(model, x, batch)
    fast = training_step(model, lambda m, v: m(v), x, batch)
    slow = training_step(released, released_output, x, batch)
    t_released, t_molkit, ratio = interleaved_medians(slow, fast, args.rounds, fast_repeats=1)
    t_with_flow, t_no_flow, _ = interleaved_medians(
        fast, training_step(no_flow, lambda m, v: m(v), x, batch), args.rounds + 2, fast_repeats=1
    )
    flow_share = 1 - t_no_flow / t_with_flow

    tflop = step_flops / 1e12
    print(
        f"released per-pair step {t_released:7.2f} s   molkit step {t_molkit:6.2f} s   "
        f"speed-up (median of per-round ratios) {ratio:4.1f}x"
    )
    print(
        f"FLOPs per step: {tflop:.3f} TFLOP ({tflop / B:.3f} per clip); flow head "
        f"{flops['flow_head'] / flops['forward']:.1%} of forward FLOPs; molkit step with / without the "
        f"flow head {t_with_flow:.2f} / {t_no_flow:.2f} s, so the flow head takes ~{flow_share:.0%} of the time"
    )
    lines = [
        "# Training step at B = 2 on the CPU: molkit vs the released computation",
        "",
        f'`{Path(__file__).relative_to(ROOT)}`; faithful model (CCC "released", flow width 1.0, '
        f"44,103,583 parameters), B = {B}, T = {T}, forward + joint loss + backward + AdamW step.",
        f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads), torch {torch.__version__}; "
        f"`{' '.join(sys.argv)}`.",
        "The released computation is tests/released_reference.py: the released frame-pair loop with",
        "the per-channel, per-neighbour CCC loop (its flow, landmark and MER heads are molkit's, and its",
        "correlation is molkit's batched one: the released code needs a compiled extension for it).",
        f"After one warm-up each, {args.rounds} rounds alternate one step of each; medians, and the median",
        "of the per-round ratios. The 2-core machine was shared with other engineers' jobs: times are noisy.",
        "On an oversubscribed machine use `--threads 1`: with 2 threads every one of the released loop's",
        "~10^5 small ops pays an OpenMP synchronisation, which inflates its time (and the ratio) many-fold.",
        "",
        "| | seconds per step |",
        "|---|---:|",
        f"| released computation (per pair, naive CCC) | {t_released:.2f} |",
        f"| molkit | {t_molkit:.2f} |",
        f"| **speed-up** | **{ratio:.1f}x** |",
        "",
        "## Where the work is (molkit step, FLOPs counted by `torch.utils.flop_counter`)",
        "",
        f"{tflop:.3f} TFLOP per step, forward + backward ({tflop / B:.3f} per clip); the forward alone:",
        "",
        "| part | forward GFLOP | share |",
        "|---|---:|---:|",
        *(
            f"| {name} | {value / 1e9:.2f} | {value / flops['forward']:.1%} |"
            for name, value in flops.items()
            if name != "forward"
        ),
        "",
        f"Timed in {args.rounds + 2} alternating rounds, the molkit step takes {t_with_flow:.2f} s with the flow head",
        f"and {t_no_flow:.2f} s without it (`flow=False`): the flow head takes about {flow_share:.0%} of the time.",
        "The batched CCC removes the released loop's Python overhead; what remains is the flow head's",
        "convolutions, which molkit runs as the released code does (one batch over all pairs).",
        f"The flow head's forward is {flops['flow_head'] / 1e9 / (2 * B * (T - 1)):.2f} GMAC per pair and clip; the spec's",
        "estimate (4.9 GMAC per pair, ~0.2 TFLOP per clip per step) is about twice what is counted here,",
        "while the parameter count equals the released model's exactly.",
    ]
    write_report("model_train_step", lines)


if __name__ == "__main__":
    main()
