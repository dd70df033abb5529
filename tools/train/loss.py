"""The YOLOX training loss: SimOTA label assignment, IoU loss on boxes, BCE on objectness and classes.

For each image, anchor points whose centre lies inside a ground-truth box or within 2.5 strides of its
centre are candidates; each ground truth takes its k cheapest candidates (k from the sum of its 10 best
IoUs), cost = class BCE + 3 * -log(IoU), and a point claimed by two boxes goes to the cheaper one. Losses:
5 * (1 - IoU^2) over assigned points, objectness BCE over all points, class BCE over assigned points
against IoU-weighted one-hot targets; each normalised by the number of assigned points.
"""

import torch
import torch.nn.functional as F

from yolox_onnx import grid_for

CENTER_RADIUS = 2.5
IOU_WEIGHT = 5.0


def decode(outputs):
    """Per-level raw outputs -> (boxes [B,N,4] cx,cy,w,h in input pixels, obj logits [B,N], cls logits [B,N,C])."""
    regs, objs, clss = [], [], []
    for reg, obj, cls in outputs:
        regs.append(reg.flatten(2))
        objs.append(obj.flatten(2))
        clss.append(cls.flatten(2))
    reg = torch.cat(regs, 2).permute(0, 2, 1)
    obj = torch.cat(objs, 2).permute(0, 2, 1)[..., 0]
    cls = torch.cat(clss, 2).permute(0, 2, 1)
    input_size = outputs[0][0].shape[-1] * 8
    gx, gy, stride = grid_for(input_size, reg.device)
    xy = (reg[..., :2] + torch.stack([gx, gy], 1)) * stride[:, None]
    wh = torch.exp(reg[..., 2:].clamp(max=10.0)) * stride[:, None]
    return torch.cat([xy, wh], -1), obj, cls, (gx, gy, stride)


def box_iou_cxcywh(a, b):
    """Pairwise IoU of [N,4] and [M,4] boxes given as cx,cy,w,h -> [N,M]."""
    a0, a1 = a[:, None, :2] - a[:, None, 2:] / 2, a[:, None, :2] + a[:, None, 2:] / 2
    b0, b1 = b[None, :, :2] - b[None, :, 2:] / 2, b[None, :, :2] + b[None, :, 2:] / 2
    inter = (torch.min(a1, b1) - torch.max(a0, b0)).clamp(min=0).prod(-1)
    union = a[:, None, 2:].prod(-1) + b[None, :, 2:].prod(-1) - inter
    return inter / union.clamp(min=1e-9)


def aligned_iou(a, b):
    a0, a1 = a[:, :2] - a[:, 2:] / 2, a[:, :2] + a[:, 2:] / 2
    b0, b1 = b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2
    inter = (torch.min(a1, b1) - torch.max(a0, b0)).clamp(min=0).prod(-1)
    union = a[:, 2:].prod(-1) + b[:, 2:].prod(-1) - inter
    return inter / union.clamp(min=1e-9)


