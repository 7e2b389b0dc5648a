#!/usr/bin/python3
"""Draws GOPS (or % of peak) by implementation and shape from a bench_gemm or bench_conv JSON file as an SVG bar chart.

Usage: tools/plot_bench.py BENCH.json out.svg [--threads N] [--metric GOPS|pct_of_peak]
Rows named gemm/<implementation>/<MxNxK>/threads:<T> (bench_gemm) or
conv/<layer>/b<batch>/<implementation>/threads:<T> (bench_conv). Peer libraries get their own
dark colours, haqm's schedules the light palette. Uses only the standard library, so it runs with
Debian's /usr/bin/python3 (or a board's python3) as is.
"""
import argparse
import json
from collections import OrderedDict

COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]
PEER_COLORS = {"onednn": "#000000", "openblas": "#555555", "xnnpack": "#8b0000", "acl": "#00008b"}


def color_of(impl, index):
    for peer, color in PEER_COLORS.items():
        if impl.startswith(peer):
            return color
    return COLORS[index % len(COLORS)]


def split_name(name):
    """(shape, implementation, threads) of a row name, or None."""
    parts = name.split("/")
    if parts[0] == "gemm" and len(parts) >= 4:
        return parts[2], parts[1], parts[3]
    if parts[0] == "conv" and len(parts) >= 5:
        return parts[1] + "/" + parts[2], parts[3], parts[4]
    return None


def median_rows(path, threads, metric):
    """(shape, implementation) -> the median row's metric for the given thread count."""
    with open(path) as f:
        data = json.load(f)
    rows = OrderedDict()
    for bench in data["benchmarks"]:
        if bench.get("aggregate_name") != "median" or metric not in bench:
            continue
        split = split_name(bench["name"])
        if split is None or split[2] != "threads:%d" % threads:
            continue
        rows[(split[0], split[1])] = bench[metric]
    return rows


def svg_chart(rows, title, unit):
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
    out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)">%s</text>' % (40 + plot_h / 2, 40 + plot_h / 2, unit))
    for s, shape in enumerate(shapes):
        x0 = left + s * group_w + group_w * 0.1
        for i, impl in enumerate(impls):
            gops = rows.get((shape, impl))
            if gops is None:
                continue
            h = plot_h * gops / top
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.1f %s</title></rect>'
                       % (x0 + i * bar_w, 40 + plot_h - h, bar_w * 0.95, h, color_of(impl, i), impl, shape, gops, unit))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x0 + group_w * 0.4, 40 + plot_h + 16, shape))
    for i, impl in enumerate(impls):
        y = 50 + i * 18
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (width - legend + 10, y, color_of(impl, i)))
        out.append('<text x="%d" y="%d">%s</text>' % (width - legend + 28, y + 10, impl))
    out.append("</svg>")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("svg")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--metric", choices=["GOPS", "pct_of_peak"], default="GOPS")
    args = parser.parse_args()
    rows = median_rows(args.json, args.threads, args.metric)
    if not rows:
        raise SystemExit("no median rows with %s for threads:%d in %s" % (args.metric, args.threads, args.json))
    unit = "GOPS" if args.metric == "GOPS" else "% of peak"
    kind = "int8 convolution" if "/" in next(iter(rows))[0] else "int8 GEMM"  # conv shapes are layer/batch
    with open(args.svg, "w") as f:
        f.write(svg_chart(rows, "%s, %d thread(s): %s by implementation and shape" % (kind, args.threads, unit), unit))


if __name__ == "__main__":
    main()
