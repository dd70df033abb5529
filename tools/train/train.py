#!/usr/bin/env python3
"""Fine-tunes YOLOX-nano on a YOLO-format container dataset and exports the agent's model.

    tools/train/train.py --data DATASET --base-model yolox_nano.onnx --out models/rvm-containers.onnx

Starts from the COCO weights of the base ONNX model (read into a PyTorch module by `yolox_onnx`), gives
the head the dataset's classes (each initialised from a related COCO class: `--init-from`), keeps the
highest-resolution layers at their COCO weights (`--freeze-stride`), and trains the rest with the YOLOX
loss (`loss.py`) on augmented samples (`dataset.py`; half of them mosaics of four photos, single photos
only in the last epochs; a share turned a quarter, as items lying in a chute: `--quarter-turn`; each
batch at an input size around `--size`: `--multiscale`).
Prints progress (epoch, iteration, losses, ETA) and the validation AP@0.5 per class after every epoch;
writes a checkpoint per epoch to `--work-dir` and resumes from it when started again with the same
arguments (`--restart` starts over). With the same seed, data and arguments, the result is the same
model. The exported model is the last epoch's exponential moving average of the weights: no choice is
made from the validation figures.
"""

import argparse
import ctypes
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dataset import (HUE_STEPS, Augmentation, SATURATION_SCALE, DatasetError, EpochOrder, SplitData,  # noqa: E402
                     TrainSet, collate, read_classes)
from evaluate import validate  # noqa: E402
from loss import yolox_loss  # noqa: E402
from yolox_onnx import ModelError, OnnxYolox, export_onnx  # noqa: E402

# Dataset class -> the base model's class its classifier starts from (COCO has no can; cup is nearest).
DEFAULT_INIT_FROM = {"can": "cup", "plastic_bottle": "bottle", "bottle": "bottle"}
CHECKPOINT = "last.pt"
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
GRAD_CLIP = 10.0
MIN_SIZE, MAX_SIZE = 64, 640  # input sizes trained at, --size and every --multiscale size
# --freeze-stride: none, or the backbone up to the end of its stem (2), first stage (4) or second stage (8).
# The deeper stages are where the features for the new classes are made: they always train.
FREEZE_STRIDES = (0, 2, 4, 8)
MAX_STRETCH = 2.0  # --stretch: beyond twice the ratio a can has the outline of a bottle


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="dataset folder with classes.txt, train/ and val/")
    p.add_argument("--base-model", required=True, help="YOLOX ONNX export to start from (COCO weights)")
    p.add_argument("--base-labels", help="the base model's class names, one per line (default: coco.names beside it)")
    p.add_argument("--out", required=True, help="the ONNX model to write")
    p.add_argument("--work-dir", default="build/train", help="checkpoints and the run's log (default build/train)")
    p.add_argument("--size", type=int, default=384, help="input size, a multiple of 32 (default 384)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-4, help="peak AdamW learning rate (default 2e-4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="PyTorch threads (default 2)")
    p.add_argument("--workers", type=int, default=1, help="processes preparing samples (default 1)")
    p.add_argument("--device", default="cpu", help="PyTorch device to train on (default cpu; e.g. cuda)")
    p.add_argument("--mosaic", type=float, default=0.5,
                   help="share of samples made as a mosaic of four photos (default 0.5)")
    p.add_argument("--mosaic-off-epochs", type=int, default=4,
                   help="the last N epochs train on single photos only (default 4)")
    p.add_argument("--quarter-turn", type=float, default=0.3,
                   help="share of samples turned a quarter either way, as an item lying in a chute (default 0.3)")
    p.add_argument("--hue-saturation", action="store_true",
                   help=f"also turn each sample's hue by up to {2 * HUE_STEPS} degrees and scale its saturation by "
                        f"{SATURATION_SCALE[0]}-{SATURATION_SCALE[1]} (off by default: in a trial it took more "
                        "bottles for cans)")
    p.add_argument("--stretch", type=float, default=1.0,
                   help="multiply each sample's width/height ratio by a factor from 1/N to N, drawn log-uniformly "
                        "(default 1: not stretched; 1.4 took more bottles for cans in a trial)")
    p.add_argument("--paste", type=float, default=0.0,
                   help="share of photos, in the mosaic epochs, that first get an item cut from another photo "
                        "pasted in, items then seen on other sources' backgrounds (default 0: none; 0.5 rejected "
                        "more photos as multiple items in a trial)")
    p.add_argument("--multiscale", type=int, default=2,
                   help="each batch at an input size up to N x 32 pixels either side of --size, validation and "
                        "export at --size (default 2: 320-448 for 384; 0 = one size)")
    p.add_argument("--freeze-stride", type=int, default=4,
                   help="keep the base model's weights in the backbone's layers up to stride N: the stem (2), "
                        "the first stage (4, 0.6%% of the weights; kept, it trained better and 15%% faster than "
                        "training every layer) or the second (8) (default 4; 0 = train every layer)")
    p.add_argument("--init-from", default=None,
                   help="class=base_class,... (default can=cup,plastic_bottle=bottle)")
    p.add_argument("--limit", type=int, default=0, help="use only the first N training images (smoke runs)")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--stop-after", type=int, default=0,
                   help="stop after N epochs of this run, keeping the checkpoint (to split a run in parts)")
    a = p.parse_args(argv)
    if a.size % 32 or not MIN_SIZE <= a.size <= MAX_SIZE:
        p.error(f"--size {a.size}: must be a multiple of 32 between {MIN_SIZE} and {MAX_SIZE}")
    if a.epochs < 1 or a.batch < 1 or a.workers < 0 or a.limit < 0 or a.stop_after < 0:
        p.error("--epochs and --batch must be >= 1, --workers, --limit and --stop-after >= 0")
    if not 0 <= a.mosaic <= 1 or a.mosaic_off_epochs < 0:
        p.error("--mosaic must be between 0 and 1, --mosaic-off-epochs >= 0")
    if not 0 <= a.quarter_turn <= 1:
        p.error(f"--quarter-turn {a.quarter_turn}: must be between 0 and 1")
    if not 0 <= a.paste <= 1:
        p.error(f"--paste {a.paste}: must be between 0 and 1")
    if not 1 <= a.stretch <= MAX_STRETCH:
        p.error(f"--stretch {a.stretch}: must be between 1 and {MAX_STRETCH}")
    if a.freeze_stride not in FREEZE_STRIDES:
        p.error(f"--freeze-stride {a.freeze_stride}: must be one of {', '.join(map(str, FREEZE_STRIDES))}")
    if a.multiscale < 0 or not MIN_SIZE <= a.size - 32 * a.multiscale <= a.size + 32 * a.multiscale <= MAX_SIZE:
        p.error(f"--multiscale {a.multiscale}: --size {a.size} +- {a.multiscale} x 32 must stay within "
                f"{MIN_SIZE}-{MAX_SIZE}")
    return a


