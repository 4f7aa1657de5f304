"""Time per image of a small ViT forward pass: float layers vs table-driven approximate ones.

TransAxx (§III, Table I) emulates approximate multipliers by table look-up; this measures
what :mod:`tilewright.golden.models.approx_layers` costs on the CPU against the float model, for
a ViT-like model (patch embedding, ``depth`` encoder blocks of multi-head attention and a
GeLU MLP, classification head). As in TransAxx §III-B, only the encoder blocks (their
linear layers and the two attention matmuls) are approximated.

    python benchmarks/bench_approx_linear.py [--kind drum --k 4 --images 8 --depth 2]
"""

import argparse
import time

import torch
from torch import nn

from tilewright.golden.models.approx_layers import Matmul, approximate, calibrate
from tilewright.golden.multiplier import golden_table


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.scores, self.mix = Matmul(), Matmul()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(self.scores(q, k.transpose(-1, -2)) / q.shape[-1] ** 0.5, -1)
        x = x + self.proj(self.mix(attn, v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.norm2(x))))


class TinyViT(nn.Module):
    def __init__(self, image=32, patch=4, dim=64, depth=2, heads=4, hidden=128, classes=10):
        super().__init__()
        self.embed = nn.Conv2d(3, dim, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(0.02 * torch.randn(1, (image // patch) ** 2 + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads, hidden) for _ in range(depth)])
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(len(x), -1, -1), x], 1) + self.pos
        return self.head(self.blocks(x)[:, 0])


def per_image(model, images, repeats):
    with torch.no_grad():
        model(images[:1])
        start = time.perf_counter()
        for _ in range(repeats):
            out = model(images)
    return (time.perf_counter() - start) / (repeats * len(images)), out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="drum")
    parser.add_argument("--k", type=int, default=None)
    parser.add_argument("--bits", type=int, default=8)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    model = TinyViT(depth=args.depth).eval()
    images = torch.randn(args.images, 3, 32, 32)
    t_float, y_float = per_image(model, images, args.repeats)
    table = golden_table(args.kind, args.bits, args.k)
    layers = approximate(model.blocks, table, args.bits)
    with calibrate(model):
        model(images)
    t_approx, y_approx = per_image(model, images, args.repeats)
    agree = float((y_float.argmax(1) == y_approx.argmax(1)).to(torch.float64).mean())
    print(f"TinyViT depth {args.depth}, {len(layers)} approximate layers ({args.kind}, "
          f"bits={args.bits}, k={args.k}), torch threads {torch.get_num_threads()}")
    print(f"float : {t_float * 1e3:9.3f} ms/image")
    print(f"approx: {t_approx * 1e3:9.3f} ms/image  ({t_approx / t_float:.1f}x)")
    print(f"max |logit difference| {float((y_float - y_approx).abs().max()):.4f}, "
          f"top-1 agreement {agree:.0%}")
    return t_float, t_approx


if __name__ == "__main__":
    main()
