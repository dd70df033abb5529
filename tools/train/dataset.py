"""The training data: a YOLO-format split read and checked, and the augmentations a chute camera needs.

A split is a folder with `images/` and `labels/` (one `<stem>.txt` per image, lines `class cx cy w h`
normalised to the image). `SplitData` checks every label file of its split before training starts and
reports every problem with its file and line (a missing label file, a class id out of range, a malformed
line or a box outside the image); `DatasetError` is fatal. Images are decoded when used: a corrupt,
truncated or unreadable one is skipped, named once and counted (`SplitData.drop_undecodable`). An empty
split is fatal.

Samples come out as the detector sees them: raw BGR 0-255 in an S x S letterbox at the top-left, pad 114
(the agent's YOLOX preprocessing), with boxes as (class, cx, cy, w, h) in input pixels. A training
sample is one photo under a random affine (scale, stretch, placement, rotation, flips, quarter turns) and
photometric changes, or, with the `mosaic` probability, four photos pasted around a random centre and
augmented as one. With the `paste` probability, an item cut from another photo is first pasted into the
photo (`paste_item`).
"""

import dataclasses
import hashlib
import math
import os

import cv2
import numpy as np
import torch

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
PAD_VALUE = 114
MIN_BOX_PIXELS = 2.0


def jpeg_is_truncated(path):
    """True when a JPEG file ends before its end-of-image marker. OpenCV decodes such a file (the missing
    rows come out grey, and libjpeg's warning names no file), so it would train on made-up pixels. The
    marker must follow the last start-of-scan: neither can appear inside the entropy-coded data."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"\xff\xd8"):
        return False
    return data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda")


class DatasetError(Exception):
    """The dataset cannot be used; the message names each file and its problem."""


def read_classes(root):
    path = os.path.join(root, "classes.txt")
    if not os.path.isfile(path):
        raise DatasetError(f"dataset '{root}': classes.txt is missing")
    with open(path, encoding="utf-8-sig") as f:  # -sig: a byte-order mark is not part of the first name
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise DatasetError(f"dataset '{root}': classes.txt lists no class")
    return names


def parse_label_file(path, num_classes):
    """Returns (boxes [K,5] float32 as class,cx,cy,w,h normalised, problems as 'file:line: what')."""
    boxes, problems = [], []
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            where = f"{path}:{lineno}"
            if len(fields) != 5:
                problems.append(f"{where}: expected 'class cx cy w h', found {len(fields)} fields")
                continue
            try:
                cls = int(fields[0])
                cx, cy, w, h = (float(v) for v in fields[1:])
            except ValueError:
                problems.append(f"{where}: not numbers: '{line.strip()}'")
                continue
            if not 0 <= cls < num_classes:
                problems.append(f"{where}: class id {cls} out of range 0..{num_classes - 1}")
                continue
            if not all(math.isfinite(v) for v in (cx, cy, w, h)) or w <= 0 or h <= 0 or \
                    cx - w / 2 < -0.01 or cy - h / 2 < -0.01 or cx + w / 2 > 1.01 or cy + h / 2 > 1.01:
                problems.append(f"{where}: box ({cx}, {cy}, {w}, {h}) is not inside the image")
                continue
            boxes.append((cls, cx, cy, w, h))
    return np.array(boxes, dtype=np.float32).reshape(-1, 5), problems


class SplitData:
    """One split's image paths and their labels, checked (see the module docstring)."""

    def __init__(self, root, split, names):
        self.dir = os.path.join(root, split)
        image_dir, label_dir = os.path.join(self.dir, "images"), os.path.join(self.dir, "labels")
        for d in (image_dir, label_dir):
            if not os.path.isdir(d):
                raise DatasetError(f"split '{self.dir}': folder '{d}' is missing")
        self.names = names
        self.images, self.labels, problems = [], [], []
        for name in sorted(os.listdir(image_dir)):
            if not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            label = os.path.join(label_dir, os.path.splitext(name)[0] + ".txt")
            if not os.path.isfile(label):
                problems.append(f"{label}: label file missing for image '{name}'")
                continue
            boxes, bad = parse_label_file(label, len(names))
            problems.extend(bad)
            self.images.append(os.path.join(image_dir, name))
            self.labels.append(boxes)
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise DatasetError(f"split '{self.dir}': {len(problems)} problem(s) in its labels:\n  {shown}{more}")
        if not self.images:
            raise DatasetError(f"split '{self.dir}': no images")
        self.skipped = set()

    def __len__(self):
        return len(self.images)

    def drop_undecodable(self):
        """Decodes every image once; drops (and names) those that cannot be decoded. Returns how many."""
        keep = [i for i in range(len(self.images)) if self.read(i) is not None]
        dropped = len(self.images) - len(keep)
        self.images = [self.images[i] for i in keep]
        self.labels = [self.labels[i] for i in keep]
        self.skipped = set()
        return dropped

    def read(self, i):
        """The image as BGR uint8, or None when it cannot be decoded or its JPEG data is truncated (named
        once, then counted)."""
        img = cv2.imread(self.images[i], cv2.IMREAD_COLOR)
        problem = "cannot be decoded" if img is None or img.size == 0 else \
            "JPEG data is truncated" if jpeg_is_truncated(self.images[i]) else None
        if problem:
            if i not in self.skipped:
                self.skipped.add(i)
                print(f"warning: image '{self.images[i]}' {problem}: skipped", flush=True)
            return None
        return img

    def fingerprint(self):
        """A digest of what this split trains or validates on: each image's name and size, its boxes and
        the class names. A checkpoint made on other data must not be resumed."""
        h = hashlib.sha256(repr(self.names).encode())
        for path, boxes in zip(self.images, self.labels):
            h.update(f"{os.path.basename(path)}\0{os.path.getsize(path)}\0".encode())
            h.update(np.ascontiguousarray(boxes, np.float32).tobytes())
        return h.hexdigest()


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """The settings of the augmentations the training's options turn on or off (the defaults: off), carried
    as one from `TrainSet` through `make_mosaic` and `make_sample` to `augment`."""

    quarter_turn: float = 0.0  # share of samples turned a quarter either way (`augment`)
    hue_sat: bool = False  # every sample's hue and saturation changed (`hue_saturation`)
    stretch: float = 1.0  # width/height ratio scaled by up to this either way (`random_affine_matrix`)
    paste: float = 0.0  # share of photos, in the mosaic epochs, given an item of another (`paste_item`)


