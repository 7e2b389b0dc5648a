#!/usr/bin/python3
"""Draws GOPS by implementation and shape from a bench_gemm JSON file as an SVG bar chart.

Usage: tools/plot_bench.py bench_gemm.json out.svg [--threads N]
Uses only the standard library, so it runs with Debian's /usr/bin/python3 as is.
"""
import argparse
import json
from collections import OrderedDict

COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]


def median_rows(path, threads):
    """(shape, implementation) -> median GOPS for the given thread count."""
    with open(path) as f:
        data = json.load(f)
    rows = OrderedDict()
    for bench in data["benchmarks"]:
        if bench.get("aggregate_name") != "median":
            continue
        parts = bench["name"].split("/")  # gemm/<impl>/<MxNxK>/threads:<t>/...
        if len(parts) < 4 or parts[3] != "threads:%d" % threads:
            continue
        rows[(parts[2], parts[1])] = bench["GOPS"]
    return rows


def svg_chart(rows, title):
    shapes = list(OrderedDict.fromkeys(shape for shape, _ in rows))
    impls = list(OrderedDict.fromkeys(impl for _, impl in rows))
    top = max(rows.values()) * 1.1
    width, height, left, bottom, legend = 960, 420, 60, 60, 190
    plot_w, plot_h = width - left - legend, height - bottom - 40
    group_w = plot_w / len(shapes)
    bar_w = group_w * 0.8 / len(impls)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">'
           % (width, height),
           '<text x="%d" y="20" font-size="14">%s</text>' % (left, title)]
    for i in range(6):  # horizontal grid with GOPS labels
        value = top * i / 5
        y = 40 + plot_h - plot_h * i / 5
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, left + plot_w, y, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.0f</text>' % (left - 4, y + 4, value))
    out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)">GOPS</text>' % (40 + plot_h / 2, 40 + plot_h / 2))
    for s, shape in enumerate(shapes):
        x0 = left + s * group_w + group_w * 0.1
        for i, impl in enumerate(impls):
            gops = rows.get((shape, impl))
            if gops is None:
                continue
            h = plot_h * gops / top
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.1f GOPS</title></rect>'
                       % (x0 + i * bar_w, 40 + plot_h - h, bar_w * 0.95, h, COLORS[i % len(COLORS)], impl, shape, gops))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x0 + group_w * 0.4, 40 + plot_h + 16, shape))
    for i, impl in enumerate(impls):
        y = 50 + i * 18
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (width - legend + 10, y, COLORS[i % len(COLORS)]))
        out.append('<text x="%d" y="%d">%s</text>' % (width - legend + 28, y + 10, impl))
    out.append("</svg>")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("svg")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    rows = median_rows(args.json, args.threads)
    if not rows:
        raise SystemExit("no median rows for threads:%d in %s" % (args.threads, args.json))
    with open(args.svg, "w") as f:
        f.write(svg_chart(rows, "int8 GEMM, %d thread(s): GOPS by implementation and shape" % args.threads))


if __name__ == "__main__":
    main()
