"""The generator, the critic and the amplitude head (the reference study's architecture).

Generator in SeismoGen's style (Wang et al. 2021, "SeismoGen: seismic waveform synthesis using
GAN with application to seismic data augmentation", JGR Solid Earth 126): a conditioning block
(``y_block``) and a stack of upsampling ``GenBlock``s. Every convolution after the input layer is
grouped in three groups, so each component (E, N, Z) has its own pipeline; the components share
only the latent vector and the conditions, as in the study's one-pipeline-per-component design.
Upsampling is nearest-neighbour followed by a convolution rather than a transposed convolution,
which avoids checkerboard artefacts (Odena et al. 2016, Distill, "Deconvolution and
checkerboard artifacts"): those would appear as spurious spectral lines in the generated
accelerograms. Nearest-neighbour repetition still leaves spectral images between the old and the
new Nyquist frequency (its response is only |cos(pi f / fs)|: -3.7 dB at 55 Hz after the last
doubling to 200 Hz), which the narrow convolutions that follow cannot remove; the generated
spectra then stay 20-50 dB too high above 30 Hz, where processed accelerograms hold almost
nothing. ``upsample="sinc"`` (ours) interpolates instead with a fixed Kaiser-windowed half-band
sinc filter, the polyphase interpolation of ``scipy.signal.resample_poly`` (Crochiere & Rabiner
1983, "Multirate Digital Signal Processing", ch. 4; the alias-free upsampling of Karras et al.
2021, "Alias-free generative adversarial networks"), whose images are 60 dB down.

Two more options of ours close the gaps a seismologist sees in the generated records. The
processed records the model learns from carry nothing outside the band they were filtered to
(ITACA's acausal Butterworth band-pass: high-pass 0.1 Hz for Mw >= 5, 0.2 Hz below, low-pass
40 Hz; Paolucci et al. 2011), but a generator's output is not limited to it: its LeakyReLUs
rectify, adding a slow offset that follows the envelope (baseline wander, velocity ramps), and
its last convolutions leave energy above 40 Hz. ``bandpass_hz`` applies the same zero-phase
Butterworth response as the generator's last layer (``BandPass``: fixed, differentiable, on an
even extension of the window so the record's ends make no step). ``padding="replicate"`` pads
the convolutions with the edge value instead of zeros, whose step at the window's ends made a
transient in the first and last 0.1 s of almost every record.

Critic after the study: a ``decomposer`` splits the waveform by FFT with a threshold mask into a
low- and a high-frequency part (low = irfft(mask * rfft(x)), high = x - low); ``x_low_block`` and
``x_high_block`` are strided convolution stacks on each; ``y_linear``/``y_conv`` embed the
conditions; ``sample_critic`` is a convolution whose score map is averaged over time. No
normalisation layers in the critic: batch statistics would break the per-sample gradient penalty
(Gulrajani et al. 2017, sec. 4).

The study's critic sees about 4 s at a time (six stride-2 convolutions of kernel 9, then the
averaged score map): it judges patches, not the record's shape over the 40 s window, and a
generator can satisfy it with several locally plausible bursts instead of one P-then-S record.
``global_layers`` > 0 (ours; 0 keeps the study's critic) adds a second score from
``global_block``: stride-4 convolutions over the same feature map until one position sees the
whole window, flattened into a linear layer, so the critic can judge where the energy arrives
and that it arrives once (the role of the final dense layer in the DCGAN/WGAN-GP critics of
Radford et al. 2016 and Gulrajani et al. 2017).

Conditions are physical values (Mw, log10 epicentral distance, depth, Vs30; any subset, or none
for the study's unconditional model). Each module normalises them with buffers it carries, so a
checkpoint holds the normalisation the model was trained with.

This package imports nothing else of ours.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "AmplitudeHead",
    "BandPass",
    "BatchNorm",
    "ConditionNormaliser",
    "Conv",
    "Critic",
    "GenBlock",
    "Generator",
    "NearestUpsample",
    "SincUpsample",
    "from_channels_last",
    "group_std",
    "to_channels_last",
]

UPSAMPLE_MODES = ("nearest", "sinc")
PADDING_MODES = ("zeros", "replicate", "reflect")


class ConditionNormaliser(nn.Module):
    """``(y - mean) / std`` with the training set's statistics kept as buffers."""

    def __init__(self, n_conditions: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_conditions))
        self.register_buffer("std", torch.ones(n_conditions))

    @torch.no_grad()
    def set_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean.copy_(torch.as_tensor(mean, dtype=self.mean.dtype))
        # a constant condition (std 0) must not divide by zero
        self.std.copy_(torch.as_tensor(std, dtype=self.std.dtype).clamp_min(1e-6))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return (y - self.mean) / self.std


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """(N, C, T) -> (N, C, 1, T) stored time-major ("nwc", torch's channels-last 2-d layout)."""
    return x.unsqueeze(2).contiguous(memory_format=torch.channels_last)


