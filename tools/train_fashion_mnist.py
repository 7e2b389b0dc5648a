#!/usr/bin/python3
"""Trains the two Fashion-MNIST nets of fashion_models.py (FashionResNet, FashionMobileNetV3) and
writes, per model, into tools/models/ (or --out):
  <name>.onnx  FP32, opset 13, input "input" [N, 1, 28, 28] (dynamic N), output "logits" [N, 10],
               exported in eval mode with BatchNormalization nodes kept (TrainingMode.PRESERVE, so
               torch does not fold them: haqm's importer folds them itself), with metadata_props
               haqm.mean, haqm.std, haqm.labels;
  <name>.pt    the state_dict;
and the training log (seed, torch version, epochs, loss, accuracy, times, ONNX op types) to
training_log.txt.

Data: the IDX files of /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist), read with
gzip + struct; input x = (pixel / 255 - 0.2860) / 0.3530. Training augmentation: random horizontal
flip and a random crop of the image zero-padded (in pixels) by 2 on each side.

Run with Debian's Python (it sees python3-torch 1.13):
    /usr/bin/python3 tools/train_fashion_mnist.py [--seed 1]
Runs on one thread by default (--threads): about 10 minutes per model on this machine.
"""
import argparse
import io
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_models as fm  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_EPOCHS = {"fashion_resnet": 7, "fashion_mobilenet_v3": 15}
PAD = 2


# ---------------------------------------------------------------------------------------------
# ONNX: metadata_props without the onnx package (protobuf wire format), and a small reader
# ---------------------------------------------------------------------------------------------

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _len_field(field, payload):
    return _varint((field << 3) | 2) + _varint(len(payload)) + payload


def add_metadata(model_bytes, props):
    """ModelProto bytes with StringStringEntryProto entries appended to metadata_props (field 14).
    Appending fields to a serialized message is valid protobuf (repeated fields concatenate)."""
    extra = b"".join(_len_field(14, _len_field(1, k.encode()) + _len_field(2, v.encode()))
                     for k, v in props.items())
    return model_bytes + extra


def _fields(buf):
    """(field number, wire type, value) of one protobuf message; value is bytes for wire type 2,
    an int for varints, raw bytes for fixed32/fixed64."""
    i = 0
    while i < len(buf):
        key = 0
        shift = 0
        while True:
            b = buf[i]
            i += 1
            key |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        field, wire = key >> 3, key & 7
        if wire == 0:
            v = 0
            shift = 0
            while True:
                b = buf[i]
                i += 1
                v |= (b & 0x7F) << shift
                shift += 7
                if b < 0x80:
                    break
            yield field, wire, v
        elif wire == 1:
            yield field, wire, buf[i:i + 8]
            i += 8
        elif wire == 2:
            n = 0
            shift = 0
            while True:
                b = buf[i]
                i += 1
                n |= (b & 0x7F) << shift
                shift += 7
                if b < 0x80:
                    break
            yield field, wire, buf[i:i + n]
            i += n
        elif wire == 5:
            yield field, wire, buf[i:i + 4]
            i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def describe_onnx(model_bytes):
    """{'opset': {domain: version}, 'ops': {op_type: count}, 'metadata': {k: v},
    'attrs': {op_type: {attr: value}} (float/int attributes of HardSigmoid and
    BatchNormalization)} of a serialized ModelProto (top-level graph only)."""
    import struct
    info = {"opset": {}, "ops": {}, "metadata": {}, "attrs": {}}
    for field, _, value in _fields(model_bytes):
        if field == 8:  # opset_import
            d = dict((f, v) for f, _, v in _fields(value))
            info["opset"][d.get(1, b"").decode() or "ai.onnx"] = d.get(2)
        elif field == 14:  # metadata_props
            d = dict((f, v) for f, _, v in _fields(value))
            info["metadata"][d[1].decode()] = d[2].decode()
        elif field == 7:  # graph
            for gf, _, gv in _fields(value):
                if gf != 1:  # node
                    continue
                op = None
                attrs = {}
                for nf, _, nv in _fields(gv):
                    if nf == 4:
                        op = nv.decode()
                    elif nf == 5:
                        a = {f: v for f, _, v in _fields(nv)}
                        name = a[1].decode()
                        if 2 in a:
                            attrs[name] = struct.unpack("<f", a[2])[0]
                        elif 3 in a:
                            attrs[name] = a[3]
                info["ops"][op] = info["ops"].get(op, 0) + 1
                if op in ("HardSigmoid", "BatchNormalization") and op not in info["attrs"]:
                    info["attrs"][op] = attrs
    return info