def random_affine_matrix(width, height, size, rng, scale_range=(0.5, 1.5), centre=None, stretch=1.0):
    """Letterbox scale times a random scale (scale_range of the fit), stretch, rotation (+-10 deg) and
    placement.

    With stretch > 1 the width/height ratio is multiplied by a factor drawn log-uniformly from
    [1/stretch, stretch] (the area kept): a 330 ml can stretched by 1.4 has the outline of a 500 ml one,
    and a lens or a slanted view stretches items too, so the outline alone cannot tell the material. The
    image is turned and scaled about `centre` (default its middle), which lands anywhere in the middle
    half of the output. stretch 1 draws nothing more from rng than no stretch did."""
    fit = min(size / width, size / height)
    scale = fit * rng.uniform(*scale_range)
    angle = math.radians(rng.uniform(-10, 10))
    sx = sy = scale
    if stretch > 1:
        root = math.sqrt(math.exp(rng.uniform(-math.log(stretch), math.log(stretch))))
        sx, sy = scale * root, scale / root
    cos, sin = math.cos(angle), math.sin(angle)
    a, b, c, d = cos * sx, -sin * sy, sin * sx, cos * sy  # rotation after the scaling
    cx, cy = centre if centre is not None else (width / 2, height / 2)
    tx = rng.uniform(0.25, 0.75) * size
    ty = rng.uniform(0.25, 0.75) * size
    return np.array([[a, b, tx - (a * cx + b * cy)], [c, d, ty - (c * cx + d * cy)]], dtype=np.float64)


