"""PyTorch reference for ArchitectureSpeedBenchmark's `stylegan` and `stylegan2`: jgan's StyleGAN (Karras et al. 2018)
at 1x32x32, batch 32, no labels, the architecture's default widths (channels 32, wDim 64, 8 mapping layers), trained as
preset `stylegan-fashion` trains it: non-saturating loss, lazy R1 (gamma 0.1, every 16 D steps), style mixing 0.9, EMA
of G 0.999 from G step 200, Adam 2e-3 betas (0, 0.99), latent 64, one D step per G step, on random data. With
`demodulation` as fourth argument it is StyleGAN2's modulation (`architecture.modulation=demodulation`, Karras et al.
2019: modulated and demodulated 3x3 convolutions, one at 4x4, a modulated toRGB) and the line says `stylegan2`.
Prints the median ms per iteration and the peak resident memory.

It follows bundles/org.jgan.stylegan/src/main/java/org/jgan/stylegan/internal/ (StyleGanNetworks, StyleLayers,
Equalized, ResidualBlock, StyleMixing, StyleGanArchitecture for the default options), the engine's step
(org.jgan.engine.internal.model: GanModel, StepGradients, PlayerGraph, TermWeights, TrainingState, Schedule), the loss
(org.jgan.losses NonSaturatingLoss / Softplus) and R1Penalty (org.jgan.regularizers):
  G    mapping: pixel norm of z, 8 dense layers 64 -> 64 with LeakyReLU 0.2, equalized weights with lr multiplier
       0.01 (weights ~ N(0, 100^2), scaled by 0.01 sqrt(2/64) at run time; biases scaled by 0.01).
       synthesis: a learned constant [32, 4, 4] (N(0, 1)), then per resolution 4, 8, 16, 32 (nearest upsampling
       between) two layers of StyleGAN's: [conv3x3 (none before the first at 4x4), no bias] -> + B * noise (per
       sample [1, H, W], B per channel) -> + bias -> LeakyReLU 0.2 -> AdaIN with the styles y_s = A_s(w) (bias 1),
       y_b = A_b(w) (eps 1e-8 in the variance); a 1x1 toRGB with bias; tanh. StyleGAN2's layers instead: modulated
       conv3x3 (input channels scaled by s = A(w), then the output's demodulation rsqrt(s^2 . sum_k w^2 + 1e-8),
       as jgan computes it, without grouped convolutions) -> noise -> bias -> LeakyReLU; a modulated 1x1 toRGB
       without demodulation, plus bias. Every weight equalized (gain sqrt(2) for 3x3 convolutions and the
       mapping, 1 for 1x1 ones and the style affines).
       training graphs: style mixing per sample (jgan's StyleMixing): u ~ U[0,1)^2 per sample, a sample mixes when
       u0 < 0.9, and from layer 1 + floor(u1 (L - 1)) on (L = 8) takes w2 = f(z2) of a second latent batch; the
       running mean of w (decay 0.995) is updated after each G step.
  D    StyleGAN2's residual D with equalized weights: block1 (conv3x3 1->32 -> LeakyReLU -> conv3x3 -> avgpool,
       + conv1x1(avgpool(x))) 32 -> 16, two down blocks (LeakyReLU -> conv3x3 -> LeakyReLU -> conv3x3 -> avgpool,
       + conv1x1(avgpool(x))) 16 -> 8 -> 4, the residual sums scaled by 1/sqrt(2); then minibatch stddev (whole
       batch one group), conv3x3 33 -> 32, LeakyReLU, dense 512 -> 32, LeakyReLU, dense 32 -> 1.
Parameters: G 132129 (StyleGAN2: 115425), D 74625, as jgan counts them: the constant input and the mapping network
are parameters of G in both (jgan's store has them among G's parameters, torch's G.parameters() too); the running
mean of w is a buffer in both, not counted.

An iteration as the engine runs it (Goodfellow et al. 2014, Algorithm 1): the D step draws a fresh latent batch (and
mixing latents, mixing draws, noise images) and samples G without a gradient (in training mode: style mixing, noise),
its loss softplus(-D(x)) + softplus(D(G(z))) (batch means); the G step draws a fresh latent batch and minimizes
softplus(-D(G(z))); then the EMA of G's parameters (a copy of them until G has taken 200 steps, as jgan's
TrainingState.updateAverage). G's step also computes D's parameter gradients (as jgan's conv and matmul backward ops
do); they are zeroed before the next D step.

Lazy R1 as jgan does it (TermWeights, StepGradients.addPenalties, InputGradientPenalty): on D steps whose count of
previous D updates is a multiple of 16 (steps 0, 16, 32, ...; so with the benchmark's 150 warm-up and 30 measured
iterations, 2 of the measured iterations, the 161st and 177th, have it, the same ones as in jgan) the penalty
16 * gamma/2 * mean_i |grad_x D(x_i)|^2 on the data batch, i.e. weighted by the interval, is added to that D step's
loss: one optimizer update, not a separate regularization step (StyleGAN2-ADA's Dreg phase has its own update). jgan
evaluates it in passes of its own on the data batch, after the step's main graph; here it is one more forward pass of
D on the data batch (requires_grad), its input gradient with create_graph=True, and the parameter gradient of the
penalty by double backprop in the same backward() as the loss: exact, as jgan's tangent method
(PenaltyExactnessTest). Requiring the gradient on the loss's own D(x) pass would save that forward pass; jgan's
penalty does not reuse it either. With 2 R1 steps in 30, the median is an iteration without R1 (as jgan's); the mean,
p90 and max carry them, and the line says on how many measured iterations R1 ran.

Necessary differences: torch's double backprop against jgan's forward-mode tangents (jgan's penalty runs D on the data
batch twice more: a forward and backward to the input, then a tangent-extended forward and backward; here one forward,
a backward with create_graph and the double backward); the data batch is one random tensor made once (jgan draws a
batch of its test-images dataset per step); random draws are torch's, not jgan's seeded streams; weights are laid out
[out, in, k, k] (jgan [k, k, in, out]).
"""
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from bench_common import arguments, figures, gate, parameters, process