def export_onnx(model, path):
    """Eval-mode FP32 export, opset 13, BatchNormalization kept, metadata added. Returns the bytes."""
    model = model.to(memory_format=torch.contiguous_format).eval()
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), buf, opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    data = add_metadata(buf.getvalue(), {"haqm.mean": f"{fm.MEAN:.4f}", "haqm.std": f"{fm.STD:.4f}",
                                         "haqm.labels": ",".join(fm.LABELS)})
    with open(path, "wb") as f:
        f.write(data)
    try:  # a second opinion when Debian's python3-onnx happens to be installed
        import onnx
        onnx.checker.check_model(onnx.load_from_string(data))
    except ImportError:
        pass
    return data


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    loss = 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            xb = x[i:i + batch].contiguous(memory_format=torch.channels_last)
            logits = model(xb)
            loss += F.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return loss / x.shape[0], correct / x.shape[0]


def augment(x_padded, idx, gen):
    """Random crops 28x28 of the padded images x_padded[idx], half of them flipped horizontally."""
    b = idx.shape[0]
    oy = torch.randint(0, 2 * PAD + 1, (b,), generator=gen)
    ox = torch.randint(0, 2 * PAD + 1, (b,), generator=gen)
    flip = torch.rand(b, generator=gen) < 0.5
    ar = torch.arange(28)
    rows = oy[:, None] + ar[None, :]                          # [b, 28]
    cols = ox[:, None] + ar[None, :]                          # [b, 28]
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    out = x_padded[idx[:, None, None], rows[:, :, None], cols[:, None, :]]  # [b, 28, 28]
    return out.unsqueeze(1)


