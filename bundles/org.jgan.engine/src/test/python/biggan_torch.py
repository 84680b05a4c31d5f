"""PyTorch reference for ArchitectureSpeedBenchmark's `biggan` row: jgan's BigGAN (Brock et al. 2018) with the preset
`biggan-fashion` as the benchmark runs it (1x32x32, batch 32, 10 classes): the architecture's default widths
(C = 32 in every block, shared class embedding 32), latent 120 in 4 chunks of 30, hinge loss, spectral
normalization of every weight of G and D (one power iteration per step), BigGAN's orthogonal regularization of G
(beta 1e-4), Adam betas (0, 0.999) with D 2e-4 and G 5e-5, two D steps and one G step per iteration on random data
and labels, then the EMA of G's parameters (decay 0.999; a copy until G has taken 200 steps), 2 threads. Prints the
median ms per iteration (both D steps, the G step and the EMA update together) and the peak resident memory.

The networks follow, layer for layer and in the same order of ops:
  bundles/org.jgan.biggan/src/main/java/org/jgan/biggan/internal/BigGanNetworks.java      (G and D)
  bundles/org.jgan.biggan/src/main/java/org/jgan/biggan/internal/ConditionalBatchNorm.java
  bundles/org.jgan.biggan/src/main/java/org/jgan/biggan/internal/BigGanArchitecture.java  (default options)
  bundles/org.jgan.layers/src/main/java/org/jgan/layers/ResidualBlock.java, BatchNorm.java
  (Truncation.java only acts in sampling graphs: training never truncates, so it has no part here.)
  G: shared = E y (E [10, 32], not spectrally normalized, N(0, 1) init); z = (z_0, z_1, z_2, z_3);
     z_0 -> linear -> [B, C, 4, 4] -> up blocks i = 1..3 conditioned on c_i = concat(shared, z_i) [B, 62]
     (up: CBN, ReLU, nearest x2, conv3x3 (no bias), CBN, ReLU, conv3x3 (bias except in the last block)
     + x2(conv1x1(x))) -> BN -> ReLU -> conv3x3 to 1 channel -> tanh.
     CBN: batch statistics without affine parameters, then * (1 + c W_g + b_g) + (c W_b + b_b), W_g and W_b
     spectrally normalized linear layers.
  D: first block to 16x16, down block to 8x8, two plain blocks (as in sagan_torch.py, no attention, no
     normalization) -> ReLU -> phi = sum over H, W -> logit = phi w + b + <V_y, phi>, V [10, C] D's class
     embedding, spectrally normalized (Miyato and Koyama 2018).
  Initialisation as jgan's: He normal for 3x3 kernels, Glorot uniform for 1x1 kernels, linear layers and V, zero
  biases, BN gamma 1 / beta 0, E N(0, 1).
The algorithm follows bundles/org.jgan.engine/src/main/java/org/jgan/engine/internal/model/{GanModel,PlayerGraph,
StepGradients,Schedule,TrainingState}.java and org/jgan/engine/internal/graph/{GraphScope,Backprop}.java, the hinge
loss bundles/org.jgan.losses/.../HingeLoss.java, and bundles/org.jgan.regularizers/.../{SpectralNormalization,
OrthogonalRegularization}.java:
- each D step draws a fresh latent batch and labels; the fake batch is conditioned on the data batch's labels
  (StepGradients.feed); G runs in training mode (batch statistics) without a gradient;
- the G step draws a fresh latent batch and uniform labels, and differentiates through D to G's parameters only
  (jgan asks its gradient function for the stepping player's parameters only; here D is frozen in the G step, as
  BigGAN-PyTorch's toggle_grad does); its loss is -mean D(G(z)) + 1e-4 sum_W |W W^T (.) (1 - I)|_F^2 over G's raw
  (not normalized) weights as one filter per row (jgan: W^T W with one filter per column, the same Gram matrix): the
  linear layers, every kernel, CBN's W_g and W_b, not E, biases nor BN's gamma / beta; the term is in the
  autograd graph, as in jgan (BigGAN-PyTorch instead adds 2 beta (W W^T (.) (1 - I)) W to the gradients directly);
- after the G update, the EMA of G's parameters (TrainingState.updateAverage, the schedule's AVERAGE action inside
  GanModel.generatorStep, so inside jgan's timed iteration): theta_ema = theta while G has taken <= 200 steps,
  else 0.999 theta_ema + 0.001 theta; parameters only, not BN's running statistics;
- spectral normalization is torch.nn.utils.parametrizations.spectral_norm (one power iteration per computation of
  the weight, u and v constant, so the gradient through sigma = u^T W v is u v^T as in jgan); each step computes every
  normalized weight once, inside parametrize.cached(), as jgan reparametrizes once per graph (GraphScope.param).

Where this port necessarily differs from jgan (none changes the amount of computation beyond what is said):
- Spectral norm keeps its vector on the other side of the matrix for linear and convolution weights: PyTorch views
  them as [out, in*kH*kW] and keeps u over the outputs, jgan as [kH*kW*in, out] keeping u over the inputs. Both do
  one product with W and one with W^T per step and take sigma = u^T W v; the estimates agree once converged (for
  V, [classes, C] on both sides, the iterations are the same). PyTorch starts u with 15 power iterations at
  registration, jgan with 200.
- Labels are class indices and the class embeddings are lookups (nn.Embedding), as PyTorch users write them; jgan
  multiplies one-hot labels [B, 10] by E and by V (BigGanNetworks.generator, .projection): the same values, a
  [32, 10] x [10, 32] product more per use there.
- jgan keeps only the stepping player's new buffers (spectral-norm vectors, BN running statistics); PyTorch's
  modules in training mode also update G's in the D steps' forward passes of G and D's in the G step. Same work, a
  slightly different state. PyTorch's BN running variance is unbiased, jgan's biased (training uses the biased batch
  variance in both).
- ReLU is F.relu (jgan: x * [x > 0], GraphScope.relu), BN and CBN's standardization nn.BatchNorm2d (jgan: elementary
  ops), the EMA in-place per-parameter updates (jgan: INDArray assign / muli / addi): the same values.
- Adam is torch.optim.Adam (eps 1e-8 added to the bias-corrected sqrt(v_hat)); ND4J's Adam (Optimizer.java) adds
  it to sqrt(v) before the bias correction, an eps larger by 1 / sqrt(1 - beta2^t) in PyTorch's terms: negligible.
- The data batch is one fixed random batch in [-1, 1] with fresh random labels per D step (jgan's benchmark samples
  its `test-images` data set each step, and also draws a data batch for the G step, which the G loss does not use).
Parameters counted as jgan counts them (ParameterStore.count: trainable arrays only; spectral norm's u, v and BN's
running statistics are buffers): G 99,169, D 66,465.

usage: biggan_torch.py [warmup measured threads]   (defaults 20 30 2)
"""
import time

