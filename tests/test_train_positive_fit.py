"""Positive control: MOL with the kit's recipe, at the demo's flow-head width, fits a fixed batch
of 10 clips (2 per class) to accuracy 1.0. It memorises clips whatever their labels: a bug in the
model, the joint loss or the optimiser's wiring fails it (the whole path's control, which needs
the labels, crops and normalisation to agree, is ``test_train_positive_whole_path.py``)."""

from __future__ import annotations

import torch
from conftest import torch_threads

from molkit.data import ClipDataset
from molkit.losses import joint_loss
from molkit.model import MOL
from molkit.run.configs import loso_config_from_profile

FIT_STEPS = 10  # 10 of 10 from step 10 on (seed 0; 8 for seed 1; one thread, draft flows, 2026-12-01)


def test_mol_fits_a_fixed_batch_of_ten_clips(synthetic_cache):
    config = loso_config_from_profile("easy")  # the kit's recipe at the demo's flow-head width
    data = ClipDataset(synthetic_cache[0], train=False)
    videos = data.table.drop_duplicates("video_id")
    picks = [int(i) for c in range(5) for i in videos.index[videos.label == c][:2]]
    batch = {k: torch.stack([data[p][k] for p in picks]) for k in ("clip", "flow", "landmarks", "label")}
    assert sorted(batch["label"].tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    torch.manual_seed(0)
    model = MOL(config.model)
    model.landmark_head.start_at(batch["landmarks"][:, 1:].mean(dim=(0, 1)))
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.train.lr, weight_decay=config.train.weight_decay
    )
    with torch_threads(1):  # as measured (a model's last digits depend on the count)
        for _ in range(FIT_STEPS):
            model.train()
            loss = joint_loss(model(batch["clip"]), batch, config.train.loss)["total"]
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            predicted = model.eval()(batch["clip"]).logits.argmax(1)
    assert predicted.tolist() == batch["label"].tolist()
