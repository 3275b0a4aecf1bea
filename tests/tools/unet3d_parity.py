"""PyTorch parity of the 3-D U-Net (called by unet3d-parity.bats).

usage: unet3d_parity.py make DIR    write DIR/img.slab, DIR/mask.slab, DIR/init.model (3-D)
       unet3d_parity.py check DIR   compare DIR/pred.slab (unet-predict of init.model) and
                                    DIR/step.model (one SGD step, lr 1000) with PyTorch
The network is written here with torch.nn.functional (Conv3d, ConvTranspose3d,
max_pool3d) from formats/model.md; the volume is padded after its last slice
to a multiple of 2^depth (image 0, mask 255) as unet-train and unet-predict do.
"""
import os, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

C, BASE, DEPTH = 2, 4, 2
W, H, NZ = 16, 8, 10          # padded to 12 slices
LR = 1000.0


def shapes():
    """The parameter tensors in file order."""
    out = []
    for l in range(DEPTH + 1):
        cin, f = (C if l == 0 else BASE << (l - 1)), BASE << l
        out += [(f, cin, 3, 3, 3), (f,), (f, f, 3, 3, 3), (f,)]
    for l in range(DEPTH - 1, -1, -1):
        f = BASE << l
        out += [(2 * f, f, 2, 2, 2), (f,), (f, 2 * f, 3, 3, 3), (f,), (f, f, 3, 3, 3), (f,)]
    out += [(1, BASE, 1, 1, 1), (1,)]
    return out


def forward(ts, x):
    """x [N][C][Z][H][W] -> logits [N][1][Z][H][W]."""
    it = iter(ts)
    enc = []
    for l in range(DEPTH + 1):
        if l:
            x = F.max_pool3d(x, 2)
        x = F.relu(F.conv3d(x, next(it), next(it), padding=1))
        x = F.relu(F.conv3d(x, next(it), next(it), padding=1))
        enc.append(x)
    for l in range(DEPTH - 1, -1, -1):
        x = F.conv_transpose3d(x, next(it), next(it), stride=2)
        x = torch.cat([x, enc[l]], 1)
        x = F.relu(F.conv3d(x, next(it), next(it), padding=1))
        x = F.relu(F.conv3d(x, next(it), next(it), padding=1))
    return F.conv3d(x, next(it), next(it))


def write_slab(path, arr, typ):
    nz, nc, ny, nx = arr.shape
    with open(path, "wb") as f:
        f.write(("SLAB 1\nNAME parity\nDIMS %d %d %d\nCHANNELS %d\nTYPE %s\nSPACING 1 1 1\nENDHDR\n"
                 % (nx, ny, nz, nc, typ)).encode())
        f.write(arr.astype("<f4" if typ == "f32" else "u1").tobytes())


def read_raw(path, dt):
    data = open(path, "rb").read()
    return np.frombuffer(data[data.index(b"ENDHDR\n") + 7:], dt)


def load_model(path):
    data = open(path, "rb").read()
    assert data[:8] == b"SLUNET3D", data[:8]
    c, base, depth = struct.unpack("<III", data[12:24])
    assert (c, base, depth) == (C, BASE, DEPTH)
    n = struct.unpack("<Q", data[24:32])[0]
    flat = np.frombuffer(data[32:], "<f4")
    assert flat.size == n == sum(int(np.prod(s)) for s in shapes())
    out, off = [], 0
    for s in shapes():
        k = int(np.prod(s))
        out.append(torch.from_numpy(flat[off:off + k].astype(np.float64)).reshape(s))
        off += k
    return out


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(1)
    if cmd == "make":
        ts = []
        for s in shapes():
            if len(s) == 1:
                ts.append(rng.uniform(-0.1, 0.1, s))
            else:  # Glorot uniform with PyTorch's fans
                fan_in, fan_out = s[1] * np.prod(s[2:]), s[0] * np.prod(s[2:])
                a = np.sqrt(6 / (fan_in + fan_out))
                ts.append(rng.uniform(-a, a, s))
        flat = np.concatenate([t.reshape(-1) for t in ts]).astype("<f4")
        with open(os.path.join(d, "init.model"), "wb") as f:
            f.write(b"SLUNET3D" + struct.pack("<IIIIQ", 1, C, BASE, DEPTH, flat.size) + flat.tobytes())
        x = rng.standard_normal((NZ, C, H, W)).astype(np.float32)
        m = (x[:, :1] > 0.3).astype(np.uint8)
        m[rng.random(m.shape) < 0.2] = 255
        write_slab(os.path.join(d, "img.slab"), x, "f32")
        write_slab(os.path.join(d, "mask.slab"), m, "u8")
        return
    init = load_model(os.path.join(d, "init.model"))
    ts = [t.clone().requires_grad_(True) for t in init]
    zp = -(-NZ // (1 << DEPTH)) * (1 << DEPTH)
    x = read_raw(os.path.join(d, "img.slab"), "<f4").reshape(NZ, C, H, W).astype(np.float64)
    xp = np.zeros((1, C, zp, H, W))
    xp[0, :, :NZ] = x.transpose(1, 0, 2, 3)
    m = read_raw(os.path.join(d, "mask.slab"), "u1").reshape(NZ, H, W)
    z = forward(ts, torch.from_numpy(xp))[0, 0, :NZ]
    p = torch.sigmoid(z).detach().numpy()
    ours = read_raw(os.path.join(d, "pred.slab"), "<f4").reshape(NZ, H, W)
    e = np.abs(ours - p).max()
    print("forward: max |p_ours - p_torch| = %.2e over %d voxels" % (e, p.size))
    ok = e < 1e-5
    mt = torch.from_numpy(m.astype(np.int64))
    lab = mt != 255
    loss = F.binary_cross_entropy_with_logits(z[lab], mt[lab].double(), reduction="mean")
    loss.backward()
    step = load_model(os.path.join(d, "step.model"))
    worst = 0
    for i, (t, w0, w1) in enumerate(zip(ts, init, step)):
        g_ours = (w0 - w1).numpy() / LR  # one SGD step
        g = t.grad.numpy()
        e = np.abs(g_ours - g).max() / np.abs(g).max()
        worst = max(worst, e)
        print("gradient tensor %2d %-20s max|g| %.2e  max|diff|/max|g| %.2e"
              % (i, tuple(t.shape), np.abs(g).max(), e))
    print("worst relative gradient difference %.2e" % worst)
    ok = ok and worst < 1e-4
    sys.exit(0 if ok else 1)


main()