warmup, measured, threads, words = arguments()
demodulate = "demodulation" in words
torch.set_num_threads(threads)
torch.manual_seed(0)

batch, latent, size, image_channels = 32, 64, 32, 1
channels, w_dim, mapping_layers, mixing = 32, 64, 8, 0.9
doublings = 3  # 4 -> 32
style_layers = 2 * (doublings + 1)  # L = 8 either way
lr, betas = 2e-3, (0.0, 0.99)
r1_gamma, r1_every = 0.1, 16
ema_decay, ema_start = 0.999, 200
w_avg_decay = 0.995
SLOPE, EPS = 0.2, 1e-8
LRELU_GAIN = math.sqrt(2)


def lrelu(x):
    return F.leaky_relu(x, SLOPE)


class EqualLinear(nn.Module):
    """x W_hat + b lrMul with W_hat = W gain / sqrt(fanIn) lrMul, W ~ N(0, 1 / lrMul^2) (jgan's Equalized)."""

    def __init__(self, n_in, n_out, gain, lr_mul=1.0, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((n_out,), float(bias_init)))
        self.scale, self.lr_mul = gain / math.sqrt(n_in) * lr_mul, lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul if self.lr_mul != 1 else self.bias)


class EqualConv(nn.Module):
    """A stride-1 'same' convolution with an equalized weight (gain sqrt(2) for 3x3 kernels, 1 for 1x1 ones)."""

    def __init__(self, n_in, n_out, kernel, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None
        self.scale = (1.0 if kernel == 1 else LRELU_GAIN) / math.sqrt(n_in * kernel * kernel)
        self.padding = kernel // 2

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class Noise(nn.Module):
    """x + B * n, n ~ N(0, 1) [batch, 1, H, W] fresh per layer and pass, B per channel (initially 0)."""

    def __init__(self, c):
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x):
        return x + self.strength * torch.randn(x.shape[0], 1, x.shape[2], x.shape[3])


