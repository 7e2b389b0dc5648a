"""Two small Fashion-MNIST CNNs for haqm's "real model on real data" tests, plus the shared data
helpers (IDX reading, the input preprocessing) and PyTorch eager-mode post-training quantization.

Both nets take a normalized 1x28x28 image: x = (pixel / 255 - MEAN) / STD (see `preprocess`).
They are written for PyTorch eager-mode PTQ: a QuantStub at the input and a DeQuantStub at the
output, every conv-BN(-ReLU) as separate fusable submodules (listed by `fuse_model`), residual adds
and the squeeze-excite multiply through nn.quantized.FloatFunctional, one activation module per use
(each gets its own observer).

Run with /usr/bin/python3 (Debian's python3-torch 1.13).
"""
import gzip
import struct

import numpy as np
import torch
import torch.nn as nn
from torch.ao.quantization import (DeQuantStub, MinMaxObserver, PerChannelMinMaxObserver, QConfig,
                                   QuantStub)

MEAN = 0.2860
STD = 0.3530
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
          "Ankle boot"]
DATA_DIR = "/usr/share/datasets/fashion-mnist"
MODEL_NAMES = ("fashion_resnet", "fashion_mobilenet_v3")


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

def read_idx(path):
    """An IDX file (optionally gzip-compressed) as a numpy uint8 array of its declared shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack_from(">HBB", data, 0)
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {zero:#x} {dtype_code:#x})")
    dims = struct.unpack_from(">" + "I" * ndim, data, 4)
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - offset != count:
        raise ValueError(f"{path}: {len(data) - offset} data bytes, header says {count}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims).copy()


def load_split(split, data_dir=DATA_DIR):
    """(images uint8 [N, 28, 28], labels uint8 [N]) of 'train' (60000) or 't10k' (10000)."""
    images = read_idx(f"{data_dir}/{split}-images-idx3-ubyte.gz")
    labels = read_idx(f"{data_dir}/{split}-labels-idx1-ubyte.gz")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels


def preprocess(images_u8):
    """uint8 [N, 28, 28] -> float32 tensor [N, 1, 28, 28] = (pixel / 255 - MEAN) / STD, computed in
    float32 in exactly this order (divide by 255, subtract MEAN, divide by STD)."""
    x = torch.from_numpy(np.ascontiguousarray(images_u8)).to(torch.float32).unsqueeze(1)
    x = x / 255.0
    x = x - torch.tensor(MEAN, dtype=torch.float32)
    x = x / torch.tensor(STD, dtype=torch.float32)
    return x


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------

class ConvBN(nn.Sequential):
    """conv -> BN [-> activation]; children named "0", "1", "2" so fuse_model can list them.
    `act` is "relu", "hardswish" or None. conv+BN+ReLU and conv+BN fuse; hardswish stays separate."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1, act="relu"):
        layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout)]
        if act == "relu":
            layers.append(nn.ReLU(inplace=False))
        elif act == "hardswish":
            layers.append(nn.Hardswish())
        elif act is not None:
            raise ValueError(act)
        super().__init__(*layers)
        self.act = act

    def fuse_groups(self, prefix):
        if self.act == "relu":
            return [[f"{prefix}.0", f"{prefix}.1", f"{prefix}.2"]]
        return [[f"{prefix}.0", f"{prefix}.1"]]