def transform_boxes(labels, m, width, height, size):
    """Maps normalised (class,cx,cy,w,h) through affine m into input pixels; clips; drops tiny boxes."""
    if len(labels) == 0:
        return np.zeros((0, 5), np.float32)
    cls = labels[:, 0]
    x0 = (labels[:, 1] - labels[:, 3] / 2) * width
    y0 = (labels[:, 2] - labels[:, 4] / 2) * height
    x1 = (labels[:, 1] + labels[:, 3] / 2) * width
    y1 = (labels[:, 2] + labels[:, 4] / 2) * height
    corners = np.stack([np.stack([x0, y0], 1), np.stack([x1, y0], 1), np.stack([x0, y1], 1),
                        np.stack([x1, y1], 1)], 1)  # [K,4,2]
    pts = corners @ m[:, :2].T + m[:, 2]
    # The new box is the extent of the mapped corners: a few pixels loose for the small rotations. A box
    # cut to under a quarter of its area by the frame is dropped. m maps box edges (`edge_map`).
    bx0, by0 = pts[..., 0].min(1), pts[..., 1].min(1)
    bx1, by1 = pts[..., 0].max(1), pts[..., 1].max(1)
    area_before = (bx1 - bx0) * (by1 - by0)
    bx0, bx1 = np.clip(bx0, 0, size), np.clip(bx1, 0, size)
    by0, by1 = np.clip(by0, 0, size), np.clip(by1, 0, size)
    w, h = bx1 - bx0, by1 - by0
    keep = (w > MIN_BOX_PIXELS) & (h > MIN_BOX_PIXELS) & (w * h > 0.25 * area_before)
    out = np.stack([cls, (bx0 + bx1) / 2, (by0 + by1) / 2, w, h], 1)[keep]
    return out.astype(np.float32)


# Hue turned by up to this many of OpenCV's hue steps (0-179 for the circle: 5 steps are 10 degrees);
# saturation scaled by a factor in this range.
HUE_STEPS = 5
SATURATION_SCALE = (0.5, 1.5)