def train_sizes(size, multiscale):
    """The input sizes of the training batches: size +- up to multiscale x 32 (None: size alone)."""
    return [size + 32 * k for k in range(-multiscale, multiscale + 1)] if multiscale else None


def init_indices(names, base_names, spec):
    mapping = dict(DEFAULT_INIT_FROM)
    if spec:
        for item in spec.split(","):
            k, _, v = item.partition("=")
            mapping[k.strip()] = v.strip()
    out = []
    for n in names:
        base = mapping.get(n)
        if base is None:
            raise SystemExit(f"error: class '{n}' has no base class to start from; give --init-from {n}=NAME")
        if base not in base_names:
            raise SystemExit(f"error: --init-from {n}={base}: '{base}' is not a class of the base model")
        out.append(base_names.index(base))
    return out


def keep_freed_memory():
    """Asks glibc to keep freed memory for reuse: by default it hands big blocks back to the system, and
    each training step page-faults its activations in again (measured: a 384 step on 2 cores 0.89 s,
    0.69 s with this). The sample workers, forked later, inherit it."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest on 64-bit


def make_optimizer(net, lr):
    # AdamW, not SGD: batch norm is folded into the convolutions of the export, so the layers' gradients
    # differ by orders of magnitude (the first sees raw 0-255 pixels); Adam's per-parameter scaling copes.
    # No weight decay: it would pull the COCO weights toward zero, not toward anything learned.
    return torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.0)


def train_step(net, opt, images, targets, num_classes):
    loss, parts = yolox_loss(net(images), targets, num_classes)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), GRAD_CLIP)
    opt.step()
    return loss, parts


# The weights' moving average spans about 1 / (1 - EMA_DECAY) = 500 updates (3 epochs here), its decay
# ramping up over the first few hundred. The usual 0.9998 with a 2,000-update ramp suits runs of 100,000+
# updates; over the default run's 4,530 it would still be at 0.90 at the end, averaging almost nothing.
EMA_DECAY = 0.998
EMA_RAMP_UPDATES = 300


class Ema:
    """Exponential moving average of the weights (EMA_DECAY, ramped up over EMA_RAMP_UPDATES)."""

    def __init__(self, net, updates=0):
        self.shadow = {k: v.detach().clone() for k, v in net.state_dict().items()}
        self.updates = updates

    @torch.no_grad()
    def update(self, net):
        self.updates += 1
        d = EMA_DECAY * (1 - math.exp(-self.updates / EMA_RAMP_UPDATES))
        for k, v in net.state_dict().items():
            self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)


def lr_at(step, total, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# The modules whose code makes the samples, the loss and the weights: a checkpoint made by other code is
# refused, so that `make model` after a change trains anew rather than exporting an older run.
TRAINING_SOURCES = ("dataset.py", "evaluate.py", "loss.py", "train.py", "yolox_onnx.py")


def code_digest():
    h = hashlib.sha256()
    for name in TRAINING_SOURCES:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def fmt_time(s):
    s = int(s)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    keep_freed_memory()
    try:
        torch.zeros(1, device=a.device)
    except (RuntimeError, AssertionError) as e:  # an unknown device, or one this PyTorch cannot use
        print(f"error: --device {a.device}: {e}", file=sys.stderr)
        return 1
    torch.manual_seed(a.seed)
    try:
        names = read_classes(a.data)
        splits, problems = [], []
        for part in ("train", "val"):  # both splits are checked before either's problems stop the run
            try:
                splits.append(SplitData(a.data, part, names))
            except DatasetError as e:
                problems.append(str(e))
        if problems:
            raise DatasetError("\n".join(problems))
        train, val = splits
        for split in (train, val):
            bad = split.drop_undecodable()
            print(f"{split.dir}: {len(split)} images, {sum(len(l) for l in split.labels)} boxes"
                  f"{f', {bad} undecodable skipped' if bad else ''}", flush=True)
            if len(split) == 0:
                raise DatasetError(f"split '{split.dir}': no decodable images")
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if a.limit:
        train.images, train.labels = train.images[:a.limit], train.labels[:a.limit]

    base_labels = a.base_labels or os.path.join(os.path.dirname(a.base_model), "coco.names")
    try:
        net = OnnxYolox(a.base_model)
        with open(base_labels, encoding="utf-8-sig") as f:
            base_names = [line.strip() for line in f if line.strip()]
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: the base model's class names '{base_labels}' (--base-labels): {e.strerror}", file=sys.stderr)
        return 1
    if len(base_names) != net.num_classes:
        print(f"error: '{base_labels}' lists {len(base_names)} classes, the model has {net.num_classes}",
              file=sys.stderr)
        return 1
    net.replace_classes(init_indices(names, base_names, a.init_from))
    frozen = net.freeze_convs(a.freeze_stride)  # 0: none (every output is at stride 2 or more)
    net.to(a.device)

    os.makedirs(a.work_dir, exist_ok=True)
    ckpt_path = os.path.join(a.work_dir, CHECKPOINT)
    config = {k: getattr(a, k) for k in ("data", "base_model", "size", "epochs", "batch", "lr", "seed", "init_from",
                                         "limit", "mosaic", "mosaic_off_epochs", "quarter_turn", "multiscale",
                                         "freeze_stride", "hue_saturation", "stretch", "paste")}
    config["data"] = os.path.abspath(config["data"])
    config["base_model"] = os.path.abspath(config["base_model"])
    # What the run reads, not only where: a checkpoint made on other photos, labels or base weights is refused.
    config["inputs"] = {"train": train.fingerprint(), "val": val.fingerprint(), "base_model": sha256(a.base_model),
                        "base_labels": base_names}
    config["code"] = code_digest()
    opt = make_optimizer(net, a.lr)
    ema = Ema(net)
    start_epoch, history = 0, []
    if os.path.exists(ckpt_path) and not a.restart:
        ck = torch.load(ckpt_path, map_location=a.device)
        if ck["config"] != config:
            differ = sorted(k for k in config.keys() | ck["config"].keys() if ck["config"].get(k) != config.get(k))
            said = {"inputs": "the data or base model (inputs)", "code": "the training code (code)"}
            what = ", ".join(said.get(k) or f"{k} ({ck['config'].get(k)!r} then, {config.get(k)!r} now)"
                             for k in differ)
            print(f"error: checkpoint '{ckpt_path}' was made with other arguments or data: {what}; "
                  f"use --restart or another --work-dir", file=sys.stderr)
            return 1
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        ema.shadow, ema.updates = ck["ema"], ck["ema_updates"]
        start_epoch, history = ck["epoch"] + 1, ck["history"]
        print(f"resuming after epoch {start_epoch} from '{ckpt_path}'", flush=True)

    aug = Augmentation(quarter_turn=a.quarter_turn, hue_sat=a.hue_saturation, stretch=a.stretch, paste=a.paste)
    dataset = TrainSet(train, a.size, a.seed, a.mosaic, mosaic_epochs=a.epochs - a.mosaic_off_epochs, aug=aug)
    sizes = train_sizes(a.size, a.multiscale)
    sampler = EpochOrder(len(train), a.seed, a.batch, sizes)
    loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch, sampler=sampler, num_workers=a.workers,
                                         persistent_workers=a.workers > 0, collate_fn=collate)
    steps_per_epoch = math.ceil(len(train) / a.batch)
    total_steps = steps_per_epoch * a.epochs
    warmup = min(steps_per_epoch, total_steps // 4 + 1)
    print(f"training {len(names)} classes {names} at {a.size}x{a.size}"
          f"{f' (batches at {sizes[0]}-{sizes[-1]})' if sizes else ''}: {a.epochs} epochs x {steps_per_epoch} "
          f"steps, batch {a.batch}, seed {a.seed}, mosaic {a.mosaic} (off for the last {a.mosaic_off_epochs} epochs), "
          f"quarter turns {a.quarter_turn}, {'hue and saturation changed, ' if a.hue_saturation else ''}"
          f"{f'width/height stretched up to {a.stretch}x either way, ' if a.stretch > 1 else ''}"
          f"{f'items pasted into {a.paste} of the photos in the mosaic epochs, ' if a.paste > 0 else ''}"
          f"{f'{frozen} backbone convolutions (stride <= {a.freeze_stride}) kept as they are, ' if frozen else ''}"
          f"on {a.device} with {a.threads} threads and {a.workers} sample workers", flush=True)
    t_run = time.time()
    for epoch in range(start_epoch, a.epochs):
        net.train()
        sampler.epoch = epoch
        t0, sums, n = time.time(), {"iou": 0.0, "obj": 0.0, "cls": 0.0}, 0
        for it, batch in enumerate(loader):
            if batch is None:
                continue
            step = epoch * steps_per_epoch + it
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total_steps, warmup, a.lr)
            images, targets = (t.to(a.device) for t in batch)
            loss, parts = train_step(net, opt, images, targets, len(names))
            ema.update(net)
            for k in sums:
                sums[k] += parts[k]
            n += 1
            if it % 20 == 0 or it == steps_per_epoch - 1:
                done = it + 1
                per_step = (time.time() - t0) / done
                left = per_step * (steps_per_epoch - done + (a.epochs - epoch - 1) * steps_per_epoch)
                print(f"epoch {epoch + 1}/{a.epochs} step {done}/{steps_per_epoch} loss {loss.item():.3f} "
                      f"(iou {parts['iou']:.3f} obj {parts['obj']:.3f} cls {parts['cls']:.3f}) "
                      f"lr {opt.param_groups[0]['lr']:.5f} {per_step:.2f} s/step ETA {fmt_time(left)}", flush=True)
        train_s = time.time() - t0
        live = {k: v.clone() for k, v in net.state_dict().items()}
        net.load_state_dict(ema.shadow)
        aps = validate(net, val, a.size, device=a.device)
        net.load_state_dict(live)
        m = float(np.nanmean(aps))
        history.append({"epoch": epoch + 1, "train_s": round(train_s, 1),
                        "loss": {k: round(v / max(n, 1), 4) for k, v in sums.items()},
                        "val_ap50": {c: round(x, 4) for c, x in zip(names, aps)}, "val_map50": round(m, 4)})
        print(f"epoch {epoch + 1}/{a.epochs} done in {fmt_time(train_s)}: mean loss "
              f"{sum(sums.values()) / max(n, 1):.3f}; val AP@0.5 " +
              " ".join(f"{c} {x:.3f}" for c, x in zip(names, aps)) + f"; mAP@0.5 {m:.3f}", flush=True)
        save_atomic({"config": config, "epoch": epoch, "model": net.state_dict(), "optimizer": opt.state_dict(),
                     "ema": ema.shadow, "ema_updates": ema.updates, "history": history}, ckpt_path)
        if a.stop_after and epoch + 1 - start_epoch >= a.stop_after and epoch + 1 < a.epochs:
            print(f"stopping after epoch {epoch + 1} as asked; run again to resume", flush=True)
            return 0

    net.load_state_dict(ema.shadow)
    net.to("cpu")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    export_onnx(net, a.out, a.size, names, {"training": json.dumps({k: v for k, v in config.items()
                                                                    if k not in ("data", "base_model", "inputs", "code")})})
    with open(os.path.join(a.work_dir, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    print(f"wrote '{a.out}' (sha256 {sha256(a.out)}), {len(names)} classes; "
          f"training time this run {fmt_time(time.time() - t_run)}, "
          f"all epochs {fmt_time(sum(h['train_s'] for h in history))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
