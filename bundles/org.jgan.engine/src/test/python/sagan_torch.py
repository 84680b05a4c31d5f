"""PyTorch reference for ArchitectureSpeedBenchmark's `sagan` row: jgan's SAGAN (Zhang et al. 2018) with the preset
`sagan-32` as the benchmark runs it (1x32x32, batch 32, no labels): the architecture's default widths (C = 32 in
every block, attention at 16x16 with reduction k = 8, so f, g, h have 4 channels), latent 128, hinge loss, spectral
normalization of every weight of G and D (one power iteration per step), Adam betas (0, 0.9) with D 4e-4 and
G 1e-4, one D step and one G step per iteration on random data, 2 threads. Prints the median ms per iteration (the
D step and the G step together) and the peak resident memory.

The networks follow, layer for layer and in the same order of ops:
  bundles/org.jgan.sagan/src/main/java/org/jgan/sagan/internal/SaganNetworks.java   (G and D)
  bundles/org.jgan.sagan/src/main/java/org/jgan/sagan/internal/SelfAttention.java   (the attention block)
  bundles/org.jgan.sagan/src/main/java/org/jgan/sagan/internal/SaganArchitecture.java (default options)
  bundles/org.jgan.layers/src/main/java/org/jgan/layers/ResidualBlock.java, BatchNorm.java
  G: z [B, 128] -> linear -> [B, C, 4, 4] -> up blocks to 8, 16 (-> self-attention), 32
     (up: BN, ReLU, nearest x2, conv3x3 (no bias), BN, ReLU, conv3x3 (bias except in the last block) + x2(conv1x1(x)))
     -> BN -> ReLU -> conv3x3 to 1 channel -> tanh.
  D: first block (conv3x3, ReLU, conv3x3, avgpool2 + conv1x1(avgpool2(x))) to 16x16 -> self-attention -> down block
     (ReLU, conv3x3, ReLU, conv3x3, avgpool2 + conv1x1(avgpool2(x))) to 8x8 -> two plain blocks (ReLU, conv3x3,
     ReLU, conv3x3 + x) -> ReLU -> sum over H, W -> linear logit. No normalization in D.
  Self-attention: f, g, h = 1x1 convs C -> C/8 (no bias), t[b, j, i] = g_j . f_i, softmax over i (the last
     dimension), o = h beta^T, v = 1x1 conv C/8 -> C (no bias), y = gamma v(o) + x, gamma a parameter, initially 0.
  Initialisation as jgan's: He normal for 3x3 kernels, Glorot uniform for 1x1 kernels and linear layers, zero
  biases, BN gamma 1 / beta 0.
The algorithm follows bundles/org.jgan.engine/src/main/java/org/jgan/engine/internal/model/{GanModel,PlayerGraph,
StepGradients,Schedule}.java and org/jgan/engine/internal/graph/{GraphScope,Backprop}.java, the hinge loss
bundles/org.jgan.losses/.../HingeLoss.java (L_D = mean relu(1 - D(x)) + mean relu(1 + D(G(z))), L_G = -mean D(G(z)))
and bundles/org.jgan.regularizers/.../SpectralNormalization.java: each step draws a fresh latent batch; the D step
runs G in training mode (batch statistics) without a gradient, the G step differentiates through D to G's
parameters only (jgan's gradient function is asked for the stepping player's parameters only; here G's forward runs
under no_grad in the D step and D's parameters are frozen in the G step, as BigGAN-PyTorch's toggle_grad does).
Spectral normalization is torch.nn.utils.parametrizations.spectral_norm (one power iteration per computation of the
weight, u and v held constant, so the gradient through sigma = u^T W v is u v^T as in jgan); each step computes every
normalized weight once, inside parametrize.cached(), as jgan reparametrizes once per graph (GraphScope.param) so
that D applied to the data and to the samples shares one sigma.

Where this port necessarily differs from jgan (none changes the amount of computation beyond what is said):
- Spectral norm keeps its vector on the other side of the matrix: PyTorch views a weight as [out, in*kH*kW] and
  keeps u over the outputs, jgan views it as [kH*kW*in, out] and keeps u over the inputs (SpectralNormalization
  .apply). Both do one product with W and one with W^T per step and take sigma = u^T W v; the estimates agree once
  converged. PyTorch starts u with 15 power iterations at registration, jgan with 200.
- jgan keeps only the stepping player's new buffers (spectral-norm vectors, BN running statistics); PyTorch's
  modules in training mode also update G's in the D step's forward pass of G and D's in the G step. Same work, a
  slightly different state. PyTorch's BN running variance is unbiased, jgan's biased (training uses the biased batch
  variance in both).
- ReLU is F.relu (jgan: x * [x > 0], GraphScope.relu, same values and gradient); BN is nn.BatchNorm2d (jgan: elementary
  ops, BatchNorm.apply, same values).
- Adam is torch.optim.Adam (eps 1e-8 added to the bias-corrected sqrt(v_hat)); ND4J's Adam (Optimizer.java) adds
  it to sqrt(v) before the bias correction, an eps larger by 1 / sqrt(1 - beta2^t) in PyTorch's terms: negligible.
- The data batch is one fixed random batch in [-1, 1] (jgan's benchmark samples its `test-images` data set each
  step, and also draws a data batch for the G step, which the G loss does not use).
Parameters counted as jgan counts them (ParameterStore.count: trainable arrays only; spectral norm's u, v and BN's
running statistics are buffers): G 125,730, D 66,658.

usage: sagan_torch.py [warmup measured threads]   (defaults 20 30 2)
"""
import time

