"""The FlowNetC-style optical flow head, fed with the F5C features of each frame pair.

A siamese encoder (conv1..conv3) runs once per frame of the clip; the correlation of the two
conv3 maps of each pair, a 1x1 "redirect" of the first, and the F5C features of both frames are
fused and refined by a FlowNet encoder-decoder down to 2 x 2 and back up to a 2 x 128 x 128 flow
(channel 0 = dx, 1 = dy, frame k -> frame k + 1). Module names follow the released checkpoint.

``width`` scales every convolution's channel count (1.0 is the faithful head; smaller widths are
for CPU demos and must be named in any report that uses them). The 441 correlation channels and
the 2 x 128 F5C channels do not scale.

BatchNorm in train mode normalises over all frames (encoder) or all pairs (fusion/refinement) of
a batch at once, where the released code called the head pair by pair (and the encoder frame by
frame); in eval mode the outputs are the same.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molkit.model.correlation import correlation

F5C_CHANNELS = 128
CORRELATION_CHANNELS = 441


def conv(cin: int, cout: int, kernel_size: int = 3, stride: int = 1) -> nn.Sequential:
    """Conv2d (no bias, 'same'-style padding) -> BatchNorm2d -> LeakyReLU(0.1)."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size, stride, padding=(kernel_size - 1) // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.1),
    )


def deconv(cin: int, cout: int) -> nn.Sequential:
    """x2 upsampling: ConvTranspose2d(k4, s2, p1, no bias) -> LeakyReLU(0.1)."""
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.LeakyReLU(0.1))


def predict_flow(cin: int) -> nn.Conv2d:
    return nn.Conv2d(cin, 2, kernel_size=3, padding=1, bias=False)


def upsample_flow() -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(2, 2, 4, 2, 1, bias=False)


class FlowHead(nn.Module):
    """Flow for every consecutive frame pair of a clip."""

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        if width <= 0:
            raise ValueError(f"flow head width must be positive, got {width}")

        def c(channels: int) -> int:
            return max(1, round(channels * width))

        self.conv1 = conv(1, c(64), kernel_size=6, stride=2)
        self.conv2 = conv(c(64), c(128), kernel_size=4, stride=2)
        self.conv3 = conv(c(128), c(256), kernel_size=2, stride=2)
        self.conv_redir = conv(c(256), c(32), kernel_size=1)
        self.conv3_1 = conv(c(32) + CORRELATION_CHANNELS + 2 * F5C_CHANNELS, c(256))
        self.conv4 = conv(c(256), c(512), stride=2)
        self.conv4_1 = conv(c(512), c(512))
        self.conv5 = conv(c(512), c(512), stride=2)
        self.conv5_1 = conv(c(512), c(512))
        self.conv6 = conv(c(512), c(1024), stride=2)
        self.conv6_1 = conv(c(1024), c(1024))

        concat5 = c(512) + c(512) + 2
        concat4 = c(512) + c(256) + 2
        concat3 = c(256) + c(128) + 2
        concat2 = c(128) + c(128) + 2
        concat1 = c(64) + c(64) + 2
        concat0 = 1 + c(32) + 2
        self.deconv5 = deconv(c(1024), c(512))
        self.deconv4 = deconv(concat5, c(256))
        self.deconv3 = deconv(concat4, c(128))
        self.deconv2 = deconv(concat3, c(128))
        self.deconv1 = deconv(concat2, c(64))
        self.deconv0 = deconv(concat1, c(32))

        self.predict_flow6 = predict_flow(c(1024))
        self.predict_flow5 = predict_flow(concat5)
        self.predict_flow4 = predict_flow(concat4)
        self.predict_flow3 = predict_flow(concat3)
        self.predict_flow2 = predict_flow(concat2)
        self.predict_flow1 = predict_flow(concat1)
        self.predict_flow0 = predict_flow(concat0)

        self.upsampled_flow6_to_5 = upsample_flow()
        self.upsampled_flow5_to_4 = upsample_flow()
        self.upsampled_flow4_to_3 = upsample_flow()
        self.upsampled_flow3_to_2 = upsample_flow()
        self.upsampled_flow2_to_1 = upsample_flow()
        self.upsampled_flow1_to_0 = upsample_flow()

        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, frames: Tensor, features: Tensor) -> Tensor:
        """``frames`` ``[B, T, 1, H, W]``, ``features`` ``[B, T-1, 256, h, w]`` (F5C of frame k
        and k+1 concatenated) -> flow ``[B, T-1, 2, H, W]``."""
        b, t = frames.shape[:2]

        def pairs(x: Tensor, first: bool) -> Tensor:  # [B, T, ...] -> [B*(T-1), ...]
            return (x[:, :-1] if first else x[:, 1:]).reshape(b * (t - 1), *x.shape[2:])

        def per_frame(x: Tensor) -> Tensor:  # [B*T, ...] -> [B, T, ...]
            return x.reshape(b, t, *x.shape[1:])

        out_conv1 = per_frame(self.conv1(frames.reshape(b * t, *frames.shape[2:])))
        out_conv2 = per_frame(self.conv2(out_conv1.flatten(0, 1)))
        out_conv3 = per_frame(self.conv3(out_conv2.flatten(0, 1)))
        x1, conv1a, conv2a = pairs(frames, True), pairs(out_conv1, True), pairs(out_conv2, True)
        conv3a, conv3b = pairs(out_conv3, True), pairs(out_conv3, False)

        corr = F.leaky_relu(correlation(conv3a, conv3b), 0.1)
        fused = torch.cat([self.conv_redir(conv3a), corr, features.flatten(0, 1)], dim=1)
        out3 = self.conv3_1(fused)
        out4 = self.conv4_1(self.conv4(out3))
        out5 = self.conv5_1(self.conv5(out4))
        out6 = self.conv6_1(self.conv6(out5))

        flow = self.predict_flow6(out6)
        concat = torch.cat([out5, self.deconv5(out6), self.upsampled_flow6_to_5(flow)], 1)
        flow = self.predict_flow5(concat)
        concat = torch.cat([out4, self.deconv4(concat), self.upsampled_flow5_to_4(flow)], 1)
        flow = self.predict_flow4(concat)
        concat = torch.cat([out3, self.deconv3(concat), self.upsampled_flow4_to_3(flow)], 1)
        flow = self.predict_flow3(concat)
        concat = torch.cat([conv2a, self.deconv2(concat), self.upsampled_flow3_to_2(flow)], 1)
        flow = self.predict_flow2(concat)
        concat = torch.cat([conv1a, self.deconv1(concat), self.upsampled_flow2_to_1(flow)], 1)
        flow = self.predict_flow1(concat)
        concat = torch.cat([x1, self.deconv0(concat), self.upsampled_flow1_to_0(flow)], 1)
        flow = self.predict_flow0(concat)
        return flow.reshape(b, t - 1, *flow.shape[1:])