def train_one(name, epochs, data, args, log):
    x_train_padded, y_train, x_test, y_test = data
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = fm.build_model(name).to(memory_format=torch.channels_last)
    n_params = sum(p.numel() for p in model.parameters())
    steps_per_epoch = (y_train.shape[0] + args.batch - 1) // args.batch
    decay, no_decay = [], []
    for pname, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=epochs,
                                                steps_per_epoch=steps_per_epoch, pct_start=0.25)
    log(f"\n== {name}: {n_params} parameters ({4 * n_params} bytes FP32), {epochs} epochs, "
        f"batch {args.batch}, SGD nesterov momentum 0.9, OneCycle max lr {args.lr}, "
        f"weight decay {args.weight_decay} (not on BN/bias), augmentation: flip + crop pad {PAD}")
    t_start = time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.time()
        perm = torch.randperm(y_train.shape[0], generator=gen)
        loss_sum = 0.0
        correct = 0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch:(s + 1) * args.batch]
            xb = augment(x_train_padded, idx, gen).contiguous(memory_format=torch.channels_last)
            yb = y_train[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * idx.shape[0]
            correct += (logits.argmax(1) == yb).sum().item()
        train_time = time.time() - t0
        test_loss, test_acc = evaluate(model, x_test, y_test)
        log(f"{name} epoch {epoch:2d}/{epochs}: train loss {loss_sum / y_train.shape[0]:.4f} "
            f"train acc {correct / y_train.shape[0]:.4f} (augmented) | test loss {test_loss:.4f} "
            f"test top-1 {test_acc:.4f} | lr {sched.get_last_lr()[0]:.5f} | "
            f"{train_time:.1f} s train + {time.time() - t0 - train_time:.1f} s eval")
    total = time.time() - t_start
    model = model.to(memory_format=torch.contiguous_format).eval()
    test_loss, test_acc = evaluate(model, x_test, y_test)
    log(f"{name}: final FP32 test top-1 {test_acc:.4f} (loss {test_loss:.4f}), training time "
        f"{total:.1f} s ({total / 60:.1f} min)")
    save_and_export(name, model, (x_test, y_test), args, log)
    return test_acc, total


def save_and_export(name, model, test_data, args, log):
    """<name>.pt and <name>.onnx of the eval-mode model, after fm.merge_residual_biases (which
    changes no output beyond float rounding; see there why)."""
    merged = fm.merge_residual_biases(model)
    if merged:
        test_loss, test_acc = evaluate(model, *test_data)
        log(f"{name}: merged the BN biases of {merged} residual branch pair(s) into the shortcut BN; "
            f"test top-1 after the merge {test_acc:.4f} (loss {test_loss:.4f})")
    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, f"{name}.pt"))
    onnx_path = os.path.join(args.out, f"{name}.onnx")
    info = describe_onnx(export_onnx(model, onnx_path))
    log(f"{name}: wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), opset {info['opset']}, "
        f"ops {dict(sorted(info['ops'].items()))}")
    log(f"{name}: HardSigmoid/BatchNormalization attributes {info['attrs']}; metadata "
        f"{info['metadata']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(HERE, "models"))
    ap.add_argument("--data", default=fm.DATA_DIR)
    ap.add_argument("--models", nargs="+", default=list(fm.MODEL_NAMES), choices=fm.MODEL_NAMES)
    ap.add_argument("--epochs-resnet", type=int, default=DEFAULT_EPOCHS["fashion_resnet"])
    ap.add_argument("--epochs-mobilenet", type=int, default=DEFAULT_EPOCHS["fashion_mobilenet_v3"])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--export-only", action="store_true",
                    help="no training: re-export <out>/<name>.pt (and rewrite it); appends to the log")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, "training_log.txt")
    log_file = open(log_path, "a" if args.export_only else "w")

    def log(msg):
        print(msg, flush=True)
        log_file.write(msg + "\n")
        log_file.flush()

    log(f"train_fashion_mnist.py: seed {args.seed}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {args.threads} thread(s), started "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    log(f"data {args.data}; input x = (pixel / 255 - {fm.MEAN:.4f}) / {fm.STD:.4f}")
    train_images, train_labels = fm.load_split("train", args.data)
    test_images, test_labels = fm.load_split("t10k", args.data)
    padded = np.pad(train_images, ((0, 0), (PAD, PAD), (PAD, PAD)))  # zero pixels
    x_train_padded = fm.preprocess(padded)[:, 0]  # [N, 32, 32]
    y_train = torch.from_numpy(train_labels.astype(np.int64))
    x_test = fm.preprocess(test_images)
    y_test = torch.from_numpy(test_labels.astype(np.int64))
    log(f"train {tuple(train_images.shape)}, test {tuple(test_images.shape)}")

    if args.export_only:
        for name in args.models:
            model = fm.load_trained(name, args.out)
            test_loss, test_acc = evaluate(model, x_test, y_test)
            log(f"\n== {name}: re-export of {args.out}/{name}.pt (--export-only), test top-1 "
                f"{test_acc:.4f} (loss {test_loss:.4f})")
            save_and_export(name, model, (x_test, y_test), args, log)
        log_file.close()
        return

    epochs = {"fashion_resnet": args.epochs_resnet, "fashion_mobilenet_v3": args.epochs_mobilenet}
    results = {}
    for name in args.models:
        results[name] = train_one(name, epochs[name], (x_train_padded, y_train, x_test, y_test), args, log)
    log("\nsummary:")
    for name, (acc, secs) in results.items():
        log(f"  {name}: FP32 test top-1 {acc:.4f}, {secs / 60:.1f} min on {args.threads} thread(s)")
    log_file.close()


if __name__ == "__main__":
    main()
