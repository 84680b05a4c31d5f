"""PyTorch reference for PenaltyBenchmark: the time of an iteration (one D step, one G step; non-saturating loss, Adam)
unregularized and with each gradient penalty on every D step, its parameter gradient by exact double backprop
(torch.autograd.grad with create_graph=True), on the benchmark's two networks:

  mlp   ring-8 data, G 16 -> 128 -> 128 -> 2 and D 2 -> 128 -> 128 -> 1, ReLU, batch 64
  conv  jgan's `dcgan` at base width 16 on 1x28x28, latent 16, batch norm, batch 32

The penalties as jgan defines them (docs/regularizers.md), with their default weights; psi is D's logit and
s = |grad_x psi|^2 at each point:
  roth     data: gamma/2 (1 - sigmoid(psi))^2 s, samples: gamma/2 sigmoid(psi)^2 s   (gamma 2)
  r1       data: gamma/2 s (gamma 10);   r2  samples: gamma/2 s (gamma 10)
  wgan-gp  e x + (1 - e) G(z), e ~ U[0,1] per sample: lambda (sqrt(s) - 1)^2           (lambda 10)
  dragan   x + c std(x) u, u ~ U[0,1) per entry: lambda (sqrt(s) - 1)^2                (lambda 10, c 0.5)
Like the jgan engine, the D step samples G without a gradient and the G step draws a fresh latent batch. Each
configuration's D step takes the route jgan's model of it takes (PenaltyBenchmark passes them), so that both sides
do the same work:
  s   D once on the data batch and G(z) stacked along the batch axis (D's rows are independent: the MLP), for the
      loss and for Roth et al.'s two point groups
  c   the loss on the penalty's points (roth: both batches, r1: the data batch, r2: G(z)) reads D's logits from the
      penalty's pass, as StyleGAN2-ADA's R1 phase does, instead of running D on them again
Without routes every configuration runs D on each batch and the penalty's passes on their own.
The configurations take turns in blocks of iterations, so that drift of the machine falls on all alike; each
figure is the median over rounds of a block's mean (each turn first runs 2 iterations it does not measure). Prints one
line per configuration. With JGAN_BENCH_BLOCK=1 (PenaltyBenchmark sets it) it waits at a gate before each
configuration's block (bench_gate.gate), so that each block runs right after jgan's block of the same configuration.

usage: penalty_torch.py mlp|conv [threads] [penalties, comma-separated] [routes: name:flags, comma-separated]
"""
import math
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

from bench_gate import gate

case = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
penalties = (sys.argv[3] if len(sys.argv) > 3 else "roth,r1,r2,wgan-gp,dragan").split(",")
routes = dict(r.split(":") for r in sys.argv[4].split(",") if r) if len(sys.argv) > 4 else {}
torch.set_num_threads(threads)
torch.manual_seed(0)
latent = 16


