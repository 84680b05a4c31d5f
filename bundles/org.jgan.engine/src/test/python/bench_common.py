"""What the PyTorch references of the speed benchmarks share: their arguments (`warmup measured threads`, then
words and `name=value` options), the figures they print in the form the Java benchmarks parse (`median X ms`), the
process's peak memory and BLAS, and the residual blocks of jgan's org.jgan.layers.ResidualBlock for a given
convolution factory (spectrally normalized for SAGAN and BigGAN, plain for the WGAN-GP ResNet).
"""
import math
import sys

import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from bench_gate import gate  # noqa: F401 (the ports import it from here)


def arguments(defaults=(20, 30, 2)):
    """(warmup, measured, threads, the other arguments): the leading numbers, defaults for those left out."""
    numbers = [a for a in sys.argv[1:] if a[0].isdigit()]
    warmup, measured, threads = (int(a) for a in (numbers + [str(d) for d in defaults][len(numbers):])[:3])
    return warmup, measured, threads, [a for a in sys.argv[1:] if not a[0].isdigit()]


def figures(times, d_times=None, g_times=None):
    """'median X ms/iteration (mean, p90 with its ratio to the median, min, max, count[; D step, G step])'."""
    mean = sum(times) / len(times)
    times = sorted(times)
    median, p90 = times[len(times) // 2], times[math.ceil(0.9 * len(times)) - 1]
    steps = ""
    if d_times:
        steps = "; D step %.1f, G step %.1f" % (sorted(d_times)[len(d_times) // 2], sorted(g_times)[len(g_times) // 2])
    return ("median %.1f ms/iteration (mean %.1f, p90 %.1f = %.2fx the median, min %.1f, max %.1f, %d measured%s)"
            % (median, mean, p90, p90 / median, times[0], times[-1], len(times), steps))


def process():
    """'peak resident X MB; BLAS ...' of this process."""
    # VmHWM of this process (ru_maxrss would include the launching JVM's peak: Linux keeps it across exec)
    peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    # the BLAS this torch runs on (Debian's links libblas.so.3: the reference BLAS unless OpenBLAS is installed)
    blas = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.split()[-1].lower()})
    return "peak resident %.0f MB; BLAS %s" % (peak_kb / 1024, ", ".join(blas) or "(none mapped)")


def parameters(module):
    return sum(p.numel() for p in module.parameters())


def up2(x):
    """Nearest-neighbour upsampling by 2 (jgan's upsampling2d)."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def spectral_conv(i, o, k, bias, init=None):
    """A spectrally normalized stride-1 'same' convolution, initialised as ResidualBlock.conv."""
    m = nn.Conv2d(i, o, k, padding=k // 2, bias=bias)
    (init or (nn.init.xavier_uniform_ if k == 1 else lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")))(
        m.weight)
    if bias:
        nn.init.zeros_(m.bias)
    return spectral_norm(m)


def spectral_linear(i, o):
    """A spectrally normalized dense layer, Glorot-uniform weights and zero bias."""
    m = nn.Linear(i, o)
    nn.init.xavier_uniform_(m.weight)
    nn.init.zeros_(m.bias)
    return spectral_norm(m)


def residual_blocks(conv):
    """ResidualBlock's up block (with batch norm) and D's blocks (first, down and plain, without normalization), for
    conv(in, out, kernel, bias)."""

    class Up(nn.Module):
        """ResidualBlock.up with batch norm."""

        def __init__(self, c, output_bias):
            super().__init__()
            self.shortcut, self.conv1, self.conv2 = conv(c, c, 1, False), conv(c, c, 3, False), conv(c, c, 3, output_bias)
            self.bn1, self.bn2 = nn.BatchNorm2d(c), nn.BatchNorm2d(c)

        def forward(self, x):
            h = self.conv1(up2(F.relu(self.bn1(x))))
            return self.conv2(F.relu(self.bn2(h))) + up2(self.shortcut(x))

    class First(nn.Module):
        """ResidualBlock.first: D's input block."""

        def __init__(self, i, o):
            super().__init__()
            self.shortcut, self.conv1, self.conv2 = conv(i, o, 1, False), conv(i, o, 3, True), conv(o, o, 3, True)

        def forward(self, x):
            return F.avg_pool2d(self.conv2(F.relu(self.conv1(x))), 2) + self.shortcut(F.avg_pool2d(x, 2))

    class Down(nn.Module):
        """ResidualBlock.down without normalization."""

        def __init__(self, c):
            super().__init__()
            self.shortcut, self.conv1, self.conv2 = conv(c, c, 1, False), conv(c, c, 3, True), conv(c, c, 3, True)

        def forward(self, x):
            return F.avg_pool2d(self.conv2(F.relu(self.conv1(F.relu(x)))), 2) + self.shortcut(F.avg_pool2d(x, 2))

    class Plain(nn.Module):
        """ResidualBlock.plain without normalization."""

        def __init__(self, c):
            super().__init__()
            self.conv1, self.conv2 = conv(c, c, 3, True), conv(c, c, 3, True)

        def forward(self, x):
            return self.conv2(F.relu(self.conv1(F.relu(x)))) + x

    return Up, First, Down, Plain
