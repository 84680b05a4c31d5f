"""PyTorch reference for DcganSpeedBenchmark: the same DCGAN (architecture `dcgan`, 1x28x28, channels 64, latent 100,
batch norm, 4x4 stride-2 kernels), non-saturating loss, Adam 2e-4 / 0.5, one D and one G step per iteration on
random data, 2 threads. Prints the median ms per iteration and the peak resident memory.

The same algorithm as the jgan engine (Goodfellow et al. 2014, Algorithm 1): the D step samples G without a
gradient, the G step draws a fresh latent batch. PyTorch's DCGAN example instead reuses the D step's fake batch in
the G step, which saves one forward pass of G; with `reuse` as fourth argument this script does that (the figure
this benchmark printed until 2026-12-01).

Options after the numbers, as `name=value`: `size=32` (the network for 32x32 images: G from a 4x4 map with widths
256, 128, 64, D mirroring it, as jgan's `dcgan` builds it for that size; default 28: from 7x7, widths 128, 64) and
`batch=N` (default 64), `width=N` (the base width, default 64) and `latent=N` (default 100).
ArchitectureSpeedBenchmark runs it with `size=32 batch=32`.
"""
import time

import torch
from torch import nn

from bench_common import arguments, figures, gate, parameters, process

warmup, measured, threads, words = arguments()
reuse = "reuse" in words
options = dict(a.split("=", 1) for a in words if "=" in a)
size, batch = int(options.get("size", 28)), int(options.get("batch", 64))
torch.set_num_threads(threads)
torch.manual_seed(0)
latent, base = int(options.get("latent", 100)), int(options.get("width", 64))
# widths from the smallest map up: 7x7 -> 28 in two doublings, 4x4 -> 32 in three
start, doublings = (7, 2) if size == 28 else (4, 3)
widths = [base << (doublings - 1 - i) for i in range(doublings)]

g_layers = [nn.Linear(latent, widths[0] * start * start, bias=False), nn.Unflatten(1, (widths[0], start, start)),
            nn.BatchNorm2d(widths[0]), nn.ReLU()]
for a, b in zip(widths, widths[1:]):
    g_layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]
G = nn.Sequential(*g_layers, nn.ConvTranspose2d(widths[-1], 1, 4, 2, 1), nn.Tanh())
# no batch norm on D's input layer (Radford et al.)
d_layers = [nn.Conv2d(1, widths[-1], 4, 2, 1), nn.LeakyReLU(0.2)]
for a, b in zip(widths[::-1], widths[::-1][1:]):
    d_layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.LeakyReLU(0.2)]
D = nn.Sequential(*d_layers, nn.Flatten(), nn.Linear(widths[0] * start * start, 1))
optG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
real = torch.rand(batch, 1, size, size) * 2 - 1

times = []
for it in range(warmup + measured):
    gate(it, warmup)
    t0 = time.perf_counter()
    if reuse:
        fake = G(torch.randn(batch, latent))
    else:
        with torch.no_grad():
            fake = G(torch.randn(batch, latent))
    optD.zero_grad()
    (bce(D(real), ones) + bce(D(fake.detach()), zeros)).backward()
    optD.step()
    optG.zero_grad()
    bce(D(fake if reuse else G(torch.randn(batch, latent))), ones).backward()
    optG.step()
    if it >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
print("pytorch %s dcgan %dx%d batch %d (G %d, D %d parameters), %s, %d threads: %s; %s"
      % (torch.__version__, size, size, batch, parameters(G), parameters(D),
         "fake batch reused in the G step" if reuse else "fresh latent batch in the G step", threads, figures(times),
         process()))