class AdainLayer(nn.Module):
    """StyleGAN's layer epilogue: noise, bias, LeakyReLU, AdaIN(x, (A_s(w), A_b(w)))."""

    def __init__(self, c):
        super().__init__()
        self.noise = Noise(c)
        self.bias = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.style_s = EqualLinear(w_dim, c, 1.0, bias_init=1.0)
        self.style_b = EqualLinear(w_dim, c, 1.0)

    def forward(self, x, w):
        x = lrelu(self.noise(x) + self.bias)
        x = F.instance_norm(x, eps=EPS)  # (x - mu) / sqrt(var + eps), per sample and channel
        return x * self.style_s(w)[:, :, None, None] + self.style_b(w)[:, :, None, None]


class ModulatedConv(nn.Module):
    """StyleGAN2's modulated (and demodulated) convolution as jgan computes it: x scaled by s, conv, scaled by d."""

    def __init__(self, c_in, c_out, kernel, demod):
        super().__init__()
        self.style = EqualLinear(w_dim, c_in, 1.0, bias_init=1.0)
        self.conv = EqualConv(c_in, c_out, kernel, bias=False)
        self.demod = demod

    def forward(self, x, w):
        s = self.style(w)
        weight = self.conv.weight * self.conv.scale
        y = F.conv2d(x * s[:, :, None, None], weight, padding=self.conv.padding)
        if not self.demod:
            return y
        d = torch.rsqrt(s.square() @ weight.square().sum((2, 3)).t() + EPS)  # [batch, out]
        return y * d[:, :, None, None]


class StyledConv(nn.Module):
    """StyleGAN2's layer: modulated, demodulated conv3x3, noise, bias, LeakyReLU."""

    def __init__(self, c):
        super().__init__()
        self.conv = ModulatedConv(c, c, 3, True)
        self.noise = Noise(c)
        self.bias = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x, w):
        return lrelu(self.noise(self.conv(x, w)) + self.bias)


class Generator(nn.Module):

    def __init__(self):
        super().__init__()
        c = channels
        self.mapping = nn.ModuleList(
            [EqualLinear(latent if i == 0 else w_dim, w_dim, LRELU_GAIN, lr_mul=0.01) for i in range(mapping_layers)])
        self.register_buffer("w_avg", torch.zeros(w_dim))
        self.const = nn.Parameter(torch.randn(1, c, 4, 4))
        if demodulate:
            self.b4 = StyledConv(c)
            self.blocks = nn.ModuleList([nn.ModuleList([StyledConv(c), StyledConv(c)]) for _ in range(doublings)])
            self.torgb = ModulatedConv(c, image_channels, 1, False)
            self.torgb_bias = nn.Parameter(torch.zeros(1, image_channels, 1, 1))
        else:
            self.b4_layer0, self.b4_conv, self.b4_layer1 = AdainLayer(c), EqualConv(c, c, 3, False), AdainLayer(c)
            self.blocks = nn.ModuleList([nn.ModuleList([EqualConv(c, c, 3, False), AdainLayer(c),
                                                        EqualConv(c, c, 3, False), AdainLayer(c)])
                                         for _ in range(doublings)])
            self.torgb = EqualConv(c, image_channels, 1, True)

    def map(self, z):
        h = z * torch.rsqrt(z.square().mean(1, keepdim=True) + EPS)
        for layer in self.mapping:
            h = lrelu(layer(h))
        return h

    def forward(self, z):
        """G(z) in a training graph: style mixing; returns the images and w (for the running mean)."""
        w = self.map(z)
        w2 = self.map(torch.randn(z.shape[0], latent))
        u = torch.rand(z.shape[0], 2)
        mix = (u[:, :1] < mixing).float()
        cutoff = torch.floor(u[:, 1:] * (style_layers - 1)) + 1
        delta = w2 - w
        ws = [w + delta * (mix * (cutoff < l + 0.5).float()) for l in range(style_layers)]
        return torch.tanh(self.synthesis(ws)), w

    def synthesis(self, ws):
        x = self.const.expand(ws[0].shape[0], -1, -1, -1)
        if demodulate:
            x = self.b4(x, ws[0])
            l = 1
            for conv1, conv2 in self.blocks:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
                x = conv2(conv1(x, ws[l]), ws[l + 1])
                l += 2
            return self.torgb(x, ws[l]) + self.torgb_bias
        x = self.b4_layer1(self.b4_conv(self.b4_layer0(x, ws[0])), ws[1])
        l = 2
        for conv1, layer0, conv2, layer1 in self.blocks:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = layer1(conv2(layer0(conv1(x), ws[l])), ws[l + 1])
            l += 2
        return self.torgb(x)