@torch.no_grad()
def simota_assign(boxes, obj, cls, gt, grid, num_classes):
    """One image: returns (foreground mask [N], matched gt index [N], IoU with it [N])."""
    gx, gy, stride = grid
    cx, cy = (gx + 0.5) * stride, (gy + 0.5) * stride
    g = gt[:, 1:]
    in_box = ((cx[None] > g[:, 0:1] - g[:, 2:3] / 2) & (cx[None] < g[:, 0:1] + g[:, 2:3] / 2) &
              (cy[None] > g[:, 1:2] - g[:, 3:4] / 2) & (cy[None] < g[:, 1:2] + g[:, 3:4] / 2))
    r = CENTER_RADIUS * stride[None]
    in_ctr = ((cx[None] - g[:, 0:1]).abs() < r) & ((cy[None] - g[:, 1:2]).abs() < r)
    candidate = (in_box | in_ctr).any(0)
    n, dev = boxes.shape[0], boxes.device
    fg = torch.zeros(n, dtype=torch.bool, device=dev)
    match = torch.zeros(n, dtype=torch.long, device=dev)
    ious_out = torch.zeros(n, device=dev)
    if not candidate.any():
        return fg, match, ious_out
    cand_idx = candidate.nonzero()[:, 0]
    ious = box_iou_cxcywh(g, boxes[cand_idx])  # [G,K]
    onehot = F.one_hot(gt[:, 0].long(), num_classes).float()
    p = (torch.sigmoid(cls[cand_idx]) * torch.sigmoid(obj[cand_idx, None])).sqrt()  # [K,C]
    cls_cost = F.binary_cross_entropy(p[None].expand(len(g), -1, -1).clamp(1e-6, 1 - 1e-6),
                                      onehot[:, None].expand(-1, len(cand_idx), -1), reduction="none").sum(-1)
    both = in_box[:, cand_idx] & in_ctr[:, cand_idx]
    cost = cls_cost + 3.0 * -torch.log(ious + 1e-8) + 1e5 * (~both).float()
    k = ious.topk(min(10, ious.shape[1]), dim=1).values.sum(1).int().clamp(min=1)
    matching = torch.zeros_like(cost, dtype=torch.bool)
    for j in range(len(g)):
        kk = int(min(k[j], cost.shape[1]))
        matching[j, cost[j].topk(kk, largest=False).indices] = True
    claimed = matching.sum(0)
    if (claimed > 1).any():
        multi = claimed > 1
        best = cost[:, multi].argmin(0)
        matching[:, multi] = False
        matching[best, multi.nonzero()[:, 0]] = True
    is_fg = matching.any(0)
    fg[cand_idx[is_fg]] = True
    match[cand_idx[is_fg]] = matching[:, is_fg].float().argmax(0)
    ious_out[cand_idx[is_fg]] = (ious * matching).sum(0)[is_fg]
    return fg, match, ious_out


def yolox_loss(outputs, targets, num_classes):
    """outputs: the module's per-level raw outputs; targets [B,M,5] (class,cx,cy,w,h px; class -1 = none).

    Returns (total, parts dict) with parts iou, obj, cls as floats.
    """
    boxes, obj, cls, grid = decode(outputs)
    b = boxes.shape[0]
    obj_t = torch.zeros_like(obj)
    fg_boxes, fg_pred, fg_cls, fg_cls_t = [], [], [], []
    num_fg = 0
    for i in range(b):
        gt = targets[i][targets[i][:, 0] >= 0]
        if len(gt) == 0:
            continue
        fg, match, ious = simota_assign(boxes[i].detach(), obj[i].detach(), cls[i].detach(), gt, grid, num_classes)
        if not fg.any():
            continue
        num_fg += int(fg.sum())
        obj_t[i, fg] = 1.0
        fg_pred.append(boxes[i][fg])
        fg_boxes.append(gt[match[fg], 1:])
        fg_cls.append(cls[i][fg])
        fg_cls_t.append(F.one_hot(gt[match[fg], 0].long(), num_classes).float() * ious[fg, None])
    norm = max(num_fg, 1)
    loss_obj = F.binary_cross_entropy_with_logits(obj, obj_t, reduction="sum") / norm
    if fg_pred:
        iou = aligned_iou(torch.cat(fg_pred), torch.cat(fg_boxes))
        loss_iou = (1 - iou.pow(2)).sum() / norm
        loss_cls = F.binary_cross_entropy_with_logits(torch.cat(fg_cls), torch.cat(fg_cls_t), reduction="sum") / norm
    else:
        loss_iou = loss_cls = obj.sum() * 0
    total = IOU_WEIGHT * loss_iou + loss_obj + loss_cls
    return total, {"iou": float(loss_iou), "obj": float(loss_obj), "cls": float(loss_cls)}
