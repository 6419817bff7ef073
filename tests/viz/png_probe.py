#!/usr/bin/env python3
"""Reads an 8-bit RGB or RGBA PNG (what ecsim viz --screenshot writes) with
the standard library only, and checks pixels.

  png_probe.py FILE.png distinct N          at least N distinct colours
  png_probe.py FILE.png at X Y R G B [TOL]  the pixel at (X, Y) is near (R, G, B)
  png_probe.py FILE.png count Y0 Y1 R G B N [X0 X1]  at least N pixels of rows Y0..Y1 (columns
                                                    X0..X1, default all) are near (R, G, B)
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                sys.exit(f"{path}: expected 8-bit RGB(A), got depth {depth} colour type {colour}")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def main():
    path, what = sys.argv[1], sys.argv[2]
    width, height, ch, rows = read_png(path)
    if what == "distinct":
        colours = {bytes(r[i:i + 3]) for r in rows[::4] for i in range(0, width * ch, ch * 4)}
        need = int(sys.argv[3])
        print(f"{path}: {width}x{height}, {len(colours)} distinct colours (sampled)")
        sys.exit(0 if len(colours) >= need else 1)
    if what == "count":
        y0, y1, rgb, need = int(sys.argv[3]), int(sys.argv[4]), [int(v) for v in sys.argv[5:8]], int(sys.argv[8])
        x0, x1 = (int(sys.argv[9]), int(sys.argv[10])) if len(sys.argv) > 10 else (0, width)
        n = sum(1 for r in rows[y0:y1] for i in range(x0 * ch, min(x1, width) * ch, ch)
                if all(abs(g - w) <= 24 for g, w in zip(r[i:i + 3], rgb)))
        print(f"{path} rows {y0}..{y1}: {n} pixels near {rgb}, expected at least {need}: {'ok' if n >= need else 'WRONG'}")
        sys.exit(0 if n >= need else 1)
    x, y, rgb = int(sys.argv[3]), int(sys.argv[4]), [int(v) for v in sys.argv[5:8]]
    tol = int(sys.argv[8]) if len(sys.argv) > 8 else 12
    got = list(rows[y][x * ch:x * ch + 3])
    ok = all(abs(g - w) <= tol for g, w in zip(got, rgb))
    print(f"{path} ({x},{y}): {got}, expected {rgb} +-{tol}: {'ok' if ok else 'WRONG'}")
    sys.exit(0 if ok else 1)


main()