class DBlock(nn.Module):
    """jgan's stylegan ResidualBlock: `first` (no activation on the input) or `down`; the sum scaled by 1/sqrt(2)."""

    def __init__(self, c_in, c_out, first):
        super().__init__()
        self.first = first
        self.shortcut = EqualConv(c_in, c_out, 1, False)
        mid = c_out if first else c_in
        self.conv1, self.conv2 = EqualConv(c_in, mid, 3, True), EqualConv(mid, c_out, 3, True)

    def forward(self, x):
        shortcut = self.shortcut(F.avg_pool2d(x, 2))
        h = lrelu(self.conv1(x if self.first else lrelu(x)))
        return (F.avg_pool2d(self.conv2(h), 2) + shortcut) * (1 / math.sqrt(2))


class Discriminator(nn.Module):

    def __init__(self):
        super().__init__()
        c = channels
        self.blocks = nn.Sequential(DBlock(image_channels, c, True), DBlock(c, c, False), DBlock(c, c, False))
        self.final_conv = EqualConv(c + 1, c, 3, True)
        self.fc = EqualLinear(c * 4 * 4, c, LRELU_GAIN)
        self.out = EqualLinear(c, 1, 1.0)

    def forward(self, x):
        h = self.blocks(x)
        # minibatch standard deviation, the whole batch one group, appended as a constant map
        std = torch.sqrt(h.var(0, unbiased=False) + EPS).mean()
        h = torch.cat([h, std.expand(h.shape[0], 1, h.shape[2], h.shape[3])], 1)
        h = lrelu(self.final_conv(h))
        return self.out(lrelu(self.fc(h.flatten(1))))


G, D = Generator(), Discriminator()
G_ema = [p.detach().clone() for p in G.parameters()]
optG = torch.optim.Adam(G.parameters(), lr, betas=betas)
optD = torch.optim.Adam(D.parameters(), lr, betas=betas)
real = torch.rand(batch, image_channels, size, size) * 2 - 1
d_steps = g_steps = 0

times, d_times, g_times, r1_measured = [], [], [], 0
for it in range(warmup + measured):
    gate(it, warmup)
    t0 = time.perf_counter()
    # D step
    r1 = d_steps % r1_every == 0
    with torch.no_grad():
        fake, _ = G(torch.randn(batch, latent))
    loss = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
    if r1:
        x = real.detach().requires_grad_(True)
        grad, = torch.autograd.grad(D(x).sum(), x, create_graph=True)
        loss = loss + r1_every * r1_gamma / 2 * grad.square().sum((1, 2, 3)).mean()
    optD.zero_grad(set_to_none=True)
    loss.backward()
    optD.step()
    d_steps += 1
    t1 = time.perf_counter()
    # G step
    fake, w = G(torch.randn(batch, latent))
    optG.zero_grad(set_to_none=True)
    F.softplus(-D(fake)).mean().backward()
    optG.step()
    g_steps += 1
    with torch.no_grad():
        G.w_avg.lerp_(w.mean(0), 1 - w_avg_decay)
        for avg, p in zip(G_ema, G.parameters()):
            if g_steps <= ema_start:
                avg.copy_(p)
            else:
                avg.lerp_(p, 1 - ema_decay)
    t2 = time.perf_counter()
    if it >= warmup:
        times.append((t2 - t0) * 1000)
        d_times.append((t1 - t0) * 1000)
        g_times.append((t2 - t1) * 1000)
        r1_measured += r1
print("pytorch %s %s 1x32x32 batch 32 (G %d, D %d parameters), loss nonsaturating, regularizers 'r1' (gamma %g every "
      "%d D steps, on %d of the measured iterations), 1 D step(s), %d threads: %s; %s"
      % (torch.__version__, "stylegan2" if demodulate else "stylegan", parameters(G), parameters(D), r1_gamma, r1_every,
         r1_measured, threads, figures(times, d_times, g_times), process()))