class BasicBlock(nn.Module):
    """ResNet basic block: conv3x3-BN-ReLU, conv3x3-BN, + shortcut (identity, or 1x1 conv-BN when
    the stride or width changes), ReLU after the add."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvBN(cin, cout, 3, stride, act="relu")
        self.conv2 = ConvBN(cout, cout, 3, 1, act=None)
        self.downsample = ConvBN(cin, cout, 1, stride, act=None) if (stride != 1 or cin != cout) else None
        self.add_relu = nn.quantized.FloatFunctional()

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.conv2(self.conv1(x))
        return self.add_relu.add_relu(out, identity)

    def fuse_groups(self, prefix):
        groups = self.conv1.fuse_groups(f"{prefix}.conv1") + self.conv2.fuse_groups(f"{prefix}.conv2")
        if self.downsample is not None:
            groups += self.downsample.fuse_groups(f"{prefix}.downsample")
        return groups


class SqueezeExcite(nn.Module):
    """Global average pool -> 1x1 conv -> ReLU -> 1x1 conv -> Hardsigmoid -> x * scale."""

    def __init__(self, channels, squeeze):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.relu = nn.ReLU(inplace=False)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.hardsigmoid = nn.Hardsigmoid()
        self.mul = nn.quantized.FloatFunctional()

    def forward(self, x):
        s = self.hardsigmoid(self.fc2(self.relu(self.fc1(self.pool(x)))))
        return self.mul.mul(x, s)  # [N, C, H, W] * [N, C, 1, 1]

    def fuse_groups(self, prefix):
        return [[f"{prefix}.fc1", f"{prefix}.relu"]]


class InvertedResidual(nn.Module):
    """MobileNet-v3 block: 1x1 expand-BN-hardswish, 3x3 depthwise-BN-hardswish, squeeze-excite,
    1x1 project-BN, + input when the stride is 1 and the widths match."""

    def __init__(self, cin, expand, cout, stride, squeeze):
        super().__init__()
        self.expand = ConvBN(cin, expand, 1, 1, act="hardswish")
        self.depthwise = ConvBN(expand, expand, 3, stride, groups=expand, act="hardswish")
        self.se = SqueezeExcite(expand, squeeze)
        self.project = ConvBN(expand, cout, 1, 1, act=None)
        self.residual = stride == 1 and cin == cout
        if self.residual:
            self.add = nn.quantized.FloatFunctional()

    def forward(self, x):
        out = self.project(self.se(self.depthwise(self.expand(x))))
        return self.add.add(out, x) if self.residual else out

    def fuse_groups(self, prefix):
        return (self.expand.fuse_groups(f"{prefix}.expand") + self.depthwise.fuse_groups(f"{prefix}.depthwise")
                + self.se.fuse_groups(f"{prefix}.se") + self.project.fuse_groups(f"{prefix}.project"))


# ---------------------------------------------------------------------------------------------
# The two models
# ---------------------------------------------------------------------------------------------

class FashionResNet(nn.Module):
    """stem conv3x3(1->16)-BN-ReLU @28x28; stage 1: 2 basic blocks 16 @28x28; stage 2: block
    16->32 stride 2 (1x1 conv-BN shortcut) + block 32 @14x14; stage 3: block 32->64 stride 2
    (1x1 conv-BN shortcut) + block 64 @7x7; global average pool, flatten, Linear(64->10)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = QuantStub()
        self.stem = ConvBN(1, 16, 3, 1, act="relu")
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32, 1))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2), BasicBlock(64, 64, 1))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        self.dequant = DeQuantStub()
        _init_weights(self)

    def forward(self, x):
        x = self.quant(x)
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        x = torch.flatten(self.pool(x), 1)
        return self.dequant(self.fc(x))

    def fuse_groups(self):
        groups = self.stem.fuse_groups("stem")
        for lname in ("layer1", "layer2", "layer3"):
            for i, block in enumerate(getattr(self, lname)):
                groups += block.fuse_groups(f"{lname}.{i}")
        return groups


