"""PyTorch reference for ArchitectureSpeedBenchmark's `resnet`: jgan's ResNet of WGAN-GP (Gulrajani et al. 2017) at
1x32x32, batch 32, the architecture's default options (channels 128, batch norm in G, none in D), trained as preset
`wgan-gp-resnet` trains it: Wasserstein loss, the WGAN-GP penalty (lambda 10) on every D step, 5 D steps per G step,
Adam 1e-4 betas (0, 0.9), latent 128, on random data. Prints the median ms per iteration and the peak resident memory.

It follows bundles/org.jgan.resnet/src/main/java/org/jgan/resnet/internal/ResnetNetworks.java (ResnetArchitecture for
the defaults), the shared blocks of bundles/org.jgan.layers (ResidualBlock, BatchNorm), the engine's step
(org.jgan.engine.internal.model: GanModel, StepGradients, PlayerGraph, Schedule), WassersteinLoss (org.jgan.losses)
and WganGpPenalty / UnitGradientNorm (org.jgan.regularizers):
  G    z [128] -> linear to [128, 4, 4] -> three up blocks (4 -> 8 -> 16 -> 32)
         x -> BN -> ReLU -> upsample -> conv3x3 (no bias) -> BN -> ReLU -> conv3x3   + upsample(conv1x1(x))
       (nearest upsampling; the 1x1 shortcut, without bias, at the lower resolution; the last block's conv2 without
       bias, its output going only into batch norm) -> BN -> ReLU -> conv3x3 128 -> 1 -> tanh. Batch norm with batch
       statistics in training graphs (eps 1e-5, running statistics momentum 0.1 in torch's convention).
  D    block1 (conv3x3 1 -> 128 -> ReLU -> conv3x3 -> avgpool, + conv1x1(avgpool(x))) 32 -> 16, a down block
       (ReLU -> conv3x3 -> ReLU -> conv3x3 -> avgpool, + conv1x1(avgpool(x))) 16 -> 8, two plain blocks at 8x8
       (ReLU -> conv3x3 -> ReLU -> conv3x3, + x), then ReLU, global mean pooling, linear 128 -> 1. No normalization.
  Initialization as jgan's: Glorot uniform for the linear layers, the 1x1 shortcuts and G's output convolution
  (fans 9 in, 9 out), He normal for the other 3x3 convolutions, biases 0.
Parameters: G 1201281, D 1051009, as jgan counts them (batch norm's gamma and beta are parameters in both, its
running statistics buffers).

An iteration as the engine runs it (Goodfellow et al. 2014, Algorithm 1, with k = 5): each D step draws a fresh
latent batch and samples G without a gradient (G in training mode: batch statistics), its loss
mean D(G(z)) - mean D(x) plus the penalty lambda mean_i (|grad D(x_hat_i)| - 1)^2, |g| = sqrt(|g|^2 + 1e-12), at
x_hat = e x + (1 - e) G(z), e ~ U[0, 1] per sample, D's gradient at x_hat by torch.autograd.grad with
create_graph=True and the penalty's parameter gradient by double backprop in the same backward() as the loss (one
Adam update per D step, as jgan's: the penalty's gradients are added to the step's before the update); then a G step
on a fresh latent batch minimizing -mean D(G(z)). G's step also computes D's parameter gradients (as jgan's conv and
matmul backward ops do); they are zeroed before the next D step.

Necessary differences: torch's double backprop against jgan's forward-mode tangents (jgan runs D on the interpolates
in two passes of its own: a forward and backward to the input, then a tangent-extended forward and backward; exact
either way); torch's BatchNorm2d also updates G's running statistics in the D steps' sampling passes, which jgan's
D steps leave alone (per-channel work, no difference in time; the running statistics do not enter training); torch's
running variance is the unbiased one, jgan's the biased one (the normalization itself uses the biased batch variance
in both); the data batch is one random tensor made once (jgan draws a batch of its test-images dataset per step);
random draws are torch's, not jgan's seeded streams; weights are laid out [out, in, k, k] (jgan [k, k, in, out]).
"""
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from bench_common import arguments, figures, gate, parameters, process, residual_blocks

