"""Validation figures during training: detections as the agent makes them, AP@0.5 per class.

Detections: score = objectness x class probability, per-class NMS at IoU 0.45, scores >= 0.001 for AP
(the usual AP protocol), boxes in input pixels, greedy matching by score at IoU >= 0.5. AP is the
precision envelope sampled at 101 recall points, as the agent's `rvm-edge eval` computes it. The agent's
own `rvm-edge eval` is the reference for shipped figures; this is the per-epoch progress report.
"""

import numpy as np
import torch
import torchvision

from dataset import make_sample
from loss import decode

NMS_IOU = 0.45


@torch.no_grad()
def detect(net, images, conf=0.001, max_det=100):
    boxes, obj, cls, _ = decode(net(images))
    scores_all = torch.sigmoid(obj)[..., None] * torch.sigmoid(cls)
    results = []
    for i in range(images.shape[0]):
        scores, labels = scores_all[i].max(1)
        keep = scores >= conf
        b, s, l = boxes[i][keep], scores[keep], labels[keep]
        xyxy = torch.cat([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)
        k = torchvision.ops.batched_nms(xyxy, s, l, NMS_IOU)[:max_det]
        results.append((xyxy[k].cpu().numpy(), s[k].cpu().numpy(), l[k].cpu().numpy()))
    return results


def average_precision(recall, precision):
    """The mean over the 101 recall levels 0, 0.01, ..., 1 of the best precision at that recall or beyond,
    0 at levels never reached: the agent's `AveragePrecision101` (src/eval/detection_metrics.cc)."""
    recall, precision = np.asarray(recall, np.float64), np.asarray(precision, np.float64)
    if len(recall) == 0:
        return 0.0
    envelope = np.flip(np.maximum.accumulate(np.flip(precision)))
    rank = np.searchsorted(recall, np.linspace(0, 1, 101) - 1e-12, side="left")
    return float(np.where(rank < len(recall), envelope[np.minimum(rank, len(recall) - 1)], 0.0).sum() / 101)


def ap_per_class(dets, gts, num_classes, iou_thr=0.5):
    """dets: per image (xyxy, scores, labels); gts: per image [K,5] class,cx,cy,w,h. -> list of AP."""
    aps = []
    for c in range(num_classes):
        records, n_gt = [], 0
        for (xyxy, scores, labels), gt in zip(dets, gts):
            g = gt[gt[:, 0] == c]
            n_gt += len(g)
            gxy = np.concatenate([g[:, 1:3] - g[:, 3:5] / 2, g[:, 1:3] + g[:, 3:5] / 2], 1)
            used = np.zeros(len(g), bool)
            sel = labels == c
            for box, score in sorted(zip(xyxy[sel], scores[sel]), key=lambda t: -t[1]):
                tp = False
                if len(g):
                    lt = np.maximum(box[:2], gxy[:, :2])
                    rb = np.minimum(box[2:], gxy[:, 2:])
                    inter = np.clip(rb - lt, 0, None).prod(1)
                    union = (box[2:] - box[:2]).prod() + (gxy[:, 2:] - gxy[:, :2]).prod(1) - inter
                    iou = np.where(used, -1, inter / np.maximum(union, 1e-9))
                    j = int(iou.argmax())
                    if iou[j] >= iou_thr:
                        used[j] = tp = True
                records.append((score, tp))
        if n_gt == 0:
            aps.append(float("nan"))
            continue
        records.sort(key=lambda t: -t[0])
        tps = np.cumsum([t for _, t in records]) if records else np.zeros(0)
        fps = np.cumsum([not t for _, t in records]) if records else np.zeros(0)
        recall = tps / n_gt
        precision = tps / np.maximum(tps + fps, 1e-9)
        aps.append(average_precision(recall, precision))
    return aps


def validate(net, split, size, batch=16, device="cpu"):
    """AP@0.5 per class on a split, letterboxed as the agent does (no augmentation)."""
    net.eval()
    dets, gts, images, labels = [], [], [], []

    def flush():
        if images:
            dets.extend(detect(net, torch.stack(images).to(device)))
            gts.extend(labels)
            images.clear()
            labels.clear()

    for i in range(len(split)):
        img = split.read(i)
        if img is None:
            continue
        t, boxes = make_sample(img, split.labels[i], size)
        images.append(t)
        labels.append(boxes)
        if len(images) == batch:
            flush()
    flush()
    return ap_per_class(dets, gts, len(split.names))