class FashionMobileNetV3(nn.Module):
    """stem conv3x3(1->16) stride 2-BN-hardswish -> 14x14;
    inverted residual blocks (cin, expand, cout, stride, SE squeeze):
      (16, 48, 16, 1, 16) + residual @14x14
      (16, 64, 24, 2, 16)             -> 7x7 (stride-2 depthwise)
      (24, 96, 24, 1, 24) + residual
      (24, 96, 40, 1, 24)
      (40, 120, 40, 1, 32) + residual
    final 1x1 conv(40->128)-BN-hardswish, global average pool, flatten, Linear(128->10)."""

    BLOCKS = ((16, 48, 16, 1, 16), (16, 64, 24, 2, 16), (24, 96, 24, 1, 24), (24, 96, 40, 1, 24),
              (40, 120, 40, 1, 32))

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = QuantStub()
        self.stem = ConvBN(1, 16, 3, 2, act="hardswish")
        self.blocks = nn.Sequential(*[InvertedResidual(*b) for b in self.BLOCKS])
        self.head = ConvBN(self.BLOCKS[-1][2], 128, 1, 1, act="hardswish")
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)
        self.dequant = DeQuantStub()
        _init_weights(self)

    def forward(self, x):
        x = self.quant(x)
        x = self.head(self.blocks(self.stem(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.dequant(self.fc(x))

    def fuse_groups(self):
        groups = self.stem.fuse_groups("stem") + self.head.fuse_groups("head")
        for i, block in enumerate(self.blocks):
            groups += block.fuse_groups(f"blocks.{i}")
        return groups


def _init_weights(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)
    # Zero-init the last BN of each residual branch: every block starts as the identity.
    for m in model.modules():
        if isinstance(m, BasicBlock):
            nn.init.zeros_(m.conv2[1].weight)


def merge_residual_biases(model):
    """For every BasicBlock with a downsample shortcut: add the residual branch's last BN bias to
    the shortcut BN's bias and zero the former. Both biases meet at the same add, so they get
    identical gradients: trained from the same zero init they stay bit-identical, and torch's ONNX
    export then deduplicates them into one initializer plus an Identity node. Only their sum
    matters, so this leaves the outputs unchanged up to float rounding. Idempotent. Returns the
    number of blocks changed."""
    changed = 0
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, BasicBlock) and m.downsample is not None:
                branch_bn, shortcut_bn = m.conv2[1], m.downsample[1]
                if torch.count_nonzero(branch_bn.bias) == 0:
                    continue
                shortcut_bn.bias += branch_bn.bias
                branch_bn.bias.zero_()
                changed += 1
    return changed


def build_model(name):
    if name == "fashion_resnet":
        return FashionResNet()
    if name == "fashion_mobilenet_v3":
        return FashionMobileNetV3()
    raise ValueError(f"unknown model {name!r}; expected one of {MODEL_NAMES}")


def load_trained(name, models_dir):
    """The FP32 model in eval mode with the weights of <models_dir>/<name>.pt."""
    model = build_model(name)
    model.load_state_dict(torch.load(f"{models_dir}/{name}.pt", map_location="cpu"))
    return model.eval()


# ---------------------------------------------------------------------------------------------
# PyTorch eager-mode post-training quantization (the int8 peer)
# ---------------------------------------------------------------------------------------------

QCONFIG = QConfig(
    activation=MinMaxObserver.with_args(dtype=torch.quint8, qscheme=torch.per_tensor_affine,
                                        reduce_range=False),
    weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                              reduce_range=False))


def select_engine():
    """'onednn', or 'qnnpack' if onednn cannot be selected. Returns the engine set."""
    for engine in ("onednn", "qnnpack"):
        if engine in torch.backends.quantized.supported_engines:
            try:
                torch.backends.quantized.engine = engine
                return engine
            except RuntimeError:
                continue
    raise RuntimeError(f"no onednn or qnnpack engine in {torch.backends.quantized.supported_engines}")


def quantize_ptq(fp32_model, calibration_inputs, batch=100):
    """Eager-mode PTQ of an eval-mode FP32 model: conv-BN(-ReLU) (and SE conv-ReLU) fused, QCONFIG
    observers (activations quint8 per-tensor affine MinMax, weights qint8 per-channel symmetric
    MinMax), calibrated on `calibration_inputs` (preprocessed [N, 1, 28, 28]), converted. Uses the
    quantized engine already selected (select_engine). Returns the int8 model; the input is left
    unchanged (a deep copy is quantized)."""
    import copy
    model = copy.deepcopy(fp32_model).eval()
    model = torch.ao.quantization.fuse_modules(model, model.fuse_groups(), inplace=False)
    model.qconfig = QCONFIG
    torch.ao.quantization.prepare(model, inplace=True)
    with torch.no_grad():
        for i in range(0, calibration_inputs.shape[0], batch):
            model(calibration_inputs[i:i + batch])
    torch.ao.quantization.convert(model, inplace=True)
    return model.eval()