warmup, measured, threads, words = arguments()
# stack=1: each D step runs D once on the data batch and G(z) stacked along the batch axis, as jgan's D steps do where
# D's rows are independent (Networks.independentSamples) and as BigGAN-PyTorch's G_D and the WGAN-GP authors' ResNet
# code do; stack=0 (the default): D on each batch
stack = dict(a.split("=", 1) for a in words if "=" in a).get("stack", "0") != "0"
torch.set_num_threads(threads)
torch.manual_seed(0)

batch, latent, size, image_channels, channels = 32, 128, 32, 1, 128
d_steps, lam = 5, 10.0


def glorot(layer, fan_in, fan_out):
    a = math.sqrt(6.0 / (fan_in + fan_out))
    nn.init.uniform_(layer.weight, -a, a)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def conv(c_in, c_out, kernel, bias):
    """A stride-1 'same' convolution: 1x1 with Glorot, 3x3 with He normal initialization (jgan's ResidualBlock.conv)."""
    layer = nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=bias)
    if kernel == 1:
        return glorot(layer, c_in, c_out)
    nn.init.normal_(layer.weight, 0, math.sqrt(2.0 / (kernel * kernel * c_in)))
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


Up, First, Down, Plain = residual_blocks(conv)


class Generator(nn.Module):

    def __init__(self):
        super().__init__()
        c = channels
        self.fc = glorot(nn.Linear(latent, c * 4 * 4), latent, c * 4 * 4)
        self.blocks = nn.Sequential(Up(c, True), Up(c, True), Up(c, False))
        self.bn = nn.BatchNorm2d(c)
        self.out = glorot(nn.Conv2d(c, image_channels, 3, padding=1), 9 * c, 9 * image_channels)

    def forward(self, z):
        h = self.blocks(self.fc(z).view(-1, channels, 4, 4))
        return torch.tanh(self.out(F.relu(self.bn(h))))


class Discriminator(nn.Module):

    def __init__(self):
        super().__init__()
        c = channels
        self.blocks = nn.Sequential(First(image_channels, c), Down(c), Plain(c), Plain(c))
        self.out = glorot(nn.Linear(c, 1), c, 1)

    def forward(self, x):
        return self.out(F.relu(self.blocks(x)).mean((2, 3)))


G, D = Generator(), Discriminator()
optG = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.0, 0.9))
optD = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.0, 0.9))
real = torch.rand(batch, image_channels, size, size) * 2 - 1

times, d_times, g_times = [], [], []
for it in range(warmup + measured):
    gate(it, warmup)
    t0 = time.perf_counter()
    for k in range(d_steps):
        with torch.no_grad():
            fake = G(torch.randn(batch, latent))
        if stack:
            logits = D(torch.cat([real, fake]))
            loss = logits[batch:].mean() - logits[:batch].mean()
        else:
            loss = D(fake).mean() - D(real).mean()
        e = torch.rand(batch, 1, 1, 1)
        x_hat = (real * e + fake * (1 - e)).requires_grad_(True)
        grad, = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
        loss = loss + lam * (torch.sqrt(grad.square().sum((1, 2, 3)) + 1e-12) - 1).square().mean()
        optD.zero_grad(set_to_none=True)
        loss.backward()
        optD.step()
    t1 = time.perf_counter()
    optG.zero_grad(set_to_none=True)
    (-D(G(torch.randn(batch, latent))).mean()).backward()
    optG.step()
    t2 = time.perf_counter()
    if it >= warmup:
        times.append((t2 - t0) * 1000)
        d_times.append((t1 - t0) * 1000 / d_steps)
        g_times.append((t2 - t1) * 1000)
print("pytorch %s resnet 1x32x32 batch 32 (G %d, D %d parameters), loss wasserstein, regularizers 'wgan-gp' (lambda "
      "%g), %d D step(s)%s, %d threads: %s; %s" % (torch.__version__, parameters(G), parameters(D), lam, d_steps,
                                                   " (D on both batches stacked)" if stack else "", threads,
                                                   figures(times, d_times, g_times), process()))
