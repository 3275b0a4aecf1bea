"""Independent references for metrics.bats and hd95.bats (numpy, scipy).

  eval_ref.py make PRED GT N          N random mask pairs (anisotropic spacing)
  eval_ref.py msd LABELDIR PRED GT N  first N MSD label volumes: label 1 vs label 2
  eval_ref.py hd PRED GT MODE CONN    "case<TAB>value" per case, MedPy's definition
  eval_ref.py overlap PRED GT         "case<TAB>tp<TAB>fp<TAB>fn<TAB>tn" per case
  eval_ref.py make3 PRED GT N         N random pairs of 3-class label maps (CLASSES 3)
  eval_ref.py classes PRED GT         per case, class 1, 2 and fg (>= 1): counts and
                                      MedPy's hd95 (conn 6; one mask empty inf, both 0)

Surface distances follow MedPy's __surface_distances: border = mask XOR its
binary_erosion by generate_binary_structure(3, conn), distances from
distance_transform_edt(~border, sampling=spacing), percentile by numpy.
"""
import sys

import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure


def write(f, name, arr, sp, extra=""):
    """One u8 slab; arr is indexed [z, y, x]."""
    nz, ny, nx = arr.shape
    head = "SLAB 1\n" + (f"NAME {name}\n" if name else "")
    head += f"DIMS {nx} {ny} {nz}\nCHANNELS 1\nTYPE u8\n"
    head += "SPACING %r %r %r\n%sENDHDR\n" % (tuple(float(s) for s in sp) + (extra,))
    f.write(head.encode())
    f.write(np.ascontiguousarray(arr, dtype=np.uint8).tobytes())


def read(path):
    data, pos, out = open(path, "rb").read(), 0, []
    while pos < len(data):
        end = data.index(b"ENDHDR\n", pos)
        kv = dict(l.split(" ", 1) for l in data[pos:end].decode().split("\n")[1:] if l)
        pos = end + 7
        nx, ny, nz = map(int, kv["DIMS"].split())
        sp = tuple(map(float, kv["SPACING"].split()))
        arr = np.frombuffer(data[pos:pos + nx * ny * nz], dtype=np.uint8).reshape(nz, ny, nx)
        pos += nx * ny * nz
        out.append((kv.get("NAME", ""), arr, sp))
    return out


def surface_distances(a, b, sp, conn):
    fp = generate_binary_structure(3, conn)
    ab = a ^ binary_erosion(a, structure=fp, iterations=1)
    bb = b ^ binary_erosion(b, structure=fp, iterations=1)
    return distance_transform_edt(~bb, sampling=sp)[ab]


def hd(a, b, sp, mode, conn):
    sp = sp[::-1]  # arrays are [z, y, x]
    d1 = surface_distances(a, b, sp, conn)
    d2 = surface_distances(b, a, sp, conn)
    if mode == "medpy":
        return np.percentile(np.hstack((d1, d2)), 95)
    if mode == "max":
        return max(np.percentile(d1, 95), np.percentile(d2, 95))
    if mode == "hd":
        return max(d1.max(), d2.max())
    return np.mean((d1.mean(), d2.mean()))


def random_mask(rng, shape):
    m = np.zeros(shape, bool)
    if rng.random() < 0.3:
        m |= rng.random(shape) < 0.2
    for _ in range(rng.integers(1, 4)):
        lo = [rng.integers(0, s) for s in shape]
        hi = [l + rng.integers(1, s - l + 1) for l, s in zip(lo, shape)]
        m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = True
    return m


def main():
    cmd = sys.argv[1]
    if cmd == "make":
        rng = np.random.default_rng(2024)
        with open(sys.argv[2], "wb") as fp, open(sys.argv[3], "wb") as fg:
            for i in range(int(sys.argv[4])):
                shape = tuple(int(s) for s in rng.integers(3, 16, 3))
                sp = rng.uniform(0.3, 3.0, 3)
                write(fp, f"r{i}", random_mask(rng, shape), sp)
                write(fg, f"r{i}", random_mask(rng, shape), sp)
    elif cmd == "make3":
        rng = np.random.default_rng(2025)
        with open(sys.argv[2], "wb") as fp, open(sys.argv[3], "wb") as fg:
            for i in range(int(sys.argv[4])):
                shape = tuple(int(s) for s in rng.integers(4, 16, 3))
                sp = rng.uniform(0.3, 3.0, 3)
                for f in (fp, fg):
                    lab = np.zeros(shape, np.uint8)
                    for c in (1, 2, 1, 2):
                        if rng.random() < 0.8:
                            lab[random_mask(rng, shape)] = c
                    write(f, f"m{i}", lab, sp, "CLASSES 3\n")
    elif cmd == "classes":
        pred, gt = read(sys.argv[2]), {n: a for n, a, _ in read(sys.argv[3])}
        print("case\tclass\ttp\tfp\tfn\ttn\thd95")
        for name, p, sp in pred:
            g = gt[name]
            for c in ("1", "2", "fg"):
                pm, gm = (p >= 1, g >= 1) if c == "fg" else (p == int(c), g == int(c))
                if pm.any() and gm.any():
                    h = hd(pm, gm, sp, "medpy", 1)
                else:
                    h = 0.0 if pm.any() == gm.any() else float("inf")
                print(f"{name}\t{c}\t{np.sum(pm & gm)}\t{np.sum(pm & ~gm)}\t"
                      f"{np.sum(~pm & gm)}\t{np.sum(~pm & ~gm)}\t{h:.12g}")
    elif cmd == "msd":
        import glob
        import os
        import nibabel as nib
        files = sorted(glob.glob(os.path.join(sys.argv[2], "*.nii.gz")))[: int(sys.argv[5])]
        with open(sys.argv[3], "wb") as fp, open(sys.argv[4], "wb") as fg:
            for path in files:
                img = nib.load(path)
                lab = np.asarray(img.dataobj).transpose(2, 1, 0)  # [x,y,z] -> [z,y,x]
                sp = img.header.get_zooms()[:3]
                name = os.path.basename(path).split(".")[0]
                write(fp, name, lab == 1, sp)
                write(fg, name, lab == 2, sp)
    elif cmd == "hd":
        pred, gt = read(sys.argv[2]), {n: a for n, a, _ in read(sys.argv[3])}
        conn = {"6": 1, "18": 2, "26": 3}[sys.argv[5]]
        print("case\tref")
        for name, a, sp in pred:
            v = hd(a.astype(bool), gt[name].astype(bool), sp, sys.argv[4], conn)
            print(f"{name}\t{v:.12g}")
    elif cmd == "overlap":
        pred, gt = read(sys.argv[2]), {n: a for n, a, _ in read(sys.argv[3])}
        print("case\ttp\tfp\tfn\ttn")
        for name, p, _ in pred:
            g = gt[name]
            lab = g != 255
            p, g = p[lab] == 1, g[lab] == 1
            print(f"{name}\t{np.sum(p & g)}\t{np.sum(p & ~g)}\t{np.sum(~p & g)}\t{np.sum(~p & ~g)}")
    else:
        sys.exit(f"eval_ref.py: unknown command: '{cmd}'")


if __name__ == "__main__":
    main()