import torch
from torch import nn
import torch.nn.functional as F
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from bench_common import (arguments, figures, gate, parameters, process,
                          residual_blocks, spectral_conv, spectral_linear, up2)

warmup, measured, threads, words = arguments()
# stack=1: each D step runs D once on the data batch and G(z) stacked along the batch axis, as jgan's D steps do where
# D's rows are independent (Networks.independentSamples) and as BigGAN-PyTorch's G_D and the WGAN-GP authors' ResNet
# code do; stack=0 (the default): D on each batch
stack = dict(a.split("=", 1) for a in words if "=" in a).get("stack", "0") != "0"
torch.set_num_threads(threads)
torch.manual_seed(0)
batch, latent, channels, size, classes = 32, 120, 1, 32, 10
C, EMBEDDING = 32, 32  # BigGanArchitecture.OPTIONS defaults
CHUNK = latent // 4  # one chunk for the input layer and one per up block (4 -> 32 in three)
D_BLOCKS, D_SMALLEST = 4, 8  # BigGanNetworks
lr_d, lr_g, betas, d_steps = 2e-4, 5e-5, (0.0, 0.999), 2
ortho_beta, ema_decay, ema_start = 1e-4, 0.999, 200


conv, linear = spectral_conv, spectral_linear
_, First, Down, Plain = residual_blocks(conv)


class ConditionalBatchNorm(nn.Module):
    def __init__(self, c, cond):
        super().__init__()
        self.bn = nn.BatchNorm2d(c, affine=False)
        self.gain, self.bias = linear(cond, c), linear(cond, c)

    def forward(self, x, cond):
        b, c = x.shape[:2]
        return self.bn(x) * (1 + self.gain(cond)).view(b, c, 1, 1) + self.bias(cond).view(b, c, 1, 1)


