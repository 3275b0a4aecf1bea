"""PyTorch parity of unet-predict and unet-train (called by unet-parity.bats).

usage: unet_parity.py make DIR      write DIR/img.slab, DIR/mask.slab, DIR/init.model
       unet_parity.py check DIR     compare DIR/pred.slab (unet-predict of init.model)
                                    and DIR/step.model (one SGD step, lr 1000) with PyTorch
The network is tests/bench/unet_torch.py's, loaded from our model file.
"""
import os, struct, sys
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from unet_torch import UNet  # noqa: E402

C, W, H, NZ = 2, 32, 48, 5
LR = 1000.0  # the step is large against the weights: its rounding is small


def write_slab(path, name, arr, typ):
    nz, nc, ny, nx = arr.shape
    with open(path, "wb") as f:
        f.write(("SLAB 1\nNAME %s\nDIMS %d %d %d\nCHANNELS %d\nTYPE %s\nSPACING 1 1 1\nENDHDR\n"
                 % (name, nx, ny, nz, nc, typ)).encode())
        f.write(arr.astype("<f4" if typ == "f32" else "u1").tobytes())


def read_slab(path):
    data = open(path, "rb").read()
    end = data.index(b"ENDHDR\n") + 7
    hdr = dict(l.split(" ", 1) for l in data[:end].decode().splitlines()[1:-1])
    nx, ny, nz = map(int, hdr["DIMS"].split())
    nc = int(hdr["CHANNELS"])
    return np.frombuffer(data[end:], "<f4").reshape(nz, nc, ny, nx)


def save_model(path, net):
    flat = torch.cat([t.detach().reshape(-1) for t in net.tensors()]).numpy().astype("<f4")
    with open(path, "wb") as f:
        f.write(b"SLUNET2D" + struct.pack("<IIIIQ", 1, C, 8, 4, flat.size) + flat.tobytes())


def load_model(path, net):
    data = open(path, "rb").read()
    assert data[:8] == b"SLUNET2D"
    n = struct.unpack("<Q", data[24:32])[0]
    flat = np.frombuffer(data[32:], "<f4")
    assert flat.size == n == sum(t.numel() for t in net.tensors())
    out, off = [], 0
    for t in net.tensors():
        out.append(torch.from_numpy(flat[off:off + t.numel()].copy()).reshape(t.shape))
        off += t.numel()
    return out


def data(d):
    x = torch.from_numpy(read_slab(os.path.join(d, "img.slab")).copy())
    raw = open(os.path.join(d, "mask.slab"), "rb").read()
    m = np.frombuffer(raw[raw.index(b"ENDHDR\n") + 7:], "u1").reshape(NZ, 1, H, W)
    return x, torch.from_numpy(m.astype(np.int64))


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    net = UNet(C)
    if cmd == "make":
        with torch.no_grad():  # Glorot weights as unet-train's, non-zero biases
            for t in net.tensors():
                if t.dim() == 1:
                    t.uniform_(-0.1, 0.1)
                else:
                    torch.nn.init.xavier_uniform_(t)
        x = rng.standard_normal((NZ, C, H, W)).astype(np.float32)
        m = (x[:, :1] > 0.3).astype(np.uint8)
        m[rng.random(m.shape) < 0.2] = 255
        write_slab(os.path.join(d, "img.slab"), "parity", x, "f32")
        write_slab(os.path.join(d, "mask.slab"), "parity", m, "u8")
        save_model(os.path.join(d, "init.model"), net)
        return
    init = load_model(os.path.join(d, "init.model"), net)
    with torch.no_grad():
        for t, v in zip(net.tensors(), init):
            t.copy_(v)
    x, m = data(d)
    net = net.double()  # the reference in double precision
    z = net(x.double())
    p = torch.sigmoid(z).detach().numpy()
    ours = read_slab(os.path.join(d, "pred.slab"))
    e = np.abs(ours - p).max()
    print("forward: max |p_ours - p_torch| = %.2e" % e)
    ok = e < 1e-5
    lab = m != 255
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z[lab], m[lab].double(), reduction="mean")
    loss.backward()
    step = load_model(os.path.join(d, "step.model"), net)
    worst = 0
    for i, (t, w0, w1) in enumerate(zip(net.tensors(), init, step)):
        g_ours = (w0.double() - w1.double()).numpy() / LR  # one SGD step
        g = t.grad.numpy()
        e = np.abs(g_ours - g).max() / np.abs(g).max()
        worst = max(worst, e)
        print("gradient tensor %2d %-22s max|g| %.2e  max|diff|/max|g| %.2e"
              % (i, tuple(t.shape), np.abs(g).max(), e))
    print("worst relative gradient difference %.2e" % worst)
    ok = ok and worst < 1e-4
    sys.exit(0 if ok else 1)


main()