def from_channels_last(x: torch.Tensor) -> torch.Tensor:
    """(N, C, 1, T) in any layout -> (N, C, T), contiguous."""
    return x.squeeze(2).contiguous()


class Conv(nn.Conv1d):
    """``nn.Conv1d`` that also takes (N, C, 1, T) input in the channels-last layout.

    The same weights (a 1-d kernel, so checkpoints do not change) run as a 1 x k 2-d
    convolution: oneDNN's time-major kernels need no reorder of the activations, 1.5-3x
    faster than its plain-layout ones on the narrow grouped layers of these networks (fp32,
    forward and backward; docs/benchmarks.md). Whether a run uses it is measured
    (``seisgan_core.train.autotune``), as with the precision.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            return super().forward(x)
        pad = self.padding[0]
        if self.padding_mode != "zeros":
            x = nn.functional.pad(x, (pad, pad, 0, 0), mode=self.padding_mode)
            pad = 0
        return nn.functional.conv2d(
            x,
            self.weight.unsqueeze(2),
            self.bias,
            (1, self.stride[0]),
            (0, pad),
            (1, self.dilation[0]),
            self.groups,
        )


class BatchNorm(nn.BatchNorm1d):
    """``nn.BatchNorm1d`` that also takes (N, C, 1, T) input (statistics per channel alike)."""

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() not in (2, 3, 4):
            raise ValueError(f"expected 2-d, 3-d or (N, C, 1, T) input, not {x.dim()}-d")


class NearestUpsample(nn.Module):
    """Upsample by 2 along time by repeating each sample, in either layout."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _interleave(x, x)


def _interleave(even: torch.Tensor, odd: torch.Tensor) -> torch.Tensor:
    """y[..., 2p] = even[..., p], y[..., 2p + 1] = odd[..., p], in the layout of the input:
    (N, C, T), or (N, C, 1, T) channels-last, interleaved in its time-major storage."""
    if even.dim() == 3:
        n, c, length = even.shape
        return torch.stack([even, odd], dim=-1).reshape(n, c, 2 * length)
    return _InterleaveNWC.apply(even, odd)


