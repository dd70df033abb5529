"""YOLOX as a PyTorch module read from a YOLOX ONNX export, and its export back to ONNX.

`OnnxYolox` runs the ONNX graph's own nodes (Conv, SiLU as Sigmoid*Mul, Focus slicing, SPP max-pools,
nearest upsampling, concatenations) with every convolution's weight and bias as a trainable parameter.
Batch norm is already folded into the convolutions of such an export, so the module is exactly the
network ONNX Runtime runs, with nothing re-implemented from a paper: `forward` returns, per output
stride (8, 16, 32), the raw box regression [B,4,H,W], objectness logit [B,1,H,W] and class logits
[B,C,H,W], which the loss needs before any sigmoid.

`replace_classes` swaps the class convolutions (`head.cls_preds.K`) for ones with the dataset's classes,
each initialised from a related class of the source model (e.g. COCO `bottle` for `plastic_bottle`).

`export_onnx` writes the YOLOX layout the agent reads: input `images` [1,3,S,S] raw BGR 0-255 (letterbox
at top-left, pad 114), output `output` [1,N,5+C] with per anchor point raw cx,cy,w,h (grid decode over
strides 8,16,32 left to the reader), sigmoid objectness and sigmoid class scores, and the class names in
the `names` metadata as a JSON list.
"""

import inspect
import json
import os

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

STRIDES = (8, 16, 32)
_HEAD_PREFIXES = ("head.reg_preds.", "head.obj_preds.", "head.cls_preds.")


class ModelError(Exception):
    """The source model cannot be read as a YOLOX export; the message names the file and the problem."""


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _param_name(name):
    return name.replace(".", "_").replace(":", "_")


