#!/usr/bin/env python3
"""Draws DRIMS' app icons (public/icons/*.png): a white relief crate on the app's navy, as plain
PNGs written with zlib, no imaging library. Run again after changing the drawing; the PNGs are
committed so a build needs nothing but this repository.

  any-192.png, any-512.png  rounded square, crate filling most of it ("purpose": "any")
  maskable-512.png          full-bleed navy, crate inside the central safe zone (radius 40 %)
"""
import os
import struct
import zlib

NAVY = (0x0B, 0x3D, 0x62)
WHITE = (0xFF, 0xFF, 0xFF)
AMBER = (0xF2, 0xA9, 0x00)


def png(path, size, pixel):
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows.extend(pixel((x + 0.5) / size, (y + 0.5) / size))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(bytes(rows), 9))
    data += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def crate(u, v, scale):
    """The symbol in unit coordinates centred on (0.5, 0.5), `scale` = its half-width."""
    x, y = (u - 0.5) / scale, (v - 0.5) / scale
    if abs(x) > 1 or abs(y) > 1:
        return None
    edge = 0.16
    # Outline of the crate, its lid band, and an amber cross on the front.
    if abs(x) > 1 - edge or abs(y) > 1 - edge or abs(y + 0.35) < edge / 2:
        return WHITE
    if (abs(x) < 0.11 and -0.05 < y < 0.65) or (abs(y - 0.3) < 0.11 and abs(x) < 0.35):
        return AMBER
    return None


def rounded(u, v, radius=0.18):
    cx = min(max(u, radius), 1 - radius)
    cy = min(max(v, radius), 1 - radius)
    return (u - cx) ** 2 + (v - cy) ** 2 <= radius ** 2


def any_icon(u, v):
    if not rounded(u, v):
        return (0, 0, 0, 0)
    return crate(u, v, 0.34) + (255,) if crate(u, v, 0.34) else NAVY + (255,)


def maskable(u, v):
    c = crate(u, v, 0.26)
    return c + (255,) if c else NAVY + (255,)


out = os.path.join(os.path.dirname(__file__), "..", "public", "icons")
os.makedirs(out, exist_ok=True)
png(os.path.join(out, "any-192.png"), 192, any_icon)
png(os.path.join(out, "any-512.png"), 512, any_icon)
png(os.path.join(out, "maskable-512.png"), 512, maskable)