def hue_saturation(img, rng):
    """A BGR uint8 image with its hue turned by up to HUE_STEPS either way and its saturation scaled by
    SATURATION_SCALE: cameras render the same can's colours differently."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    turn = int(rng.integers(-HUE_STEPS, HUE_STEPS + 1)) % 180
    hsv[..., 0] = (hsv[..., 0].astype(np.uint16) + turn) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(*SATURATION_SCALE), 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def photometric(img, rng, hue_sat=False):
    """Brightness/contrast, colour shift, backlight (a bright gradient behind the item), blur, noise, and
    with hue_sat first `hue_saturation`: the spread of light and focus between cameras and chutes."""
    img = (hue_saturation(img, rng) if hue_sat else img).astype(np.float32)
    alpha = rng.uniform(0.6, 1.4)  # contrast
    beta = rng.uniform(-40, 40)  # brightness
    img = img * alpha + beta
    img += rng.uniform(-12, 12, size=3).astype(np.float32)  # white balance
    if rng.random() < 0.25:  # backlight: a light source behind the chute
        h, w = img.shape[:2]
        gx = np.linspace(0, 1, w, dtype=np.float32)
        if rng.random() < 0.5:
            gx = gx[::-1]
        glow = (gx[None, :, None] ** 2) * rng.uniform(60, 160)
        img = img * rng.uniform(0.55, 0.85) + glow
    img = np.clip(img, 0, 255).astype(np.uint8)
    r = rng.random()
    if r < 0.15:
        k = int(rng.choice([3, 5]))
        img = cv2.GaussianBlur(img, (k, k), 0)
    elif r < 0.25:  # motion blur as an item falls
        k = int(rng.choice([5, 7, 9]))
        kernel = np.zeros((k, k), np.float32)
        kernel[:, k // 2] = 1.0 / k
        img = cv2.filter2D(img, -1, kernel)
    if rng.random() < 0.15:
        noise = rng.normal(0, rng.uniform(2, 8), img.shape).astype(np.float32)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.05:
        img = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return img


def make_sample(img, labels, size, rng=None, aug=Augmentation()):
    """(CHW float32 tensor, boxes [K,5] in input pixels); augmented as `aug` says when rng is given (see
    `augment`), else plain letterbox."""
    h, w = img.shape[:2]
    if rng is None:  # exactly the agent's letterbox: resize, then paste at the top-left
        r = min(size / w, size / h)
        nw, nh = max(1, round(w * r)), max(1, round(h * r))
        out = np.full((size, size, 3), PAD_VALUE, np.uint8)
        out[:nh, :nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
        boxes = transform_boxes(labels, np.array([[nw / w, 0, 0], [0, nh / h, 0]]), w, h, size)
        return torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1))).float(), boxes
    m = random_affine_matrix(w, h, size, rng, stretch=aug.stretch)
    return augment(img, labels, size, rng, m, aug)


def edge_map(m):
    """The affine map of box edges for an affine m of pixel centres, as cv2.warpAffine reads m: pixel i
    spans the edges i..i+1 around its centre i + 0.5, so the edge map is T(+0.5) m T(-0.5)."""
    e = np.array(m, np.float64)
    e[:, 2] += 0.5 - 0.5 * (e[:, 0] + e[:, 1])
    return e


def augment(img, labels, size, rng, m, aug=Augmentation()):
    """Warps img through affine m (after random flips and, with probability aug.quarter_turn, a quarter
    turn either way: an item lying in a chute) into an S x S sample, then photometric changes. m, the
    flips and the turns map pixel centres (0..S-1 onto S-1..0 for a flip); the boxes go through
    `edge_map`."""
    h, w = img.shape[:2]
    last = size - 1
    if rng.random() < 0.5:  # horizontal flip
        m = np.array([[-1, 0, last], [0, 1, 0]], np.float64) @ np.vstack([m, [0, 0, 1]])
    if rng.random() < 0.1:  # vertical flip: items can fall upside down
        m = np.array([[1, 0, 0], [0, -1, last]], np.float64) @ np.vstack([m, [0, 0, 1]])
    if aug.quarter_turn > 0 and rng.random() < aug.quarter_turn:  # about the centre, clockwise or anticlockwise
        turn = ([[0, -1, last], [1, 0, 0]], [[0, 1, 0], [-1, 0, last]])[int(rng.integers(0, 2))]
        m = np.array(turn, np.float64) @ np.vstack([m, [0, 0, 1]])
    interp = cv2.INTER_LINEAR if rng.random() < 0.7 else cv2.INTER_AREA
    out = cv2.warpAffine(img, m, (size, size), flags=interp, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=(PAD_VALUE, PAD_VALUE, PAD_VALUE))
    boxes = transform_boxes(labels, edge_map(m), w, h, size)
    out = photometric(out, rng, aug.hue_sat)
    tensor = torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1))).float()
    return tensor, boxes


# A mosaic's canvas is mapped to the sample at this share of its fit: with each photo fit to half the
# canvas, an item comes out at 0.3-1.0 of its single-photo size (a chute camera sees items large).
MOSAIC_SCALE = (1.0, 2.0)
MOSAIC_PHOTO_SCALE = (0.6, 1.0)


def make_mosaic(parts, size, rng, aug=Augmentation()):
    """Four (image, labels) pasted around a random centre of a 2S x 2S canvas, each fit to S x S times
    MOSAIC_PHOTO_SCALE, then augmented like one photo (MOSAIC_SCALE, centred near the mosaic's centre):
    more items, partial items and other backgrounds per sample."""
    s2 = 2 * size
    canvas = np.full((s2, s2, 3), PAD_VALUE, np.uint8)
    xc, yc = rng.uniform(0.5 * size, 1.5 * size), rng.uniform(0.5 * size, 1.5 * size)
    all_boxes = []
    for k, (img, labels) in enumerate(parts):
        h, w = img.shape[:2]
        r = size / max(h, w) * rng.uniform(*MOSAIC_PHOTO_SCALE)
        nw, nh = max(1, round(w * r)), max(1, round(h * r))
        # Quadrants around the centre: top-left, top-right, bottom-left, bottom-right.
        x0 = int(round(xc - nw if k in (0, 2) else xc))
        y0 = int(round(yc - nh if k in (0, 1) else yc))
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + nw, s2), min(y0 + nh, s2)
        canvas[cy0:cy1, cx0:cx1] = cv2.resize(img, (nw, nh))[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
        all_boxes.append(transform_boxes(labels, np.array([[nw / w, 0, x0], [0, nh / h, y0]]), w, h, s2))
    boxes = np.concatenate(all_boxes)
    normalised = np.concatenate([boxes[:, :1], boxes[:, 1:] / s2], 1)
    m = random_affine_matrix(s2, s2, size, rng, MOSAIC_SCALE, centre=(xc, yc), stretch=aug.stretch)
    return augment(canvas, normalised, size, rng, m, aug)


# A pasted item's longer side, as a share of the host photo's shorter side; its edges fade over this share
# of its own size; it may cover at most this share of any item already there (tries before giving up).
PASTE_SIZE = (0.25, 0.6)
PASTE_FEATHER = 0.08
PASTE_MAX_COVER = 0.1
PASTE_TRIES = 20


def paste_item(img, labels, donor, donor_labels, rng):
    """(image, labels) with one item cut from donor (its box, picked at random) pasted at a random place
    of img, scaled by PASTE_SIZE, its edges faded into img over PASTE_FEATHER, covering at most
    PASTE_MAX_COVER of each of img's items; the item's box is added to the labels. The photos come from a
    few sources, each with its own kind of background and mostly one material: an item on another
    source's background keeps the model from telling the material by the background. Returns img and
    labels unchanged when the donor has no box or no place is found; img itself is not modified."""
    if len(donor_labels) == 0:
        return img, labels
    h, w = img.shape[:2]
    dh, dw = donor.shape[:2]
    cls, cx, cy, bw, bh = donor_labels[int(rng.integers(0, len(donor_labels)))]
    x0, x1 = int(round((cx - bw / 2) * dw)), int(round((cx + bw / 2) * dw))
    y0, y1 = int(round((cy - bh / 2) * dh)), int(round((cy + bh / 2) * dh))
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, dw), min(y1, dh)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return img, labels
    r = rng.uniform(*PASTE_SIZE) * min(w, h) / max(x1 - x0, y1 - y0)
    pw, ph = max(2, round((x1 - x0) * r)), max(2, round((y1 - y0) * r))
    if pw >= w or ph >= h:
        return img, labels
    px0 = py0 = None
    items = labels[:, 1:] * np.array([w, h, w, h], np.float32)
    ix0, ix1 = items[:, 0] - items[:, 2] / 2, items[:, 0] + items[:, 2] / 2
    iy0, iy1 = items[:, 1] - items[:, 3] / 2, items[:, 1] + items[:, 3] / 2
    for _ in range(PASTE_TRIES):
        tx, ty = int(rng.integers(0, w - pw + 1)), int(rng.integers(0, h - ph + 1))
        ix = np.clip(np.minimum(tx + pw, ix1) - np.maximum(tx, ix0), 0, None)
        iy = np.clip(np.minimum(ty + ph, iy1) - np.maximum(ty, iy0), 0, None)
        if np.all(ix * iy <= PASTE_MAX_COVER * items[:, 2] * items[:, 3]):
            px0, py0 = tx, ty
            break
    if px0 is None:
        return img, labels
    patch = cv2.resize(donor[y0:y1, x0:x1], (pw, ph), interpolation=cv2.INTER_AREA).astype(np.float32)

    def fade(n):  # 0 to 1 over PASTE_FEATHER of n pixels from either edge, measured at pixel centres
        centres = np.arange(n) + 0.5
        return np.clip(np.minimum(centres, n - centres) / max(1.0, PASTE_FEATHER * n), 0, 1)

    alpha = (fade(ph)[:, None] * fade(pw)[None, :])[..., None]
    out = img.copy()
    region = out[py0:py0 + ph, px0:px0 + pw].astype(np.float32)
    out[py0:py0 + ph, px0:px0 + pw] = np.clip(region * (1 - alpha) + patch * alpha + 0.5, 0, 255).astype(np.uint8)
    box = np.array([[cls, (px0 + pw / 2) / w, (py0 + ph / 2) / h, pw / w, ph / h]], np.float32)
    return out, np.concatenate([labels.reshape(-1, 5), box])


class TrainSet(torch.utils.data.Dataset):
    """Augmented samples, keyed (epoch, i) or (epoch, i, input size); the sample depends only on the key
    and the seed (without a size in the key, the sample is `size` square).

    In the first `mosaic_epochs` epochs (default all) a sample is, with probability `mosaic`, a mosaic of
    item i and three others drawn by the same rng. Every sample is augmented as `aug` says; in the
    mosaic epochs, with probability `aug.paste`, item i's photo first gets an item of another photo drawn
    by the same rng (`paste_item`); the last epochs show photos as the camera sees them."""

    def __init__(self, split, size, seed, mosaic=0.0, mosaic_epochs=None, aug=Augmentation()):
        self.split, self.size, self.seed, self.mosaic = split, size, seed, mosaic
        self.mosaic_epochs, self.aug = mosaic_epochs, aug

    def __len__(self):
        return len(self.split)

    def __getitem__(self, key):
        epoch, i, *rest = key
        size = rest[0] if rest else self.size
        rng = np.random.default_rng([self.seed, epoch, i])
        img = self.split.read(i)
        if img is None:
            return None
        labels = self.split.labels[i]
        early = self.mosaic_epochs is None or epoch < self.mosaic_epochs
        if early and self.aug.paste > 0 and rng.random() < self.aug.paste:  # draws nothing with paste 0
            j = int(rng.integers(0, len(self.split)))
            donor = self.split.read(j) if j != i else None
            if donor is not None:
                img, labels = paste_item(img, labels, donor, self.split.labels[j], rng)
        mosaic = self.mosaic if early else 0.0
        if mosaic > 0 and rng.random() < mosaic:
            parts = [(img, labels)]
            for j in rng.integers(0, len(self.split), 3).tolist():
                other = self.split.read(j)
                if other is not None:
                    parts.append((other, self.split.labels[j]))
            if len(parts) == 4:
                return make_mosaic(parts, size, rng, self.aug)
        return make_sample(img, labels, size, rng, self.aug)


SIZE_RUN_BATCHES = 10


class EpochOrder(torch.utils.data.Sampler):
    """The keys of one epoch, (epoch, i) for i in a shuffle seeded by (seed, epoch); set `epoch` before
    each pass. The epoch travels in the key, so sample workers can stay up from one epoch to the next.

    With `sizes`, the keys also carry an input size, (epoch, i, size): the multi-scale training of the
    usual one-stage detectors. One size, drawn from `sizes`, holds for SIZE_RUN_BATCHES batches of
    `batch` keys (each change of size costs a CPU step about a third more while memory is re-laid)."""

    def __init__(self, n, seed, batch=1, sizes=None):
        self.n, self.seed, self.epoch = n, seed, 0
        self.batch, self.sizes = batch, list(sizes or [])

    def __len__(self):
        return self.n

    def __iter__(self):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n).tolist()
        if not self.sizes:
            return iter([(self.epoch, i) for i in order])
        run = self.batch * SIZE_RUN_BATCHES
        pick = np.random.default_rng([self.seed, self.epoch, 1]).integers(0, len(self.sizes), math.ceil(self.n / run))
        return iter([(self.epoch, i, self.sizes[pick[k // run]]) for k, i in enumerate(order)])


def collate(batch):
    """Stacks images; boxes become [B,M,5] padded with class -1. Undecodable images are dropped."""
    batch = [b for b in batch if b is not None]
    if not batch:
        return None
    images = torch.stack([b[0] for b in batch])
    m = max(1, max(len(b[1]) for b in batch))
    boxes = torch.full((len(batch), m, 5), -1.0)
    for k, (_, bx) in enumerate(batch):
        if len(bx):
            boxes[k, :len(bx)] = torch.from_numpy(bx)
    return images, boxes