class OnnxYolox(torch.nn.Module):
    """A YOLOX ONNX export as a trainable module (see the module docstring)."""

    def __init__(self, path):
        super().__init__()
        try:
            model = onnx.load(path)
        except Exception as e:  # onnx raises DecodeError, OSError, ...
            raise ModelError(f"model '{path}': cannot be read as ONNX: {e}") from e
        graph = model.graph
        inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        if len(graph.input) != 1:
            raise ModelError(f"model '{path}': expected one input, found {len(graph.input)}")
        self.input_name = graph.input[0].name
        dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
        if len(dims) != 4 or dims[1] != 3 or dims[2] != dims[3] or dims[2] <= 0:
            raise ModelError(f"model '{path}': input shape {dims} is not [1,3,S,S]")
        self.source_input_size = dims[2]

        # The three head convolutions per stride, found by their initializer names.
        head = {}
        for node in graph.node:
            if node.op_type == "Conv" and len(node.input) >= 2:
                for prefix in _HEAD_PREFIXES:
                    if node.input[1].startswith(prefix):
                        level = int(node.input[1][len(prefix):].split(".")[0])
                        head[(prefix, level)] = node
        levels = sorted({lvl for (_, lvl) in head})
        if levels != [0, 1, 2] or len(head) != 9:
            raise ModelError(f"model '{path}': no YOLOX head (head.reg_preds/obj_preds/cls_preds 0..2) found")
        self.head_outputs = [[head[(p, lvl)].output[0] for p in _HEAD_PREFIXES] for lvl in levels]
        self.num_classes = int(inits[head[("head.cls_preds.", 0)].input[1]].shape[0])

        # Keep only the nodes the head outputs depend on (the export's decode tail is rebuilt on export).
        producer = {out: n for n in graph.node for out in n.output}
        needed, stack = set(), [t for lvl in self.head_outputs for t in lvl]
        while stack:
            t = stack.pop()
            n = producer.get(t)
            if n is None or id(n) in needed:
                continue
            needed.add(id(n))
            stack.extend(n.input)
        self.nodes = []
        self.params = torch.nn.ParameterDict()
        self.consts = {}
        for n in graph.node:
            if id(n) not in needed:
                continue
            a = _attrs(n)
            if n.op_type not in ("Conv", "Sigmoid", "Mul", "Add", "Concat", "Slice", "MaxPool", "Resize"):
                raise ModelError(f"model '{path}': operator {n.op_type} ({n.name or n.output[0]}) is not supported")
            if n.op_type == "Conv":
                for t in n.input[1:]:
                    self.params[_param_name(t)] = torch.nn.Parameter(torch.from_numpy(inits[t].copy()))
            else:
                for t in n.input[1:]:
                    if t in inits:
                        self.consts[t] = inits[t]
            self.nodes.append((n.op_type, list(n.input), n.output[0], a))

    def param(self, name):
        return self.params[_param_name(name)]

    def forward(self, x):
        env = self._run(x)
        return [tuple(env[t] for t in lvl) for lvl in self.head_outputs]

    def conv_strides(self, size=64):
        """Each convolution's weight name -> the stride of its output relative to the input (2 = half size)."""
        with torch.no_grad():
            env = self._run(torch.zeros(1, 3, size, size, device=next(self.parameters()).device))
        return {ins[1]: size // env[out].shape[-1] for op, ins, out, _ in self.nodes if op == "Conv"}

    def freeze_convs(self, max_stride):
        """Keeps the weights of the first convolutions, those before the first whose output is at a stride
        above max_stride, as they are (no gradient); returns how many convolutions that is. These are the
        backbone's first, highest-resolution stages: the neck and the head, which come back up to stride 8
        later in the graph, keep training."""
        strides, frozen = self.conv_strides(), 0
        for op, ins, _, _ in self.nodes:
            if op != "Conv":
                continue
            if strides[ins[1]] > max_stride:
                break
            for t in ins[1:]:
                self.param(t).requires_grad_(False)
            frozen += 1
        return frozen

    def _run(self, x):
        env = {self.input_name: x}
        for op, ins, out, a in self.nodes:
            if op == "Conv":
                w = self.param(ins[1])
                b = self.param(ins[2]) if len(ins) > 2 else None
                p = a.get("pads", [0, 0, 0, 0])
                env[out] = F.conv2d(env[ins[0]], w, b, stride=a.get("strides", [1, 1]), padding=(p[0], p[1]),
                                    dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
            elif op == "Sigmoid":
                env[out] = torch.sigmoid(env[ins[0]])
            elif op == "Mul":
                env[out] = env[ins[0]] * env[ins[1]]
            elif op == "Add":
                env[out] = env[ins[0]] + env[ins[1]]
            elif op == "Concat":
                env[out] = torch.cat([env[t] for t in ins], dim=a["axis"])
            elif op == "Slice":
                starts, ends, axes, steps = (int(self.consts[t][0]) for t in ins[1:5])
                index = [slice(None)] * env[ins[0]].dim()
                index[axes] = slice(starts, None if ends >= 2**62 else ends, steps)
                env[out] = env[ins[0]][tuple(index)]
            elif op == "MaxPool":
                p = a["pads"]
                env[out] = F.max_pool2d(env[ins[0]], a["kernel_shape"], a["strides"], (p[0], p[1]))
            elif op == "Resize":
                scales = self.consts[ins[2]]
                env[out] = F.interpolate(env[ins[0]], scale_factor=float(scales[2]), mode="nearest")
        return env

    def replace_classes(self, init_from):
        """Gives the head len(init_from) classes; class k starts as the source class init_from[k]."""
        for lvl in range(3):
            for suffix in ("weight", "bias"):
                name = f"head.cls_preds.{lvl}.{suffix}"
                old = self.param(name).detach()
                self.params[_param_name(name)] = torch.nn.Parameter(old[list(init_from)].clone())
        self.num_classes = len(init_from)


class _ExportHead(torch.nn.Module):
    """The YOLOX decode tail: per level [reg, sigmoid(obj), sigmoid(cls)] flattened to [B,N,5+C]."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        outs = []
        for reg, obj, cls in self.net(x):
            o = torch.cat([reg, torch.sigmoid(obj), torch.sigmoid(cls)], dim=1)
            outs.append(o.flatten(start_dim=2))
        return torch.cat(outs, dim=2).permute(0, 2, 1)


def raw_outputs(net, images):
    """[B,N,5+C] in the exported layout, for comparing with a runtime's output."""
    return _ExportHead(net)(images)


def export_onnx(net, path, input_size, names, extra_metadata=None):
    """Writes `net` as a YOLOX-layout ONNX file with `names` in its metadata (see the module docstring).
    The file appears whole or not at all: it is written beside `path` and renamed over it."""
    net.eval()
    dummy = torch.zeros(1, 3, input_size, input_size)
    tmp = f"{path}.tmp"
    # The TorchScript exporter (newer PyTorch defaults to another one, which would need other packages).
    kwargs = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(_ExportHead(net), dummy, tmp, input_names=["images"], output_names=["output"],
                          opset_version=11, do_constant_folding=True, **kwargs)
    model = onnx.load(tmp)
    metadata = {"names": json.dumps(list(names)), "family": "yolox"}
    metadata.update(extra_metadata or {})
    for k, v in metadata.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(model)
    onnx.save(model, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def grid_for(input_size, device=None):
    """Anchor-point centres' grid (x, y) and stride per output row, in the order of the exported output."""
    xs, ys, ss = [], [], []
    for s in STRIDES:
        n = input_size // s
        gy, gx = torch.meshgrid(torch.arange(n, device=device), torch.arange(n, device=device), indexing="ij")
        xs.append(gx.flatten())
        ys.append(gy.flatten())
        ss.append(torch.full((n * n,), s, device=device))
    return torch.cat(xs).float(), torch.cat(ys).float(), torch.cat(ss).float()