import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils import parametrize

from bench_common import arguments, figures, gate, parameters, process, residual_blocks, spectral_conv, spectral_linear

warmup, measured, threads, words = arguments()
# stack=1: each D step runs D once on the data batch and G(z) stacked along the batch axis, as jgan's D steps do where
# D's rows are independent (Networks.independentSamples) and as BigGAN-PyTorch's G_D and the WGAN-GP authors' ResNet
# code do; stack=0 (the default): D on each batch
stack = dict(a.split("=", 1) for a in words if "=" in a).get("stack", "0") != "0"
torch.set_num_threads(threads)
torch.manual_seed(0)
batch, latent, channels, size = 32, 128, 1, 32
C, ATTENTION, REDUCTION = 32, 16, 8  # SaganArchitecture.OPTIONS defaults; the preset's attention = 16
D_BLOCKS, D_SMALLEST = 4, 8  # SaganNetworks
lr_d, lr_g, betas, d_steps = 4e-4, 1e-4, (0.0, 0.9), 1
conv, linear = spectral_conv, spectral_linear
Up, First, Down, Plain = residual_blocks(conv)


class SelfAttention(nn.Module):
    """SelfAttention.apply."""

    def __init__(self, c, reduction):
        super().__init__()
        inner = max(1, c // reduction)
        self.f, self.g, self.h = (conv(c, inner, 1, False) for _ in range(3))
        self.v = conv(inner, c, 1, False)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        b, c, s, _ = x.shape
        f, g, h = self.f(x).flatten(2), self.g(x).flatten(2), self.h(x).flatten(2)  # [B, C/k, N]
        beta = torch.softmax(torch.bmm(g.transpose(1, 2), f), dim=2)  # [B, j, i], softmax over i
        o = torch.bmm(h, beta.transpose(1, 2)).view(b, -1, s, s)  # o[b, c, j] = sum_i h[b, c, i] beta[b, j, i]
        return self.v(o) * self.gamma + x


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = linear(latent, C * 4 * 4)
        blocks, s = [], 4
        for i in range(1, 4):
            blocks.append(Up(C, i != 3))
            s *= 2
            if s == ATTENTION:
                blocks.append(SelfAttention(C, REDUCTION))
        self.blocks = nn.Sequential(*blocks)
        self.out_bn = nn.BatchNorm2d(C)
        self.out = conv(C, channels, 3, True, lambda w: nn.init.xavier_uniform_(w))

    def forward(self, z):
        h = self.blocks(self.fc(z).view(-1, C, 4, 4))
        return torch.tanh(self.out(F.relu(self.out_bn(h))))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        blocks, s, attended = [First(channels, C)], size // 2, False
        for i in range(2, D_BLOCKS + 2):
            if not attended and s == ATTENTION:
                blocks.append(SelfAttention(C, REDUCTION))
                attended = True
            if i > D_BLOCKS:
                break
            if s > D_SMALLEST:
                blocks.append(Down(C))
                s //= 2
            else:
                blocks.append(Plain(C))
        self.blocks = nn.Sequential(*blocks)
        self.out = linear(C, 1)

    def forward(self, x):
        return self.out(F.relu(self.blocks(x)).sum((2, 3)))


G, D = Generator(), Discriminator()
optG = torch.optim.Adam(G.parameters(), lr_g, betas=betas)
optD = torch.optim.Adam(D.parameters(), lr_d, betas=betas)
real = torch.rand(batch, channels, size, size) * 2 - 1

times = []
for it in range(warmup + measured):
    gate(it, warmup)
    t0 = time.perf_counter()
    for k in range(d_steps):
        with parametrize.cached():  # each normalized weight once per step, as jgan's graphs do
            with torch.no_grad():
                fake = G(torch.randn(batch, latent))
            optD.zero_grad()
            if stack:
                logits = D(torch.cat([real, fake]))
                d_real, d_fake = logits[:batch], logits[batch:]
            else:
                d_real, d_fake = D(real), D(fake)
            (F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()).backward()
        optD.step()
    D.requires_grad_(False)  # jgan's G step computes G's gradients only
    with parametrize.cached():
        optG.zero_grad()
        (-D(G(torch.randn(batch, latent))).mean()).backward()
    optG.step()
    D.requires_grad_(True)
    if it >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
print("pytorch %s sagan 1x32x32 batch 32 (G %d, D %d parameters), loss hinge, spectral norm G and D, %d D step(s)%s, "
      "%d threads: %s; %s" % (torch.__version__, parameters(G), parameters(D), d_steps,
                              " (D on both batches stacked)" if stack else "", threads, figures(times), process()))
