"""An independent slab reader/writer and PNG decoder in standard-library
Python, the reference the slice tools' bats tests check against. It shares
no code with lib/ (written from formats/slab.md and the PNG specification).
"""
import struct
import zlib

FMT = {"u8": ("B", 1), "i16": ("h", 2), "f32": ("f", 4)}


def read_slabs(data):
    """Parse a byte string holding a stream of slabs into a list of dicts:
    name, nx, ny, nz, nc, type, spacing, transform, extra (list of lines),
    raw (sample bytes), v (list of sample values)."""
    out, pos = [], 0
    while pos < len(data):
        end = data.index(b"\nENDHDR\n", pos) + 8
        lines = data[pos:end].decode("ascii").split("\n")[:-1]
        assert lines[0] == "SLAB 1", lines[0]
        s = {"name": "", "extra": [], "transform": None}
        for line in lines[1:-1]:
            if line.startswith("#"):
                continue
            key, _, val = line.partition(" ")
            if key == "NAME":
                s["name"] = val
            elif key == "DIMS":
                s["nx"], s["ny"], s["nz"] = map(int, val.split())
            elif key == "CHANNELS":
                s["nc"] = int(val)
            elif key == "TYPE":
                s["type"] = val
            elif key == "SPACING":
                s["spacing"] = [float(x) for x in val.split()]
            elif key == "TRANSFORM":
                s["transform"] = [float(x) for x in val.split()]
            else:
                s["extra"].append(line)
        if s["transform"] is None:
            sx, sy, sz = s["spacing"]
            s["transform"] = [sx, 0, 0, 0, 0, sy, 0, 0, 0, 0, sz, 0]
        code, size = FMT[s["type"]]
        n = s["nx"] * s["ny"] * s["nz"] * s["nc"]
        s["raw"] = data[end:end + n * size]
        assert len(s["raw"]) == n * size, "short data"
        s["v"] = list(struct.unpack("<%d%s" % (n, code), s["raw"]))
        pos = end + n * size
        out.append(s)
    return out


def read_file(path):
    with open(path, "rb") as f:
        return read_slabs(f.read())


def idx(s, x, y, c, z):
    return ((z * s["nc"] + c) * s["ny"] + y) * s["nx"] + x


def make_slab(name, nx, ny, nz, nc, typ, values, spacing=(1, 1, 1), transform=None,
              extra=()):
    """The bytes of one slab."""
    code, _ = FMT[typ]
    head = "SLAB 1\n"
    if name:
        head += "NAME %s\n" % name
    head += "DIMS %d %d %d\nCHANNELS %d\nTYPE %s\n" % (nx, ny, nz, nc, typ)
    head += "SPACING %s\n" % " ".join(repr(float(x)) for x in spacing)
    if transform is not None:
        head += "TRANSFORM %s\n" % " ".join(repr(float(x)) for x in transform)
    for line in extra:
        head += line + "\n"
    head += "ENDHDR\n"
    assert len(values) == nx * ny * nz * nc
    return head.encode("ascii") + struct.pack("<%d%s" % (len(values), code), *values)


def read_png(path):
    """Decode an 8-bit gray or RGB non-interlaced PNG: (width, height,
    channels, rows), rows a list of bytes objects of width*channels."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        assert zlib.crc32(kind + body) & 0xffffffff == crc, "bad crc"
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, color, _, _, interlace = ihdr
    assert depth == 8 and interlace == 0 and color in (0, 2), ihdr
    ch = 1 if color == 0 else 3
    raw = zlib.decompress(idat)
    stride = w * ch
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b = prev[i]
            c = prev[i - ch] if i >= ch else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, ch, rows