class Up(nn.Module):
    """BigGanNetworks.up."""

    def __init__(self, c, cond, output_bias):
        super().__init__()
        self.shortcut, self.conv1, self.conv2 = conv(c, c, 1, False), conv(c, c, 3, False), conv(c, c, 3, output_bias)
        self.cbn1, self.cbn2 = ConditionalBatchNorm(c, cond), ConditionalBatchNorm(c, cond)

    def forward(self, x, cond):
        shortcut = up2(self.shortcut(x))
        h = self.conv1(up2(F.relu(self.cbn1(x, cond))))
        return self.conv2(F.relu(self.cbn2(h, cond))) + shortcut


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(classes, EMBEDDING)  # N(0, 1), as Initializer.normal(1); not normalized
        self.fc = linear(CHUNK, C * 4 * 4)
        self.blocks = nn.ModuleList(Up(C, EMBEDDING + CHUNK, i != 3) for i in range(1, 4))
        self.out_bn = nn.BatchNorm2d(C)
        self.out = conv(C, channels, 3, True, lambda w: nn.init.xavier_uniform_(w))

    def forward(self, z, y):
        zs = z.split(CHUNK, 1)
        shared = self.embedding(y)
        h = self.fc(zs[0]).view(-1, C, 4, 4)
        for i, block in enumerate(self.blocks):
            h = block(h, torch.cat((shared, zs[i + 1]), 1))
        return torch.tanh(self.out(F.relu(self.out_bn(h))))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        blocks, s = [First(channels, C)], size // 2
        for i in range(2, D_BLOCKS + 1):
            if s > D_SMALLEST:
                blocks.append(Down(C))
                s //= 2
            else:
                blocks.append(Plain(C))
        self.blocks = nn.Sequential(*blocks)
        self.out = linear(C, 1)
        embedding = nn.Embedding(classes, C)
        nn.init.xavier_uniform_(embedding.weight)
        self.embedding = spectral_norm(embedding)

    def forward(self, x, y):
        phi = F.relu(self.blocks(x)).sum((2, 3))
        return self.out(phi) + (self.embedding(y) * phi).sum(1, keepdim=True)


G, D = Generator(), Discriminator()
optG = torch.optim.Adam(G.parameters(), lr_g, betas=betas)
optD = torch.optim.Adam(D.parameters(), lr_d, betas=betas)
# G's WEIGHTs for the orthogonal term: the raw weight of every spectrally normalized layer (all but E)
ortho = [m.parametrizations.weight.original for m in G.modules() if parametrize.is_parametrized(m, "weight")]
off_diagonal = [1 - torch.eye(w.shape[0]) for w in ortho]
ema = [p.detach().clone() for p in G.parameters()]
real = torch.rand(batch, channels, size, size) * 2 - 1


def orthogonal():
    total = 0
    for w, mask in zip(ortho, off_diagonal):
        m = w.flatten(1)
        total = total + (m @ m.t() * mask).square().sum()
    return ortho_beta * total


times = []
g_steps = 0
for it in range(warmup + measured):
    gate(it, warmup)
    t0 = time.perf_counter()
    for k in range(d_steps):
        y = torch.randint(classes, (batch,))
        with parametrize.cached():  # each normalized weight once per step, as jgan's graphs do
            with torch.no_grad():
                fake = G(torch.randn(batch, latent), y)
            optD.zero_grad()
            if stack:
                logits = D(torch.cat([real, fake]), torch.cat([y, y]))
                d_real, d_fake = logits[:batch], logits[batch:]
            else:
                d_real, d_fake = D(real, y), D(fake, y)
            (F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()).backward()
        optD.step()
    D.requires_grad_(False)  # jgan's G step computes G's gradients only
    with parametrize.cached():
        optG.zero_grad()
        y = torch.randint(classes, (batch,))
        (-D(G(torch.randn(batch, latent), y), y).mean() + orthogonal()).backward()
    optG.step()
    D.requires_grad_(True)
    g_steps += 1
    with torch.no_grad():
        for e, p in zip(ema, G.parameters()):
            if g_steps <= ema_start:
                e.copy_(p)
            else:
                e.mul_(ema_decay).add_(p, alpha=1 - ema_decay)
    if it >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
print("pytorch %s biggan 1x32x32 batch 32 (G %d, D %d parameters), 10 classes, loss hinge, spectral norm G and D, "
      "orthogonal %g, EMA %g from G step %d, %d D step(s)%s, %d threads: %s; %s"
      % (torch.__version__, parameters(G), parameters(D), ortho_beta, ema_decay, ema_start, d_steps,
         " (D on both batches stacked)" if stack else "", threads, figures(times), process()))
