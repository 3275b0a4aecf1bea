"""The selflabel U-Net in PyTorch, for timing (make bench) and parity tests.

usage: unet_torch.py bench C W H BATCH STEPS THREADS [channels_last|nchw] [infer] [REPEATS]
       prints: slices_per_s cpu_slices_per_s (of the fastest of REPEATS timed blocks of
       STEPS, default 1, by wall time and by the process's CPU time)
The network matches lib/unet.c (formats/model.md): base 8, depth 4, 3x3 same
conv + ReLU twice per level, 2x2 max-pool, 2x2 stride-2 transposed conv
(no activation), concat [up, skip], 1x1 conv to one logit.
"""
import sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class UNet(nn.Module):
    def __init__(self, cin=1, base=8, depth=4):
        super().__init__()
        self.depth = depth
        f = [base << l for l in range(depth + 1)]
        self.enc = nn.ModuleList()
        for l in range(depth + 1):
            ci = cin if l == 0 else f[l - 1]
            self.enc.append(nn.ModuleList([nn.Conv2d(ci, f[l], 3, padding=1),
                                           nn.Conv2d(f[l], f[l], 3, padding=1)]))
        self.up = nn.ModuleList([nn.ConvTranspose2d(f[l + 1], f[l], 2, stride=2)
                                 for l in range(depth)])
        self.dec = nn.ModuleList([nn.ModuleList([nn.Conv2d(2 * f[l], f[l], 3, padding=1),
                                                 nn.Conv2d(f[l], f[l], 3, padding=1)])
                                  for l in range(depth)])
        self.out = nn.Conv2d(f[0], 1, 1)

    def forward(self, x):
        skips = []
        for l in range(self.depth + 1):
            x = F.relu(self.enc[l][0](x))
            x = F.relu(self.enc[l][1](x))
            if l < self.depth:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for l in reversed(range(self.depth)):
            x = torch.cat([self.up[l](x), skips[l]], 1)
            x = F.relu(self.dec[l][0](x))
            x = F.relu(self.dec[l][1](x))
        return self.out(x)

    def tensors(self):
        """Parameters in the model file's order."""
        t = []
        for l in range(self.depth + 1):
            for j in range(2):
                t += [self.enc[l][j].weight, self.enc[l][j].bias]
        for l in reversed(range(self.depth)):
            t += [self.up[l].weight, self.up[l].bias]
            for j in range(2):
                t += [self.dec[l][j].weight, self.dec[l][j].bias]
        return t + [self.out.weight, self.out.bias]


def bench(c, w, h, b, steps, threads, layout="channels_last", infer=False, repeats=1):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = UNet(c)
    x = torch.randn(b, c, h, w)
    y = (torch.rand(b, 1, h, w) > 0.5).float()
    if layout == "channels_last":
        net = net.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    lossf = nn.BCEWithLogitsLoss()

    def step():
        if infer:
            with torch.no_grad():
                net(x)
            return
        opt.zero_grad()
        loss = lossf(net(x), y)
        loss.backward()
        opt.step()
    for _ in range(2):
        step()
    best = cbest = float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        best = min(best, time.perf_counter() - t0)
        cbest = min(cbest, time.process_time() - c0)
    return b * steps / best, b * steps / cbest


if __name__ == "__main__":
    a = sys.argv[1:]
    if not a or a[0] != "bench":
        sys.exit(__doc__)
    c, w, h, b, steps, threads = map(int, a[1:7])
    layout = a[7] if len(a) > 7 else "channels_last"
    infer = len(a) > 8 and a[8] == "infer"  # "-": train
    reps = int(a[9]) if len(a) > 9 else 1
    print("%.1f %.1f" % bench(c, w, h, b, steps, threads, layout, infer, reps))
