"""PyTorch parity of a 3-class U-Net, 2-D and 3-D (called by unet-classes-parity.bats).

usage: unet_classes_parity.py make DIMS DIR    write DIR/img.slab, DIR/mask.slab (CLASSES 3),
                                               DIR/init.model (version 2, 3 classes)
       unet_classes_parity.py check DIMS DIR   compare DIR/pred.slab (unet-predict of
                                               init.model), DIR/step.model (one SGD step,
                                               lr 1000) and DIR/adam.model (three Adam steps)
                                               with the same network in PyTorch (double)
The loss is softmax cross-entropy with class weights (CrossEntropyLoss weight,
ignore_index 255, mean) plus the soft Dice over classes 1..K-1 (smoothing 1).
"""
import os, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

CIN, K, BASE, DEPTH, W, H, NZ = 2, 3, 4, 2, 16, 12, 8
CW = [0.5, 2.0, 1.5]  # unet-train --class-weights 0.5,2,1.5
LR, ADAM_LR, ADAM_STEPS = 1000.0, 1e-3, 3


def shapes(d3):
    k3, k2, k1 = ((3, 3, 3), (2, 2, 2), (1, 1, 1)) if d3 else ((3, 3), (2, 2), (1, 1))
    out = []
    for l in range(DEPTH + 1):
        f, cin = BASE << l, CIN if l == 0 else BASE << (l - 1)
        out += [(f, cin) + k3, (f,), (f, f) + k3, (f,)]
    for l in reversed(range(DEPTH)):
        f = BASE << l
        out += [(2 * f, f) + k2, (f,), (f, 2 * f) + k3, (f,), (f, f) + k3, (f,)]
    return out + [(K, BASE) + k1, (K,)]


def forward(ts, x, d3):
    conv, up, pool = ((F.conv3d, F.conv_transpose3d, F.max_pool3d) if d3 else
                      (F.conv2d, F.conv_transpose2d, F.max_pool2d))
    i, skips = 0, []
    for l in range(DEPTH + 1):
        x = F.relu(conv(x, ts[i], ts[i + 1], padding=1))
        x = F.relu(conv(x, ts[i + 2], ts[i + 3], padding=1))
        i += 4
        if l < DEPTH:
            skips.append(x)
            x = pool(x, 2)
    for l in reversed(range(DEPTH)):
        x = torch.cat([up(x, ts[i], ts[i + 1], stride=2), skips[l]], 1)
        x = F.relu(conv(x, ts[i + 2], ts[i + 3], padding=1))
        x = F.relu(conv(x, ts[i + 4], ts[i + 5], padding=1))
        i += 6
    return conv(x, ts[i], ts[i + 1])


def write_slab(path, arr, typ, extra=""):
    nz, nc, ny, nx = arr.shape
    with open(path, "wb") as f:
        f.write(("SLAB 1\nNAME parity\nDIMS %d %d %d\nCHANNELS %d\nTYPE %s\nSPACING 1 1 1\n%sENDHDR\n"
                 % (nx, ny, nz, nc, typ, extra)).encode())
        f.write(arr.astype("<f4" if typ == "f32" else "u1").tobytes())


def read_raw(path, dt):
    data = open(path, "rb").read()
    return np.frombuffer(data[data.index(b"ENDHDR\n") + 7:], dt)


def load_model(path, d3):
    data = open(path, "rb").read()
    assert data[:8] == (b"SLUNET3D" if d3 else b"SLUNET2D")
    assert struct.unpack("<I", data[8:12])[0] == 2 and struct.unpack("<I", data[32:36])[0] == K
    flat = np.frombuffer(data[36:], "<f4")
    out, off = [], 0
    for s in shapes(d3):
        k = int(np.prod(s))
        out.append(torch.from_numpy(flat[off:off + k].astype(np.float64)).reshape(s))
        off += k
    assert off == flat.size
    return out


def loss_fn(z, m):
    """z: logits (N, K, ...), m: labels (N, ...) int64 with 255 unlabelled."""
    cw = torch.tensor(CW, dtype=torch.float64)
    ce = F.cross_entropy(z, m, weight=cw, ignore_index=255, reduction="mean")
    lab = m != 255
    p = torch.softmax(z, 1)
    dice = 0
    for c in range(1, K):
        pc, yc = p[:, c][lab], (m[lab] == c).double()
        dice = dice + 1 - (2 * (pc * yc).sum() + 1) / (pc.sum() + yc.sum() + 1)
    return ce + dice / (K - 1)


