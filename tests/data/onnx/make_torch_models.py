#!/usr/bin/python3
# Writes the PyTorch-exported ONNX models that tests/onnx_import_test.cpp imports and runs, with one
# input batch and PyTorch's output for it (ONNX TensorProto files). Run with Debian's python3-torch:
#   /usr/bin/python3 tests/data/onnx/make_torch_models.py
# The models are untrained (seeded random weights): they exercise what the exporter emits
# (BatchNormalization, x * HardSigmoid(x) or HardSwish, ReduceMean, Shape -> Gather -> Unsqueeze ->
# Concat -> Reshape, residual Add, MaxPool, Flatten, Gemm), not accuracy.
import os

import torch
import torch.nn as nn
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


class MobileStyle(nn.Module):
    """Conv-BN-hardswish, depthwise, squeeze-excite with mean and hardsigmoid, view(size(0), -1), Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.se1 = nn.Conv2d(8, 4, 1)
        self.se2 = nn.Conv2d(4, 8, 1)
        self.fc = nn.Linear(8 * 6 * 6, 10)

    def forward(self, x):
        x = nn.functional.hardswish(self.bn(self.conv(x)))
        x = self.dw(x)
        g = x.mean((2, 3), keepdim=True)
        x = x * nn.functional.hardsigmoid(self.se2(torch.relu(self.se1(g))))
        return self.fc(x.view(x.size(0), -1))


class ResNetStyle(nn.Module):
    """Conv-BN-ReLU, a residual block, a stride-2 transition, max pool, global average pool, flatten, Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                   nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8))
        self.down = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)  # 6 -> 3 windows, the last one partial
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.block(x))
        x = self.pool(self.down(x))
        x = nn.functional.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


def randomize_batch_norms(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)


def export(name, model, opset, fold):
    torch.manual_seed(20261125)
    randomize_batch_norms(model)
    model.eval()
    x = torch.randn(2, 1, 11, 11)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(HERE, name + ".onnx")
    # EVAL mode fuses BatchNormalization into the convolutions; PRESERVE (with the model in eval
    # mode) keeps BatchNormalization nodes for the importer to fold.
    mode = torch.onnx.TrainingMode.EVAL if fold else torch.onnx.TrainingMode.PRESERVE
    torch.onnx.export(model, x, path, opset_version=opset, training=mode, do_constant_folding=fold,
                      input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    for suffix, tensor in (("input", x), ("expected", y)):
        with open(os.path.join(HERE, name + "." + suffix + ".pb"), "wb") as f:
            f.write(numpy_helper.from_array(tensor.numpy()).SerializeToString())


torch.manual_seed(1)
export("torch_mobile_opset13", MobileStyle(), 13, fold=False)  # BatchNormalization kept, x * HardSigmoid(x)
torch.manual_seed(2)
export("torch_mobile_opset14", MobileStyle(), 14, fold=True)   # HardSwish, BN folded by the exporter
torch.manual_seed(3)
export("torch_resnet_opset13", ResNetStyle(), 13, fold=False)