class _InterleaveNWC(torch.autograd.Function):
    """:func:`_interleave` of (N, C, 1, T) channels-last tensors, whose gradients are
    channels-last too: autograd's own (strided slices of the output's gradient) would reach
    the LeakyReLU and batch-norm backwards in a layout they run 2-6x slower on."""

    @staticmethod
    def forward(ctx, even: torch.Tensor, odd: torch.Tensor) -> torch.Tensor:
        n, c, _, length = even.shape
        pair = torch.stack([even.permute(0, 2, 3, 1), odd.permute(0, 2, 3, 1)], dim=3)
        return pair.reshape(n, 1, 2 * length, c).permute(0, 3, 1, 2)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, c, _, length2 = grad.shape
        pair = grad.permute(0, 2, 3, 1).reshape(n, 1, length2 // 2, 2, c)
        even, odd = (pair[:, :, :, i].contiguous().permute(0, 3, 1, 2) for i in (0, 1))
        return even, odd


def _conv(
    c_in: int, c_out: int, kernel: int, groups: int = 1, stride: int = 1, padding: str = "zeros"
) -> Conv:
    return Conv(
        c_in, c_out, kernel, stride=stride, padding=kernel // 2, groups=groups, padding_mode=padding
    )


class BandPass(nn.Module):
    """A fixed zero-phase Butterworth band-pass: what ``scipy.signal.sosfiltfilt`` does with
    ``butter(order, [low, high], "bandpass")``, applied in the frequency domain.

    The gain is the squared magnitude of the order-``order`` digital Butterworth band-pass
    (filtering forward and backward squares it and cancels the phase): the analog prototype's
    |H(w)|^2 = 1 / (1 + ((w^2 - wl wh) / (w (wh - wl)))^(2 order)) at the bilinear transform's
    prewarped frequencies w = tan(pi f / fs), as ``scipy.signal.butter`` designs it: -6 dB at
    both corners, 0 dB at their prewarped geometric mean, 0 at 0 Hz and at Nyquist. The window
    is extended evenly (x then x reversed, 2L samples) and filtered circularly, so the ends see
    a continuous signal: a constant gives zeros and a record's ends make no step transient.
    ``low_hz`` may be given per sample to ``forward`` (a magnitude-dependent high-pass corner,
    as ITACA's processing uses).
    """

    def __init__(
        self, low_hz: float, high_hz: float, length: int, sampling_rate_hz: float, order: int = 2
    ) -> None:
        super().__init__()
        if not 0 < low_hz < high_hz < sampling_rate_hz / 2:
            raise ValueError(
                f"band-pass corners must satisfy 0 < low < high < Nyquist "
                f"({sampling_rate_hz / 2:g} Hz), not {low_hz:g}, {high_hz:g}"
            )
        self.low_hz, self.high_hz, self.order = float(low_hz), float(high_hz), int(order)
        self.sampling_rate_hz = float(sampling_rate_hz)
        freqs = torch.fft.rfftfreq(2 * length, d=1.0 / sampling_rate_hz).double()
        self.register_buffer("freqs", freqs, persistent=False)
        self.register_buffer("gain", self.response(freqs).float(), persistent=False)

    def response(self, freqs: torch.Tensor, low_hz: torch.Tensor | float | None = None):
        """|H(f)|^2 at ``freqs`` (broadcast against ``low_hz``, one per row if a tensor)."""
        low = self.low_hz if low_hz is None else low_hz
        f = self._warp(freqs.clamp(1e-12, self.sampling_rate_hz / 2 * (1 - 1e-9)))
        low, high = self._warp(low), self._warp(self.high_hz)
        ratio = (f**2 - low * high) / (f * (high - low))
        gain = 1.0 / (1.0 + ratio.abs() ** (2 * self.order))
        return torch.where(freqs > 0, gain, torch.zeros_like(gain))

    def _warp(self, f: torch.Tensor | float) -> torch.Tensor:
        return torch.tan(torch.pi * torch.as_tensor(f, dtype=torch.float64) / self.sampling_rate_hz)

    def forward(self, x: torch.Tensor, low_hz: torch.Tensor | None = None) -> torch.Tensor:
        length = x.shape[-1]
        with torch.autocast(device_type=x.device.type, enabled=False):
            x32 = x.float()
            spectrum = torch.fft.rfft(torch.cat([x32, x32.flip(-1)], dim=-1))
            if low_hz is None:
                gain = self.gain
            else:
                gain = self.response(self.freqs, low_hz.double().view(-1, 1)).float()
                gain = gain.unsqueeze(1)
            out = torch.fft.irfft(spectrum * gain, n=2 * length)
        return out[..., :length].to(x.dtype)


class SincUpsample(nn.Module):
    """Upsample by 2 with a fixed half-band Kaiser-windowed sinc filter (polyphase).

    The interpolating filter h has 4k + 1 taps, cutoff at the input's Nyquist frequency; its
    taps at even offsets from the centre are zero but the centre, so the even output samples
    are the input samples and only the odd phase is computed: y[2p] = x[p], y[2p + 1] =
    sum_d g[d] x[p - d] for d = -k .. k - 1, with g[d] = h[2d + 1 + 2k] normalised to unit gain
    at 0 Hz. k = 16 and Kaiser beta 6 put the images about 60 dB down outside a transition band
    of about 0.06 of the output sampling rate around the input's Nyquist frequency.
    """

    def __init__(self, half_taps: int = 16, beta: float = 6.0, padding: str = "zeros") -> None:
        super().__init__()
        k = half_taps
        # "zeros" as F.pad's "constant"; "replicate" / "reflect" extend the signal instead
        self.pad_mode = "constant" if padding == "zeros" else padding
        n = torch.arange(4 * k + 1, dtype=torch.float64) - 2 * k
        h = torch.sinc(n / 2) * torch.kaiser_window(4 * k + 1, periodic=False, beta=beta).double()
        g = h[1::2]  # the 2k taps at odd offsets from the centre: g[d] for d = -k .. k - 1
        g = g / g.sum()
        # conv1d correlates: weight[j] multiplies x[p + j - (k - 1)], i.e. d = k - 1 - j
        self.register_buffer("weight", g.flip(0).float().view(1, 1, -1), persistent=False)
        self.half_taps = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c, k = x.shape[1], self.half_taps
        # the odd phase always as a plain-layout depthwise conv1d: oneDNN's channels-last
        # depthwise 1 x 32 kernel stalled for minutes in a 2-thread process (a demo-preset
        # run's epoch-end generation); the copy in and out costs little
        plain = x if x.dim() == 3 else from_channels_last(x)
        padded = nn.functional.pad(plain, (k - 1, k), mode=self.pad_mode)
        weight = self.weight.to(x.dtype).expand(c, 1, -1)
        odd = nn.functional.conv1d(padded, weight, groups=c)
        return _interleave(x, odd if x.dim() == 3 else to_channels_last(odd))


class GenBlock(nn.Module):
    """Upsample by 2, then two grouped convolutions with batch norm and LeakyReLU."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int,
        groups: int = 3,
        upsample: str = "nearest",
        padding: str = "zeros",
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, not {upsample!r}")
        if padding not in PADDING_MODES:
            raise ValueError(f"padding must be one of {PADDING_MODES}, not {padding!r}")
        self.z_block = nn.Sequential(
            SincUpsample(padding=padding) if upsample == "sinc" else NearestUpsample(),
            _conv(c_in, c_out, kernel, groups, padding=padding),
            BatchNorm(c_out),
            nn.LeakyReLU(0.2),
        )
        self.conv_block = nn.Sequential(
            _conv(c_out, c_out, kernel, groups, padding=padding),
            BatchNorm(c_out),
            nn.LeakyReLU(0.2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_block(self.z_block(x))


class Generator(nn.Module):
    """Latent vector (and conditions) -> (N, 3, length) normalised accelerograms.

    ``widths`` are channels per component at the base resolution and after each of the
    ``len(widths) - 1`` upsampling blocks; ``length`` must equal ``base * 2**(len(widths)-1)``.
    """

    def __init__(
        self,
        *,
        latent_dim: int,
        n_conditions: int = 0,
        length: int = 8000,
        widths: tuple[int, ...] = (64, 64, 48, 48, 32, 32, 16),
        condition_width: int = 8,
        kernel: int = 9,
        upsample: str = "nearest",
        padding: str = "zeros",
        sampling_rate_hz: float = 200.0,
        bandpass_hz: tuple[float, ...] = (),
        highpass_mw: tuple[float, float] = (),
        mw_index: int | None = None,
    ) -> None:
        super().__init__()
        n_up = len(widths) - 1
        if length % (2**n_up):
            raise ValueError(f"length {length} is not divisible by 2**{n_up} (widths {widths})")
        self.latent_dim = latent_dim
        self.n_conditions = n_conditions
        self.length = length
        self.base = length // 2**n_up
        self.widths = tuple(widths)
        self.condition_width = condition_width if n_conditions else 0
        self.z_linear = nn.Linear(latent_dim, 3 * widths[0] * self.base)
        self.z_norm = BatchNorm(3 * widths[0])
        if n_conditions:
            self.normaliser = ConditionNormaliser(n_conditions)
            # y_block: conditions -> a feature map at the base resolution, given to every pipeline
            self.y_block = nn.Sequential(
                nn.Linear(n_conditions, 64),
                nn.LeakyReLU(0.2),
                nn.Linear(64, self.condition_width * self.base),
                nn.LeakyReLU(0.2),
            )
        blocks = []
        c_in = widths[0] + self.condition_width
        for w in widths[1:]:
            blocks.append(
                GenBlock(3 * c_in, 3 * w, kernel, groups=3, upsample=upsample, padding=padding)
            )
            c_in = w
        self.blocks = nn.Sequential(*blocks)
        self.to_waveform = _conv(3 * widths[-1], 3, kernel, groups=3, padding=padding)
        # the blocks' layout (see Conv): a speed setting, not a weight
        self.channels_last = False
        self._init_bandpass(length, sampling_rate_hz, bandpass_hz, highpass_mw, mw_index)

    def _init_bandpass(
        self,
        length: int,
        sampling_rate_hz: float,
        bandpass_hz: tuple[float, ...],
        highpass_mw: tuple[float, ...],
        mw_index: int | None,
    ) -> None:
        """The last layer: (low, high) corners, and (Mw, low) for a larger event's corner."""
        self.bandpass = None
        self.highpass_mw = tuple(highpass_mw)
        self.mw_index = mw_index
        if bandpass_hz:
            if len(bandpass_hz) != 2:
                raise ValueError(f"bandpass_hz is (low, high) in Hz, not {bandpass_hz}")
            self.bandpass = BandPass(*bandpass_hz, length, sampling_rate_hz)
        if highpass_mw:
            if self.bandpass is None or len(highpass_mw) != 2 or mw_index is None:
                raise ValueError(
                    "highpass_mw (Mw, low corner Hz) needs bandpass_hz and Mw among the conditions"
                )
            if not 0 < highpass_mw[1] < bandpass_hz[1]:
                raise ValueError(f"highpass_mw's corner {highpass_mw[1]} Hz is not in the band")

    def _band_limit(self, x: torch.Tensor, conditions: torch.Tensor | None) -> torch.Tensor:
        if self.bandpass is None:
            return x
        if not self.highpass_mw:
            return self.bandpass(x)
        mw_threshold, low_large = self.highpass_mw
        mw = conditions[:, self.mw_index]
        low = torch.where(mw >= mw_threshold, low_large, self.bandpass.low_hz)
        return self.bandpass(x, low)

    def forward(self, z: torch.Tensor, conditions: torch.Tensor | None = None) -> torch.Tensor:
        n = z.shape[0]
        h = self.z_linear(z).view(n, 3 * self.widths[0], self.base)
        h = nn.functional.leaky_relu(self.z_norm(h), 0.2)
        if self.n_conditions:
            if conditions is None:
                raise ValueError(f"this generator needs {self.n_conditions} conditions per sample")
            y = self.y_block(self.normaliser(conditions)).view(n, 1, self.condition_width, -1)
            # give each component's channel group its own copy of the condition features
            h = h.view(n, 3, self.widths[0], self.base)
            h = torch.cat([h, y.expand(n, 3, self.condition_width, self.base)], dim=2)
            h = h.reshape(n, -1, self.base)
        if self.channels_last:
            out = from_channels_last(self.to_waveform(self.blocks(to_channels_last(h))))
        else:
            out = self.to_waveform(self.blocks(h))
        return self._band_limit(out, conditions)


def group_std(h: torch.Tensor, group: int) -> torch.Tensor:
    """(N, C, T) -> (N, 1, T): for each sample, the mean over channels and positions of the
    standard deviation across its group of ``group`` consecutive samples (the largest group
    size <= ``group`` that divides N; a group of one gives 0). Consecutive groups keep the real
    and the generated halves of a concatenated batch apart."""
    n, _, length = h.shape
    g = max(d for d in range(1, min(group, n) + 1) if n % d == 0)
    x = h.float().view(n // g, g, -1)
    std = (x.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=1)  # (n // g,)
    return std.repeat_interleave(g).view(n, 1, 1).expand(n, 1, length).to(h.dtype)


class Critic(nn.Module):
    """(N, 3, length) waveforms (and conditions) -> (N,) Wasserstein critic scores."""

    def __init__(
        self,
        *,
        n_conditions: int = 0,
        length: int = 8000,
        sampling_rate_hz: float = 200.0,
        cutoff_hz: float = 5.0,
        widths: tuple[int, ...] = (32, 64, 128, 128),
        stride: int = 4,
        kernel: int = 9,
        condition_width: int = 8,
        global_layers: int = 0,
        vlow_cutoff_hz: float = 0.0,
        minibatch_std: int = 0,
    ) -> None:
        super().__init__()
        self.n_conditions = n_conditions
        self.length = length
        # decomposer: rfft bins at or below cutoff_hz form the low-frequency part
        freqs = torch.fft.rfftfreq(length, d=1.0 / sampling_rate_hz)
        self.register_buffer("low_mask", (freqs <= cutoff_hz).float(), persistent=False)
        self.x_low_block = self._branch(widths, stride, kernel)
        self.x_high_block = self._branch(widths, stride, kernel)
        # the branches' layout (see Conv): a speed setting, not a weight
        self.channels_last = False
        # ours: a third branch on the very low band (at or below vlow_cutoff_hz), taken out of
        # the low part, so that a slow baseline wander is a feature of its own and not a small
        # part of the 1-5 Hz body waves
        self.vlow_cutoff_hz = vlow_cutoff_hz
        if vlow_cutoff_hz:
            if not 0 < vlow_cutoff_hz < cutoff_hz:
                raise ValueError(
                    f"vlow_cutoff_hz must lie in (0, {cutoff_hz}), not {vlow_cutoff_hz}"
                )
            mask = (freqs <= vlow_cutoff_hz).float()
            self.register_buffer("vlow_mask", mask, persistent=False)
            self.x_vlow_block = self._branch(widths, stride, kernel)
        feature_length = length
        for _ in widths:
            feature_length = (feature_length + 2 * (kernel // 2) - kernel) // stride + 1
        self.feature_length = feature_length
        c = (3 if vlow_cutoff_hz else 2) * widths[-1]
        self.condition_width = condition_width if n_conditions else 0
        if n_conditions:
            self.normaliser = ConditionNormaliser(n_conditions)
            self.y_linear = nn.Linear(n_conditions, condition_width * feature_length)
            self.y_conv = nn.Sequential(
                nn.LeakyReLU(0.2), _conv(condition_width, condition_width, 3), nn.LeakyReLU(0.2)
            )
            c += condition_width
        # ours: minibatch standard deviation (Karras et al. 2018, "Progressive growing of GANs",
        # sec. 3): one more feature channel, the features' spread over groups of this many
        # neighbouring samples, so the critic sees a batch with too little variety
        self.minibatch_std = int(minibatch_std)
        if self.minibatch_std < 0:
            raise ValueError(f"minibatch_std is a group size >= 0, not {minibatch_std}")
        c += 1 if self.minibatch_std else 0
        self.sample_critic = nn.Sequential(
            _conv(c, widths[-1], 3), nn.LeakyReLU(0.2), nn.Conv1d(widths[-1], 1, 1)
        )
        self.global_layers = global_layers
        if global_layers:
            layers: list[nn.Module] = []
            c_in, n_out = c, feature_length
            for _ in range(global_layers):
                layers += [_conv(c_in, widths[-1], 9, stride=4), nn.LeakyReLU(0.2)]
                c_in, n_out = widths[-1], (n_out - 1) // 4 + 1
            layers += [nn.Flatten(), nn.Linear(widths[-1] * n_out, 1)]
            self.global_block = nn.Sequential(*layers)

    @staticmethod
    def _branch(widths: tuple[int, ...], stride: int, kernel: int) -> nn.Sequential:
        layers: list[nn.Module] = []
        c_in = 3
        for w in widths:
            layers += [_conv(c_in, w, kernel, stride=stride), nn.LeakyReLU(0.2)]
            c_in = w
        return nn.Sequential(*layers)

    def decompose(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Split into low- and high-frequency parts by an FFT threshold mask (float32)."""
        # cuFFT and the CPU FFT have no bf16 kernels: run this part in float32 under autocast
        with torch.autocast(device_type=x.device.type, enabled=False):
            x32 = x.float()
            low = torch.fft.irfft(torch.fft.rfft(x32) * self.low_mask, n=x32.shape[-1])
            return low, x32 - low

    def bands(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The parts the branches see: [low, high], or [very low, low, high]; they sum to x."""
        low, high = self.decompose(x)
        if not self.vlow_cutoff_hz:
            return [low, high]
        with torch.autocast(device_type=x.device.type, enabled=False):
            vlow = torch.fft.irfft(torch.fft.rfft(low) * self.vlow_mask, n=low.shape[-1])
        return [vlow, low - vlow, high]

    def forward(self, x: torch.Tensor, conditions: torch.Tensor | None = None) -> torch.Tensor:
        blocks = [self.x_low_block, self.x_high_block]
        if self.vlow_cutoff_hz:
            blocks.insert(0, self.x_vlow_block)
        if self.channels_last:
            features = [
                from_channels_last(block(to_channels_last(part)))
                for block, part in zip(blocks, self.bands(x), strict=True)
            ]
        else:
            features = [block(part) for block, part in zip(blocks, self.bands(x), strict=True)]
        if self.n_conditions:
            if conditions is None:
                raise ValueError(f"this critic needs {self.n_conditions} conditions per sample")
            y = self.y_linear(self.normaliser(conditions)).view(x.shape[0], -1, self.feature_length)
            features.append(self.y_conv(y).to(features[0].dtype))
        h = torch.cat(features, dim=1)
        if self.minibatch_std:
            h = torch.cat([h, group_std(h, self.minibatch_std)], dim=1)
        score = self.sample_critic(h).mean(dim=(1, 2))
        if self.global_layers:
            score = score + self.global_block(h).squeeze(1)
        return score.float()


class AmplitudeHead(nn.Module):
    """Predicts each component's log10 PGA (cm/s^2) as a Gaussian: mean and standard deviation.

    Trained by the Gaussian negative log-likelihood on the training records; without conditions
    it learns the set's mean and scatter. Targets are standardised with buffers (set from the
    training set) so the network works near unit scale.

    A conditioned head also keeps the training set's range of each condition and clamps the
    conditions to it: past the largest magnitude or the shortest distance it has seen it
    predicts what it predicts at that edge instead of extrapolating log-linearly (near-source
    ground motion saturates; a linear extrapolation of the demo's Mw <= 6.1 records put Mw 6.5
    at 2 km at over 4 g). ``outside_range`` flags such scenarios. A checkpoint written before
    the range existed loads with an unbounded range (its old behaviour).
    """

    def __init__(self, *, n_conditions: int = 0, hidden: int = 32) -> None:
        super().__init__()
        self.n_conditions = n_conditions
        self.register_buffer("target_mean", torch.zeros(3))
        self.register_buffer("target_std", torch.ones(3))
        if n_conditions:
            self.normaliser = ConditionNormaliser(n_conditions)
            self.register_buffer("condition_min", torch.full((n_conditions,), -torch.inf))
            self.register_buffer("condition_max", torch.full((n_conditions,), torch.inf))
            self.net = nn.Sequential(
                nn.Linear(n_conditions, hidden),
                nn.LeakyReLU(0.2),
                nn.Linear(hidden, hidden),
                nn.LeakyReLU(0.2),
                nn.Linear(hidden, 6),
            )
        else:
            self.constant = nn.Parameter(torch.zeros(6))

    @torch.no_grad()
    def set_target_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.target_mean.copy_(torch.as_tensor(mean, dtype=self.target_mean.dtype))
        self.target_std.copy_(torch.as_tensor(std, dtype=self.target_std.dtype).clamp_min(1e-3))

    @torch.no_grad()
    def set_condition_range(self, low: torch.Tensor, high: torch.Tensor) -> None:
        """The training set's smallest and largest value of each condition."""
        self.condition_min.copy_(torch.as_tensor(low, dtype=self.condition_min.dtype))
        self.condition_max.copy_(torch.as_tensor(high, dtype=self.condition_max.dtype))

    def outside_range(self, conditions: torch.Tensor) -> torch.Tensor:
        """(N,) True where a scenario lies outside the training range of any condition."""
        if not self.n_conditions:
            return torch.zeros(conditions.shape[0], dtype=torch.bool)
        c = conditions.to(self.condition_min.dtype)
        return ((c < self.condition_min) | (c > self.condition_max)).any(dim=1)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        if self.n_conditions:
            for name in ("condition_min", "condition_max"):
                # an older checkpoint has no range: keep the unbounded one
                state_dict.setdefault(prefix + name, getattr(self, name).clone())
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(
        self, conditions: torch.Tensor | None = None, n: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and standard deviation of log10 PGA, each (N, 3)."""
        if self.n_conditions:
            if conditions is None:
                raise ValueError(f"this head needs {self.n_conditions} conditions per sample")
            c = conditions.to(self.condition_min.dtype)
            c = torch.minimum(torch.maximum(c, self.condition_min), self.condition_max)
            out = self.net(self.normaliser(c).float())
        else:
            if n is None:
                raise ValueError("give n, the number of samples, to an unconditional head")
            out = self.constant.expand(n, 6)
        mu = out[:, :3] * self.target_std + self.target_mean
        sigma = nn.functional.softplus(out[:, 3:]) * self.target_std + 1e-3
        return mu, sigma
