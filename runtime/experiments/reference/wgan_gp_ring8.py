#!/usr/bin/python3
"""An independent PyTorch check of the mixtures protocol's WGAN-GP cell on ring-8 (docs/results/mixtures.md).

Same problem as `runtime/jgan run default loss=wasserstein regularizers=wgan-gp ...` in mixtures.sh: 8 Gaussians of
std 0.02 on a circle of radius 2; G 16 -> 128 -> 128 -> 2 and D 2 -> 128 -> 128 -> 1 with ReLU and Glorot weights;
batch 256; Adam lr 1e-4, betas (BETA1, 0.9); 5 critic steps per generator step; the penalty
LAMBDA * E(|grad D(x_hat)| - 1)^2 at x_hat = e x + (1 - e) G(z) (Gulrajani et al. 2017, Algorithm 1), here with
autograd's double backprop instead of the framework's first-order evaluation. Every 1000 iterations it prints the
framework's mixture metric: modes with at least 20 of 2500 samples within 3 std of them, and the fraction of such
samples.

Not part of the build or the tests; it needs Debian's python3-torch (apt-get install python3-torch).

    /usr/bin/python3 runtime/experiments/reference/wgan_gp_ring8.py SEED [ITERATIONS [LAMBDA [BETA1]]]
"""
import math
import sys

import torch
import torch.nn as nn

seed = int(sys.argv[1])
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
lam = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
beta1 = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
torch.manual_seed(seed)
torch.set_num_threads(1)


def mlp(inputs, outputs):
    m = nn.Sequential(nn.Linear(inputs, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, outputs))
    for layer in m:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return m


G, D = mlp(16, 2), mlp(2, 1)
means = torch.tensor([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)] for k in range(8)])


def data(n):
    return means[torch.randint(0, 8, (n,))] + 0.02 * torch.randn(n, 2)


optG = torch.optim.Adam(G.parameters(), 1e-4, betas=(beta1, 0.9))
optD = torch.optim.Adam(D.parameters(), 1e-4, betas=(beta1, 0.9))


def mixture_score():
    with torch.no_grad():
        x = G(torch.randn(2500, 16))
    dist, nearest = torch.cdist(x, means).min(1)
    good = dist < 3 * 0.02
    counts = torch.bincount(nearest[good], minlength=8)
    return int((counts >= 20).sum()), good.float().mean().item()


for it in range(1, iterations + 1):
    for _ in range(5):
        real, fake = data(256), G(torch.randn(256, 16)).detach()
        e = torch.rand(256, 1)
        x_hat = (e * real + (1 - e) * fake).requires_grad_(True)
        g = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0]
        penalty = lam * ((g.norm(dim=1) - 1) ** 2).mean()
        critic = D(fake).mean() - D(real).mean()
        optD.zero_grad()
        (critic + penalty).backward()
        optD.step()
    loss_g = -D(G(torch.randn(256, 16))).mean()
    optG.zero_grad()
    loss_g.backward()
    optG.step()
    if it % 1000 == 0:
        modes, quality = mixture_score()
        print(f"seed {seed} iteration {it}: modes {modes} of 8, high quality {100 * quality:.1f}%, "
              f"critic W estimate {-critic.item():.3f}, penalty {penalty.item():.3f}", flush=True)