def networks():
    if case == "mlp":
        g = nn.Sequential(nn.Linear(latent, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
        d = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 1))
        return g, d, 64
    c = 16
    g = nn.Sequential(
        nn.Linear(latent, 2 * c * 7 * 7, bias=False), nn.Unflatten(1, (2 * c, 7, 7)), nn.BatchNorm2d(2 * c), nn.ReLU(),
        nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
        nn.ConvTranspose2d(c, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(1, c, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(2 * c * 7 * 7, 1))
    return g, d, 32


def data(batch):
    if case == "mlp":
        angle = torch.randint(0, 8, (batch,)) * (2 * math.pi / 8)
        return torch.stack([2 * torch.cos(angle), 2 * torch.sin(angle)], 1) + 0.02 * torch.randn(batch, 2)
    return torch.rand(batch, 1, 28, 28) * 2 - 1


def grad_norm2(d, points):
    """psi at the points and s = |grad_x psi|^2 per point, differentiable with respect to D's parameters."""
    points = points.detach().requires_grad_(True)
    psi = d(points)
    (g,) = torch.autograd.grad(psi.sum(), points, create_graph=True)
    return psi, g.pow(2).flatten(1).sum(1, keepdim=True)


def both(d, real, fake, stack):
    """D's logits on the data batch and on G(z): one pass over both stacked, or one each."""
    if not stack:
        return d(real), d(fake)
    psi = d(torch.cat([real, fake]))
    return psi[:real.shape[0]], psi[real.shape[0]:]


def roth_passes(d, real, fake, stack):
    """psi and s at the data batch and at G(z): one pass over both stacked, or one each."""
    if not stack:
        return grad_norm2(d, real) + grad_norm2(d, fake)
    psi, s = grad_norm2(d, torch.cat([real, fake]))
    n = real.shape[0]
    return psi[:n], s[:n], psi[n:], s[n:]


def roth(pr, sr, pf, sf):
    return ((1 - torch.sigmoid(pr)).pow(2) * sr).mean() + (torch.sigmoid(pf).pow(2) * sf).mean()


def adversarial(pr, pf):
    return F.softplus(-pr).mean() + F.softplus(pf).mean()


def d_loss(name, d, real, fake, route):
    """The D step's loss and penalty by the route of jgan's model of the configuration."""
    stack, carry = "s" in route, "c" in route
    if carry and name == "roth":
        pr, sr, pf, sf = roth_passes(d, real, fake, stack)
        return adversarial(pr, pf) + roth(pr, sr, pf, sf) * 2.0 / 2
    if carry and name == "r1":
        pr, sr = grad_norm2(d, real)
        return adversarial(pr, d(fake)) + sr.mean() * 10 / 2
    if carry and name == "r2":
        pf, sf = grad_norm2(d, fake)
        return adversarial(d(real), pf) + sf.mean() * 10 / 2
    loss = adversarial(*both(d, real, fake, stack))
    return loss if name == "none" else loss + penalty(name, d, real, fake, stack)


def penalty(name, d, real, fake, stack):
    if name == "roth":
        return roth(*roth_passes(d, real, fake, stack)) * 2.0 / 2
    if name == "r1":
        return grad_norm2(d, real)[1].mean() * 10 / 2
    if name == "r2":
        return grad_norm2(d, fake)[1].mean() * 10 / 2
    if name == "wgan-gp":
        e = torch.rand([real.shape[0]] + [1] * (real.dim() - 1))
        s = grad_norm2(d, e * real + (1 - e) * fake)[1]
        return 10 * (s.sqrt() - 1).pow(2).mean()
    if name == "dragan":
        s = grad_norm2(d, real + 0.5 * real.std() * torch.rand_like(real))[1]
        return 10 * (s.sqrt() - 1).pow(2).mean()
    raise ValueError(name)


class Config:
    def __init__(self, name):
        self.name = name
        self.g, self.d, self.batch = networks()
        self.opt_g = torch.optim.Adam(self.g.parameters(), 2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.d.parameters(), 2e-4, betas=(0.5, 0.999))
        self.blocks = []

    def iteration(self):
        real = data(self.batch)
        with torch.no_grad():
            fake = self.g(torch.randn(self.batch, latent))
        self.opt_d.zero_grad()
        d_loss(self.name, self.d, real, fake, routes.get(self.name, "")).backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        F.softplus(-self.d(self.g(torch.randn(self.batch, latent)))).mean().backward()
        self.opt_g.step()


configs = [Config(n) for n in ["none"] + penalties]
for c in configs:
    for _ in range(20):
        c.iteration()
block, rounds, turn_warmup = 16, 7, 2
for r in range(rounds):
    for i, c in enumerate(configs):
        # paced by PenaltyBenchmark (JGAN_BENCH_BLOCK=1): each configuration's block right after jgan's block of it
        gate(r * len(configs) + i, 0)
        for _ in range(turn_warmup):
            c.iteration()  # as jgan's turns: the first iterations after a switch of configuration are not measured
        t0 = time.perf_counter()
        for _ in range(block):
            c.iteration()
        c.blocks.append((time.perf_counter() - t0) * 1000 / block)
plain = sorted(configs[0].blocks)[rounds // 2]
for c in configs:
    ms = sorted(c.blocks)[rounds // 2]
    route = routes.get(c.name, "")
    print("pytorch %s %s %-8s %8.2f ms/iteration  %.2fx%s" % (torch.__version__, case, c.name, ms, ms / plain,
                                                            "  route " + route if route else ""))
for c in configs:
    # each round's block, in order: PenaltyBenchmark pairs them with jgan's blocks of the same rounds
    print("pytorch-blocks %s %s" % (c.name, ",".join("%.4f" % b for b in c.blocks)))
