"""Tests of the training tool: the module read from ONNX, the data checks, augmentation, loss, export, resume.

Run: `ctest -L train` in the build folder, or /usr/bin/python3 -m unittest discover -s tools/train (Debian's
interpreter, where python3-torch lives; RVM_SHARED_DIR: the shared data; RVM_EDGE_BIN: the agent's binary,
for the comparison with ONNX Runtime; tests needing either skip without it).
"""

import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import cv2
import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dataset  # noqa: E402
import train  # noqa: E402
from dataset import DatasetError, SplitData, make_sample, read_classes  # noqa: E402
from evaluate import ap_per_class, detect  # noqa: E402
from loss import decode, simota_assign, yolox_loss  # noqa: E402
from yolox_onnx import ModelError, OnnxYolox, export_onnx, raw_outputs  # noqa: E402

SHARED = os.environ.get("RVM_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))
BASE_MODEL = os.path.join(SHARED, "models", "yolox_nano.onnx")
EDGE_BIN = os.environ.get("RVM_EDGE_BIN", "")

torch.set_num_threads(2)


def letterbox(img, size):
    t, _ = make_sample(img, np.zeros((0, 5), np.float32), size)
    return t[None]


def write_dataset(root, splits, classes=("can", "plastic_bottle")):
    """splits: {name: [(image array or bytes, label text or None)]}."""
    with open(os.path.join(root, "classes.txt"), "w") as f:
        f.write("\n".join(classes) + "\n")
    for split, items in splits.items():
        os.makedirs(os.path.join(root, split, "images"))
        os.makedirs(os.path.join(root, split, "labels"))
        for k, (img, label) in enumerate(items):
            path = os.path.join(root, split, "images", f"im{k}.jpg")
            if isinstance(img, bytes):
                with open(path, "wb") as f:
                    f.write(img)
            else:
                cv2.imwrite(path, img)
            if label is not None:
                with open(os.path.join(root, split, "labels", f"im{k}.txt"), "w") as f:
                    f.write(label)


def synthetic_item(rng, size=160):
    """A plain background with one can-like (red, squat) or bottle-like (pale, tall) box, and its label."""
    img = np.full((size, size, 3), rng.integers(60, 200), np.uint8)
    cls = int(rng.integers(0, 2))
    w, h = (0.3, 0.45) if cls == 0 else (0.22, 0.7)
    cx, cy = rng.uniform(w / 2 + 0.05, 1 - w / 2 - 0.05), rng.uniform(h / 2 + 0.05, 1 - h / 2 - 0.05)
    colour = (40, 40, 220) if cls == 0 else (230, 220, 200)
    cv2.rectangle(img, (int((cx - w / 2) * size), int((cy - h / 2) * size)),
                  (int((cx + w / 2) * size), int((cy + h / 2) * size)), colour, -1)
    return img, f"{cls} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n"


def synthetic_split(root, rng, n):
    """A training split of n `synthetic_item`s written under root, read back and checked."""
    write_dataset(root, {"train": [synthetic_item(rng) for _ in range(n)]})
    return SplitData(root, "train", read_classes(root))


def red_pixels(sample):
    """Where a sample tensor (CHW, BGR) shows the synthetic red item: red well above green."""
    out = sample.numpy().transpose(1, 2, 0)
    return (out[..., 2] - out[..., 1]) > 60


@unittest.skipUnless(os.path.isfile(BASE_MODEL), "shared models not found")
class ModuleFromOnnxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.net = OnnxYolox(BASE_MODEL).eval()

    def test_module_reproduces_the_onnx_graph_on_real_images(self):
        dnn = cv2.dnn.readNetFromONNX(BASE_MODEL)
        for name in ("misc/smartbin_bottle.jpg", "misc/nanodet_dog.jpg", "plain/" + sorted(
                os.listdir(os.path.join(SHARED, "images", "plain")))[0]):
            x = letterbox(cv2.imread(os.path.join(SHARED, "images", name)), 416)
            with torch.no_grad():
                ours = raw_outputs(self.net, x).numpy()
            dnn.setInput(x.numpy())
            ref = dnn.forward()
            self.assertEqual(ours.shape, (1, 3549, 85))
            self.assertLess(np.abs(ours - ref).max(), 2e-3, name)

    @unittest.skipUnless(os.path.isfile(EDGE_BIN), "RVM_EDGE_BIN not set")
    def test_module_detections_match_onnx_runtime_in_the_agent(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        for name in ("misc/smartbin_bottle.jpg", "misc/nanodet_dog.jpg"):
            # The photo letterboxed to the model's 416x416 and saved losslessly: the agent's own resize then
            # leaves it as it is, so both runtimes see exactly the same pixels.
            x = letterbox(cv2.imread(os.path.join(SHARED, "images", name)), 416)
            path = os.path.join(tmp.name, os.path.basename(name) + ".png")
            cv2.imwrite(path, x[0].numpy().transpose(1, 2, 0).astype(np.uint8))
            out = subprocess.run([EDGE_BIN, "detect", "--model", BASE_MODEL, "--labels",
                                  os.path.join(SHARED, "models", "coco.names"), "--conf", "0.3", "--json", path],
                                 check=True, capture_output=True, text=True).stdout
            theirs = json.loads(out.strip().splitlines()[0])["detections"]
            with torch.no_grad():
                xyxy, scores, labels = detect(self.net, x, conf=0.3)[0]
            ours = sorted(zip(labels.tolist(), scores.tolist(), xyxy.tolist()), key=lambda t: -t[1])
            self.assertEqual(len(ours), len(theirs), name)
            self.assertGreater(len(ours), 0)
            for (cls, score, box), d in zip(ours, sorted(theirs, key=lambda d: -d["score"])):
                self.assertEqual(cls, d["class_id"], name)
                self.assertAlmostEqual(score, d["score"], delta=0.01)
                b = d["box"]
                their_box = [b["x0"], b["y0"], b["x1"], b["y1"]] if isinstance(b, dict) else b
                np.testing.assert_allclose(box, their_box, atol=0.5)

    def test_new_classes_start_from_the_named_source_classes(self):
        net = OnnxYolox(BASE_MODEL)
        before = net.param("head.cls_preds.1.weight").detach().clone()
        net.replace_classes([41, 39])
        after = net.param("head.cls_preds.1.weight")
        self.assertEqual(tuple(after.shape[:2]), (2, before.shape[1]))
        torch.testing.assert_close(after[0], before[41])
        torch.testing.assert_close(after[1], before[39])
        with torch.no_grad():
            self.assertEqual(raw_outputs(net, torch.zeros(1, 3, 320, 320)).shape, (1, 2100, 7))

    def test_freezing_keeps_the_highest_resolution_layers_and_trains_the_rest(self):
        net = OnnxYolox(BASE_MODEL)
        net.replace_classes([41, 39])
        strides = net.conv_strides()
        self.assertEqual(sorted(set(strides.values())), [2, 4, 8, 16, 32])
        first = [n for n in net.nodes if n[0] == "Conv"][0][1][1]
        self.assertEqual(strides[first], 2)  # the stem
        self.assertEqual(strides["head.cls_preds.0.weight"], 8)
        early = sum(1 for s in strides.values() if s <= 4)
        self.assertEqual(net.freeze_convs(4), early)
        frozen = {k: p.detach().clone() for k, p in net.params.items() if not p.requires_grad}
        # The first layer after them, and every level's objectness (its loss covers all points), must move.
        moving = [next(w for w, s in strides.items() if s == 8)] + [f"head.obj_preds.{i}.weight" for i in range(3)]
        before = {name: net.param(name).detach().clone() for name in moving}
        self.assertEqual(len(frozen), 2 * early)  # weights and biases
        rng = np.random.default_rng(3)
        img, label = synthetic_item(rng)
        x, t = make_sample(img, np.array([[float(v) for v in label.split()]], np.float32), 128)
        train.train_step(net, train.make_optimizer(net, 1e-3), x[None], torch.from_numpy(t)[None], 2)
        for k, kept in frozen.items():
            self.assertTrue(torch.equal(net.params[k], kept), k)
        for name in moving:
            self.assertTrue(net.param(name).requires_grad, name)
            self.assertFalse(torch.equal(net.param(name), before[name]), name)

    def test_freezing_to_stride_8_keeps_the_backbones_first_stages_and_trains_the_neck_and_head(self):
        net = OnnxYolox(BASE_MODEL)
        strides = net.conv_strides()
        convs = [n[1][1] for n in net.nodes if n[0] == "Conv"]
        backbone = convs[:next(i for i, w in enumerate(convs) if strides[w] == 16)]
        self.assertEqual(net.freeze_convs(8), len(backbone))
        self.assertEqual({strides[w] for w in backbone}, {2, 4, 8})
        frozen = [w for w in convs if not net.param(w).requires_grad]
        self.assertEqual(frozen, backbone)
        # The neck and the head come back to stride 8 later: those layers, the class outputs among them, train.
        later_8 = [w for w in convs[len(backbone):] if strides[w] == 8]
        self.assertIn("head.cls_preds.0.weight", later_8)
        self.assertGreater(len(later_8), 12)
        self.assertTrue(all(net.param(w).requires_grad for w in later_8))

    def test_a_file_that_is_not_onnx_is_named_in_the_error(self):
        with tempfile.NamedTemporaryFile(suffix=".onnx") as f:
            f.write(b"not a model")
            f.flush()
            with self.assertRaisesRegex(ModelError, f.name):
                OnnxYolox(f.name)


class DatasetChecksTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.rng = np.random.default_rng(1)

    def tearDown(self):
        self.tmp.cleanup()

    def test_every_label_problem_is_named_with_its_file_and_line(self):
        img, good = synthetic_item(self.rng)
        write_dataset(self.root, {"train": [(img, good), (img, None), (img, "7 0.5 0.5 0.1 0.1\n"),
                                            (img, good + "0 0.5 0.5\n"), (img, "1 a b c d\n"),
                                            (img, "0 0.9 0.5 0.5 0.5\n")]})
        with self.assertRaises(DatasetError) as e:
            SplitData(self.root, "train", read_classes(self.root))
        msg = str(e.exception)
        self.assertIn("5 problem(s)", msg)
        self.assertIn("im1.txt: label file missing for image 'im1.jpg'", msg)
        self.assertIn("im2.txt:1: class id 7 out of range 0..1", msg)
        self.assertIn("im3.txt:2: expected 'class cx cy w h', found 3 fields", msg)
        self.assertIn("im4.txt:1: not numbers", msg)
        self.assertIn("im5.txt:1: box (0.9, 0.5, 0.5, 0.5) is not inside the image", msg)

    def test_a_byte_order_mark_is_not_part_of_a_class_name_or_a_label_line(self):
        img, good = synthetic_item(self.rng)
        write_dataset(self.root, {"train": [(img, good)]})
        for path, text in (("classes.txt", "can\nplastic_bottle\n"), ("train/labels/im0.txt", good)):
            with open(os.path.join(self.root, path), "w", encoding="utf-8-sig") as f:
                f.write(text)
        names = read_classes(self.root)
        self.assertEqual(names, ["can", "plastic_bottle"])
        self.assertEqual(len(SplitData(self.root, "train", names)), 1)

    def test_corrupt_images_are_skipped_and_counted(self):
        img, good = synthetic_item(self.rng)
        jpeg = cv2.imencode(".jpg", img)[1].tobytes()
        # OpenCV decodes a JPEG cut off before its end (the missing rows come out grey): it is skipped too.
        self.assertIsNotNone(cv2.imdecode(np.frombuffer(jpeg[:len(jpeg) // 2], np.uint8), cv2.IMREAD_COLOR))
        write_dataset(self.root, {"train": [(img, good), (b"\xff\xd8garbage", good), (jpeg[:len(jpeg) // 2], good),
                                            (jpeg + b"\0\0", good), (img, good)]})
        split = SplitData(self.root, "train", read_classes(self.root))
        with mock.patch("sys.stdout", new_callable=io.StringIO) as out:
            self.assertEqual(split.drop_undecodable(), 2)
        self.assertEqual(len(split), 3)  # bytes after the end-of-image marker are harmless
        self.assertIn("im1.jpg' cannot be decoded: skipped", out.getvalue())
        self.assertIn("im2.jpg' JPEG data is truncated: skipped", out.getvalue())

    def test_an_empty_split_or_missing_classes_is_fatal(self):
        write_dataset(self.root, {"train": [], "val": []})
        with self.assertRaisesRegex(DatasetError, "no images"):
            SplitData(self.root, "train", read_classes(self.root))
        os.remove(os.path.join(self.root, "classes.txt"))
        with self.assertRaisesRegex(DatasetError, "classes.txt is missing"):
            read_classes(self.root)

    def test_out_of_range_training_arguments_are_refused_naming_the_option(self):
        base = ["--data", "d", "--base-model", "m.onnx", "--out", "o.onnx"]
        for bad, option in ((["--mosaic", "1.5"], "--mosaic"), (["--mosaic-off-epochs", "-1"], "--mosaic-off-epochs"),
                            (["--size", "100"], "--size 100"), (["--workers", "-1"], "--workers"),
                            (["--multiscale", "-1"], "--multiscale -1"),
                            (["--size", "96", "--multiscale", "2"], "--multiscale 2"),
                            (["--size", "576", "--multiscale", "3"], "--multiscale 3"),
                            (["--freeze-stride", "3"], "--freeze-stride 3"),
                            (["--freeze-stride", "16"], "--freeze-stride 16"), (["--limit", "-5"], "--limit"),
                            (["--quarter-turn", "1.2"], "--quarter-turn 1.2"), (["--stretch", "0.7"], "--stretch 0.7"),
                            (["--stretch", "3"], "--stretch 3.0"),
                            (["--paste", "1.5"], "--paste 1.5"), (["--paste", "-0.1"], "--paste -0.1")):
            with self.subTest(bad=bad), mock.patch("sys.stderr", new_callable=io.StringIO) as err:
                with self.assertRaises(SystemExit) as ctx:
                    train.parse_args(base + bad)
                self.assertEqual(ctx.exception.code, 2)
                self.assertIn(option, err.getvalue())
        with mock.patch("sys.stderr", new_callable=io.StringIO) as err:
            self.assertEqual(train.main(base + ["--device", "nosuchdevice"]), 1)
        self.assertIn("--device nosuchdevice", err.getvalue())
        a = train.parse_args(base)
        self.assertEqual((a.size, a.epochs, a.mosaic, a.mosaic_off_epochs, a.multiscale, a.freeze_stride, a.device,
                          a.stretch, a.paste), (384, 30, 0.5, 4, 2, 4, "cpu", 1.0, 0.0))
        self.assertEqual(train.train_sizes(384, 2), [320, 352, 384, 416, 448])
        self.assertIsNone(train.train_sizes(384, 0))

    def test_the_training_command_reports_a_bad_dataset_and_exits_non_zero(self):
        img, _ = synthetic_item(self.rng)
        write_dataset(self.root, {"train": [(img, "3 0.5 0.5 0.2 0.2\n")], "val": [(img, None)]})
        with mock.patch("sys.stderr", new_callable=io.StringIO) as err:
            self.assertEqual(train.main(["--data", self.root, "--base-model", BASE_MODEL, "--out",
                                         os.path.join(self.root, "m.onnx"), "--work-dir", self.root]), 1)
        # The problems of both splits, not only the first split's.
        self.assertIn("im0.txt:1: class id 3 out of range 0..1", err.getvalue())
        self.assertIn("im0.txt: label file missing for image 'im0.jpg'", err.getvalue())

    def test_missing_base_model_class_names_name_the_file_and_option(self):
        rng = np.random.default_rng(4)
        write_dataset(self.root, {"train": [synthetic_item(rng)], "val": [synthetic_item(rng)]})
        with mock.patch("sys.stderr", new_callable=io.StringIO) as err:
            self.assertEqual(train.main(["--data", self.root, "--base-model", BASE_MODEL, "--base-labels",
                                         os.path.join(self.root, "none.names"), "--out",
                                         os.path.join(self.root, "m.onnx"), "--work-dir", self.root]), 1)
        self.assertIn("none.names' (--base-labels)", err.getvalue())


class AugmentationTest(unittest.TestCase):
    def test_boxes_follow_the_pixels_through_every_augmentation(self):
        rng = np.random.default_rng(3)
        checked = 0
        for k in range(60):
            img = np.full((200, 300, 3), 114, np.uint8)
            x0, y0, x1, y1 = 120, 40, 180, 170
            img[y0:y1, x0:x1] = (0, 0, 255)
            label = np.array([[0, (x0 + x1) / 600, (y0 + y1) / 400, (x1 - x0) / 300, (y1 - y0) / 200]], np.float32)
            t, boxes = make_sample(img, label, 320, np.random.default_rng([7, k]))
            if len(boxes) != 1:
                continue
            # Where the red item landed, measured on the output before photometric changes would blur it:
            # the box must cover the item's pixels (a redness map) and not be much larger.
            red = red_pixels(t)
            ys, xs = np.nonzero(red)
            if len(xs) < 50:
                continue
            _, cx, cy, w, h = boxes[0]
            self.assertLessEqual(cx - w / 2, xs.min() + 3)
            self.assertGreaterEqual(cx + w / 2, xs.max() - 3)
            self.assertLessEqual(cy - h / 2, ys.min() + 3)
            self.assertGreaterEqual(cy + h / 2, ys.max() - 3)
            self.assertLess(w * h, 1.6 * (xs.ptp() + 1) * (ys.ptp() + 1))
            checked += 1
        self.assertGreater(checked, 30)
        del rng

    def test_after_flips_and_quarter_turns_the_box_sits_on_its_items_pixels(self):
        # At scale 1 and a whole-pixel shift every warp is exact, so the box must be centred on the item's
        # pixels to a fraction of a pixel (blur spreads the item both ways alike); flips and turns included.
        img = np.full((320, 320, 3), 114, np.uint8)
        x0, y0, x1, y1 = 120, 40, 180, 170
        img[y0:y1, x0:x1] = (0, 0, 255)
        label = np.array([[0, (x0 + x1) / 640, (y0 + y1) / 640, (x1 - x0) / 320, (y1 - y0) / 320]], np.float32)
        shift = np.array([[1, 0, 7], [0, 1, 3]], np.float64)
        checked, moved = 0, set()
        for k in range(60):
            t, boxes = dataset.augment(img, label, 320, np.random.default_rng([12, k]), shift,
                                       dataset.Augmentation(quarter_turn=0.5))
            red = red_pixels(t)
            xs, ys = np.nonzero(red.sum(0) >= 10)[0], np.nonzero(red.sum(1) >= 10)[0]  # not stray noise
            if len(boxes) != 1 or len(xs) < 10:
                continue  # turned grey
            _, cx, cy, w, h = boxes[0]
            self.assertAlmostEqual(cx, (xs.min() + xs.max() + 1) / 2, delta=0.25)
            self.assertAlmostEqual(cy, (ys.min() + ys.max() + 1) / 2, delta=0.25)
            moved.add((round(float(cx)), round(float(cy))))
            checked += 1
        self.assertGreater(checked, 40)
        self.assertGreaterEqual(len(moved), 4)  # flipped and turned ways, not one placement

    def standing_item_samples(self, seed, min_pixels, **augmentation):
        """40 augmented samples of a standing red item (60 wide, 130 high) that the frame does not cut: per
        sample its box and the columns and rows of its pixels; the box is checked to lie on those pixels."""
        out = []
        for k in range(40):
            img = np.full((200, 300, 3), 114, np.uint8)
            img[40:170, 120:180] = (0, 0, 255)
            label = np.array([[0, 0.5, 0.525, 0.2, 0.65]], np.float32)
            t, boxes = make_sample(img, label, 320, np.random.default_rng([seed, k]),
                                   dataset.Augmentation(**augmentation))
            ys, xs = np.nonzero(red_pixels(t))
            if len(boxes) != 1 or len(xs) < min_pixels or xs.min() == 0 or ys.min() == 0 or \
                    xs.max() == 319 or ys.max() == 319:
                continue  # cut by the frame or turned grey
            _, cx, cy, w, h = boxes[0]
            for edge, pixel in ((cx - w / 2, xs.min()), (cx + w / 2, xs.max() + 1), (cy - h / 2, ys.min()),
                                (cy + h / 2, ys.max() + 1)):
                self.assertLess(abs(edge - pixel), 4)
            out.append((boxes[0], xs, ys))
        return out

    def test_a_quarter_turn_lays_the_item_on_its_side_and_its_box_with_it(self):
        samples = self.standing_item_samples(8, 50, quarter_turn=1.0)
        for (_, _, _, w, h), xs, ys in samples:
            self.assertGreater(w, 1.5 * h)
            self.assertGreater(xs.ptp(), 1.5 * ys.ptp())
        self.assertGreater(len(samples), 20)

    def test_stretch_changes_the_items_proportions_within_its_range_and_the_box_follows(self):
        def proportions(stretch):
            """The length/width of the item's pixels along its own axes (rotation-free), per sample."""
            out = []
            for _, xs, ys in self.standing_item_samples(21, 200, stretch=stretch):
                small, large = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(np.float64)))
                out.append(math.sqrt(large / small) / (130 / 60))
            self.assertGreater(len(out), 25)
            return np.array(out)

        plain, stretched = proportions(1.0), proportions(1.4)
        self.assertTrue(np.all(np.abs(plain - 1) < 0.08), plain)
        self.assertTrue(np.all((stretched > 1 / 1.4 - 0.08) & (stretched < 1.4 + 0.08)), stretched)
        self.assertLess(stretched.min(), 0.85)
        self.assertGreater(stretched.max(), 1.18)

    def test_hue_turns_by_at_most_ten_degrees_and_saturation_scales_by_half_to_one_and_a_half(self):
        img = np.zeros((8, 8, 3), np.uint8)
        img[:4] = (40, 80, 200)  # a red can: hue 7 of OpenCV's 0-179, saturation 204
        img[4:] = (128, 128, 128)  # grey: no hue, no saturation
        before = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(int)
        turns, scales = set(), []
        for k in range(200):
            after = cv2.cvtColor(dataset.hue_saturation(img, np.random.default_rng([9, k])), cv2.COLOR_BGR2HSV)
            after = after.astype(int)
            turn = (after[0, 0, 0] - before[0, 0, 0] + 90) % 180 - 90
            self.assertLessEqual(abs(turn), dataset.HUE_STEPS + 1)  # +1: rounding through BGR
            turns.add(turn)
            scales.append(after[0, 0, 1] / before[0, 0, 1])
            self.assertEqual(after[0, 0, 2], before[0, 0, 2])  # brightness is left to the other changes
            self.assertLessEqual(after[4:, :, 1].max(), 1)  # grey stays grey
        self.assertTrue(min(turns) < -2 and max(turns) > 2)  # both ways
        self.assertGreater(min(scales), dataset.SATURATION_SCALE[0] - 0.02)
        self.assertLess(max(scales), 255 / 204 + 0.02)  # above 1.25 the saturation is clipped at 255
        self.assertTrue(min(scales) < 0.6 and max(scales) > 1.2)

    def test_mosaic_boxes_follow_the_pixels_of_each_photo(self):
        checked = 0
        for k in range(40):
            rng = np.random.default_rng([11, k])
            parts = []
            for _ in range(4):
                h, w = int(rng.integers(150, 300)), int(rng.integers(150, 300))
                img = np.full((h, w, 3), 114, np.uint8)
                x0, y0 = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
                x1, y1 = x0 + w // 3, y0 + h // 3
                img[y0:y1, x0:x1] = (0, 0, 255)
                parts.append((img, np.array([[0, (x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w,
                                               (y1 - y0) / h]], np.float32)))
            t, boxes = dataset.make_mosaic(parts, 320, rng)
            self.assertEqual(tuple(t.shape), (3, 320, 320))
            red = red_pixels(t)
            if red.sum() < 200:  # turned grey by the photometric changes
                continue
            # Each box lies on one photo's item: mostly red inside, and the red outside every box is
            # only what cut-off remnants leave (a box cut to under a quarter of its area is dropped).
            covered = np.zeros_like(red)
            for _, cx, cy, w, h in boxes:
                bx0, by0 = int(max(cx - w / 2, 0)), int(max(cy - h / 2, 0))
                bx1, by1 = int(min(cx + w / 2, 320)), int(min(cy + h / 2, 320))
                self.assertGreater(red[by0:by1, bx0:bx1].mean(), 0.6)
                covered[by0:by1, bx0:bx1] = True
                checked += 1
            self.assertLess((red & ~covered).sum(), 0.35 * red.sum())
        self.assertGreater(checked, 60)

    def test_a_mosaic_sample_is_reproducible_and_after_the_mosaic_epochs_single_photos_return(self):
        rng = np.random.default_rng(4)
        with tempfile.TemporaryDirectory() as d:
            split = synthetic_split(d, rng, 6)
            ts = dataset.TrainSet(split, 128, seed=3, mosaic=1.0, mosaic_epochs=2)
            a, b = ts[(1, 2)], ts[(1, 2)]
            torch.testing.assert_close(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])
            self.assertGreater(len(a[1]), 1)  # items of several photos
            single = make_sample(split.read(2), split.labels[2], 128, np.random.default_rng([3, 2, 2]))
            torch.testing.assert_close(ts[(2, 2)][0], single[0])  # epoch 2: mosaics are over

    def test_a_pasted_item_is_the_donors_item_boxed_where_it_lands_beside_the_hosts_items(self):
        pasted = 0
        for k in range(30):
            rng = np.random.default_rng([12, k])
            host = np.full((240, 320, 3), 90, np.uint8)
            host[40:200, 20:100] = (230, 220, 200)  # a pale bottle, boxed
            host_labels = np.array([[1, 60 / 320, 120 / 240, 80 / 320, 160 / 240]], np.float32)
            donor = np.full((200, 200, 3), 30, np.uint8)
            donor[50:150, 70:130] = (0, 0, 255)  # a red can, 60 x 100
            donor_labels = np.array([[0, 0.5, 0.5, 0.3, 0.5]], np.float32)
            before = host.copy()
            out, labels = dataset.paste_item(host, host_labels, donor, donor_labels, rng)
            np.testing.assert_array_equal(host, before)  # the host photo itself is not changed
            if len(labels) == 1:  # no place found: nothing pasted
                np.testing.assert_array_equal(out, host)
                continue
            pasted += 1
            self.assertEqual(len(labels), 2)
            np.testing.assert_array_equal(labels[0], host_labels[0])
            cls, cx, cy, w, h = labels[1]
            self.assertEqual(cls, 0)
            x0, y0, x1, y1 = (cx - w / 2) * 320, (cy - h / 2) * 240, (cx + w / 2) * 320, (cy + h / 2) * 240
            self.assertTrue(0 <= x0 and x1 <= 320 and 0 <= y0 and y1 <= 240)
            self.assertAlmostEqual((x1 - x0) / (y1 - y0), 0.6, delta=0.05)  # the donor's proportions
            longer = max(x1 - x0, y1 - y0) / 240
            self.assertTrue(dataset.PASTE_SIZE[0] - 0.02 <= longer <= dataset.PASTE_SIZE[1] + 0.02, longer)
            # The box is filled with the can's red but for its faded edges, and red is nowhere else.
            inner = out[int(y0 + 0.1 * (y1 - y0)) + 1:int(y1 - 0.1 * (y1 - y0)),
                        int(x0 + 0.1 * (x1 - x0)) + 1:int(x1 - 0.1 * (x1 - x0))].reshape(-1, 3)
            np.testing.assert_allclose(inner, np.broadcast_to([0, 0, 255], inner.shape), atol=2)
            red = (out[..., 2].astype(int) - out[..., 1]) > 100
            outside = red.copy()
            outside[int(y0):int(math.ceil(y1)), int(x0):int(math.ceil(x1))] = False
            self.assertFalse(outside.any())
            # The bottle stays in view: at most PASTE_MAX_COVER of its box is covered.
            ix = max(0.0, min(x1, 100) - max(x0, 20))
            iy = max(0.0, min(y1, 200) - max(y0, 40))
            self.assertLessEqual(ix * iy, dataset.PASTE_MAX_COVER * 80 * 160 + 1)
        self.assertGreater(pasted, 20)
        rng = np.random.default_rng(1)
        out, labels = dataset.paste_item(host, host_labels, donor, np.zeros((0, 5), np.float32), rng)
        self.assertIs(out, host)  # a donor without items gives nothing
        self.assertEqual(len(labels), 1)

    def test_paste_draws_nothing_when_off_and_only_in_the_mosaic_epochs(self):
        rng = np.random.default_rng(6)
        with tempfile.TemporaryDirectory() as d:
            split = synthetic_split(d, rng, 8)
            plain = dataset.TrainSet(split, 128, seed=3, mosaic=0.0, mosaic_epochs=2)
            pasting = dataset.TrainSet(split, 128, seed=3, mosaic=0.0, mosaic_epochs=2,
                                       aug=dataset.Augmentation(paste=1.0))
            for i in range(8):
                # Off, the sample is the one the generator gave before paste existed.
                expected = make_sample(split.read(i), split.labels[i], 128, np.random.default_rng([3, 0, i]))
                got = plain[(0, i)]
                torch.testing.assert_close(got[0], expected[0])
                np.testing.assert_array_equal(got[1], expected[1])
                # After the mosaic epochs, paste is off too.
                torch.testing.assert_close(pasting[(2, i)][0], plain[(2, i)][0])
            more = sum(len(pasting[(0, i)][1]) > len(plain[(0, i)][1]) for i in range(8))
            self.assertGreater(more, 0)  # in the mosaic epochs, items are added
            again = pasting[(1, 3)]
            torch.testing.assert_close(again[0], pasting[(1, 3)][0])  # and reproducibly

    def test_each_epoch_is_a_seeded_shuffle_whose_keys_carry_the_epoch(self):
        order = dataset.EpochOrder(50, seed=1)
        first = list(order)
        self.assertEqual(first, list(order))
        self.assertEqual(sorted(i for _, i in first), list(range(50)))
        self.assertTrue(all(e == 0 for e, _ in first))
        order.epoch = 1
        second = list(order)
        self.assertTrue(all(e == 1 for e, _ in second))
        self.assertNotEqual([i for _, i in first], [i for _, i in second])

    def test_with_sizes_each_run_of_batches_is_at_one_drawn_input_size(self):
        order = dataset.EpochOrder(500, seed=1, batch=4, sizes=[64, 96, 128])
        keys = list(order)
        self.assertEqual(keys, list(order))
        self.assertEqual([(e, i) for e, i, _ in keys], list(dataset.EpochOrder(500, seed=1)))  # same shuffle
        run = 4 * dataset.SIZE_RUN_BATCHES
        per_run = [{s for _, _, s in keys[b:b + run]} for b in range(0, 500, run)]
        self.assertTrue(all(len(s) == 1 for s in per_run))  # so every batch is at one size
        self.assertEqual(set.union(*per_run), {64, 96, 128})
        rng = np.random.default_rng(5)
        with tempfile.TemporaryDirectory() as d:
            ts = dataset.TrainSet(synthetic_split(d, rng, 2), 128, seed=3)
            t, boxes = ts[(0, 1, 96)]
            self.assertEqual(tuple(t.shape), (3, 96, 96))
            self.assertTrue(len(boxes) and (boxes[:, 1:3] <= 96).all())
            self.assertEqual(tuple(ts[(0, 1)][0].shape), (3, 128, 128))

    def test_without_augmentation_the_sample_is_the_agents_letterbox(self):
        img = np.zeros((100, 200, 3), np.uint8)
        t, boxes = make_sample(img, np.array([[1, 0.5, 0.5, 0.5, 0.5]], np.float32), 320)
        out = t.numpy()
        self.assertTrue((out[:, 160:, :] == dataset.PAD_VALUE).all())
        self.assertTrue((out[:, :160, :] == 0).all())
        np.testing.assert_allclose(boxes[0], [1, 160, 80, 160, 80], atol=1e-4)


@unittest.skipUnless(os.path.isfile(BASE_MODEL), "shared models not found")
class LossTest(unittest.TestCase):
    def test_simota_assigns_points_inside_the_box_to_it(self):
        net = OnnxYolox(BASE_MODEL)
        net.replace_classes([41, 39])
        img = np.full((320, 320, 3), 114, np.uint8)
        with torch.no_grad():
            boxes, obj, cls, grid = decode(net(torch.from_numpy(img.transpose(2, 0, 1))[None].float()))
        gt = torch.tensor([[1.0, 100, 150, 60, 200]])
        fg, match, ious = simota_assign(boxes[0], obj[0], cls[0], gt, grid, 2)
        self.assertGreater(int(fg.sum()), 0)
        gx, gy, s = grid
        cx, cy = (gx[fg] + 0.5) * s[fg], (gy[fg] + 0.5) * s[fg]
        self.assertTrue(((cx > 70) & (cx < 130) & (cy > 50) & (cy < 250)).all())
        self.assertTrue((match[fg] == 0).all())

    def test_training_steps_lower_the_loss_and_find_the_items(self):
        torch.manual_seed(0)
        rng = np.random.default_rng(5)
        net = OnnxYolox(BASE_MODEL)
        net.replace_classes([41, 39])
        items = [synthetic_item(rng) for _ in range(8)]
        batch = []
        for img, label in items:
            vals = np.array([[float(v) for v in label.split()]], np.float32)
            batch.append(make_sample(img, vals, 128))
        images = torch.stack([b[0] for b in batch])
        targets = torch.stack([torch.from_numpy(b[1]) for b in batch])
        opt = train.make_optimizer(net, 2e-4)
        with torch.no_grad():
            first, _ = yolox_loss(net(images), targets, 2)
        for _ in range(30):
            loss, _ = train.train_step(net, opt, images, targets, 2)
        net.eval()
        self.assertLess(float(loss), 0.6 * first)
        aps = ap_per_class(detect(net, images), [t.numpy() for t in targets], 2)
        self.assertGreater(np.nanmean(aps), 0.8)


@unittest.skipUnless(os.path.isfile(BASE_MODEL), "shared models not found")
class ExportAndResumeTest(unittest.TestCase):
    def test_export_writes_the_yolox_layout_with_names(self):
        net = OnnxYolox(BASE_MODEL)
        net.replace_classes([41, 39])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            export_onnx(net, path, 320, ["can", "plastic_bottle"])
            m = onnx.load(path)
            meta = {p.key: p.value for p in m.metadata_props}
            self.assertEqual(json.loads(meta["names"]), ["can", "plastic_bottle"])
            self.assertEqual(m.graph.input[0].name, "images")
            self.assertEqual([x.dim_value for x in m.graph.output[0].type.tensor_type.shape.dim], [1, 2100, 7])
            x = torch.from_numpy(np.random.default_rng(0).uniform(0, 255, (1, 3, 320, 320)).astype(np.float32))
            dnn = cv2.dnn.readNetFromONNX(path)
            dnn.setInput(x.numpy())
            with torch.no_grad():
                np.testing.assert_allclose(dnn.forward(), raw_outputs(net.eval(), x).numpy(), atol=2e-3)

    def test_training_resumes_after_an_interruption_and_is_reproducible(self):
        rng = np.random.default_rng(2)
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "data")
            os.makedirs(data)
            write_dataset(data, {"train": [synthetic_item(rng) for _ in range(8)],
                                 "val": [synthetic_item(rng) for _ in range(4)]})
            common = ["--data", data, "--base-model", BASE_MODEL, "--size", "96", "--multiscale", "1", "--batch", "4",
                      "--threads", "2"]
            one = common + ["--out", os.path.join(d, "a.onnx"), "--work-dir", os.path.join(d, "a")]
            # Two epochs in one go, and one epoch then a second run that resumes: the same weights.
            self.assertEqual(train.main(one + ["--epochs", "2"]), 0)
            two = common + ["--out", os.path.join(d, "b.onnx"), "--work-dir", os.path.join(d, "b")]
            ck = os.path.join(d, "b", train.CHECKPOINT)
            self.assertEqual(train.main(two + ["--epochs", "2", "--stop-after", "1"]), 0)
            self.assertEqual(torch.load(ck)["epoch"], 0)
            self.assertFalse(os.path.exists(os.path.join(d, "b.onnx")))
            self.assertEqual(train.main(two + ["--epochs", "2"]), 0)
            wa = torch.load(os.path.join(d, "a", train.CHECKPOINT))["ema"]
            wb = torch.load(ck)["ema"]
            for k in wa:
                torch.testing.assert_close(wa[k], wb[k], rtol=0, atol=1e-6)
            with open(os.path.join(d, "b", "history.json")) as f:
                hist = json.load(f)
            self.assertEqual([h["epoch"] for h in hist], [1, 2])
            # Other arguments against the same checkpoint are refused rather than mixed, naming what differs.
            with mock.patch("sys.stderr", new_callable=io.StringIO) as err:
                self.assertEqual(train.main(two + ["--epochs", "3"]), 1)
            self.assertIn("epochs (2 then, 3 now)", err.getvalue())
            # So is other data at the same path: a photo added to the training split.
            img, label = synthetic_item(rng)
            cv2.imwrite(os.path.join(data, "train", "images", "extra.jpg"), img)
            with open(os.path.join(data, "train", "labels", "extra.txt"), "w") as f:
                f.write(label)
            with mock.patch("sys.stderr", new_callable=io.StringIO) as err:
                self.assertEqual(train.main(two + ["--epochs", "2"]), 1)
            self.assertIn("the data or base model (inputs)", err.getvalue())
            # And a checkpoint made by other training code: `make model` trains anew, naming why.
            os.remove(os.path.join(data, "train", "images", "extra.jpg"))
            with mock.patch("sys.stderr", new_callable=io.StringIO) as err, \
                    mock.patch.object(train, "code_digest", return_value="other"):
                self.assertEqual(train.main(two + ["--epochs", "2"]), 1)
            self.assertIn("the training code (code)", err.getvalue())
            self.assertNotIn("inputs", err.getvalue())


if __name__ == "__main__":
    unittest.main()