def main():
    cmd, d3, d = sys.argv[1], sys.argv[2] == "3", sys.argv[3]
    rng = np.random.default_rng(2)
    if cmd == "make":
        ts = []
        for s in shapes(d3):
            if len(s) == 1:
                ts.append(rng.uniform(-0.1, 0.1, s))
            else:
                fan_in, fan_out = s[1] * np.prod(s[2:]), s[0] * np.prod(s[2:])
                a = np.sqrt(6 / (fan_in + fan_out))
                ts.append(rng.uniform(-a, a, s))
        flat = np.concatenate([t.reshape(-1) for t in ts]).astype("<f4")
        with open(os.path.join(d, "init.model"), "wb") as f:
            f.write((b"SLUNET3D" if d3 else b"SLUNET2D") +
                    struct.pack("<IIIIQI", 2, CIN, BASE, DEPTH, flat.size, K) + flat.tobytes())
        x = rng.standard_normal((NZ, CIN, H, W)).astype(np.float32)
        m = np.where(x[:, :1] > 0.5, 1, np.where(x[:, 1:] > 0.3, 2, 0)).astype(np.uint8)
        m[rng.random(m.shape) < 0.2] = 255
        write_slab(os.path.join(d, "img.slab"), x, "f32")
        write_slab(os.path.join(d, "mask.slab"), m, "u8", "CLASSES 3\n")
        return
    init = load_model(os.path.join(d, "init.model"), d3)
    x = read_raw(os.path.join(d, "img.slab"), "<f4").reshape(NZ, CIN, H, W).astype(np.float64)
    m = torch.from_numpy(read_raw(os.path.join(d, "mask.slab"), "u1").reshape(NZ, H, W)
                         .astype(np.int64))
    if d3:  # one volume (NZ a multiple of 2^DEPTH: no padding)
        xt, mt = torch.from_numpy(x.transpose(1, 0, 2, 3)[None].copy()), m[None]
    else:
        xt, mt = torch.from_numpy(x), m
    ts = [t.clone().requires_grad_(True) for t in init]
    z = forward(ts, xt, d3)
    p = torch.softmax(z, 1).detach().numpy()
    p = p[0].transpose(1, 0, 2, 3) if d3 else p  # the slab's [z][c][y][x]
    ours = read_raw(os.path.join(d, "pred.slab"), "<f4").reshape(NZ, K, H, W)
    e = np.abs(ours - p).max()
    print("forward: max |p_ours - p_torch| = %.2e over %d values" % (e, p.size))
    ok = e < 1e-5
    loss = loss_fn(z, mt)
    loss.backward()
    step = load_model(os.path.join(d, "step.model"), d3)
    worst = 0
    for i, (t, w0, w1) in enumerate(zip(ts, init, step)):
        g_ours = (w0 - w1).numpy() / LR
        g = t.grad.numpy()
        e = np.abs(g_ours - g).max() / np.abs(g).max()
        worst = max(worst, e)
        print("gradient tensor %2d %-20s max|g| %.2e  max|diff|/max|g| %.2e"
              % (i, tuple(t.shape), np.abs(g).max(), e))
    print("loss %.9f; worst relative gradient difference %.2e" % (loss.item(), worst))
    ok = ok and worst < 1e-4
    # three Adam steps as unet-train takes them (beta 0.9, 0.999, eps 1e-7 after
    # the bias-corrected step size), one full batch each
    w = [t.detach().clone() for t in init]
    m1 = [torch.zeros_like(t) for t in w]
    m2 = [torch.zeros_like(t) for t in w]
    for s in range(1, ADAM_STEPS + 1):
        ws = [t.clone().requires_grad_(True) for t in w]
        loss_fn(forward(ws, xt, d3), mt).backward()
        a = ADAM_LR * np.sqrt(1 - 0.999 ** s) / (1 - 0.9 ** s)
        for j, t in enumerate(ws):
            m1[j] = 0.9 * m1[j] + 0.1 * t.grad
            m2[j] = 0.999 * m2[j] + 0.001 * t.grad ** 2
            w[j] = w[j] - a * m1[j] / (torch.sqrt(m2[j]) + 1e-7)
    adam = load_model(os.path.join(d, "adam.model"), d3)
    moved = max((wi - w0).abs().max().item() for wi, w0 in zip(w, init))
    e = max((wi - ai).abs().max().item() for wi, ai in zip(w, adam))
    print("%d Adam steps: weights moved up to %.2e, max |w_ours - w_torch| = %.2e"
          % (ADAM_STEPS, moved, e))
    ok = ok and e < 1e-2 * moved
    sys.exit(0 if ok else 1)


main()
