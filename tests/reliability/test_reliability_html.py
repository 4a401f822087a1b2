"""The HTML report: self-contained, escaped, and drawn for real in headless Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest
from reliability_logs import Claim, Run, failed, judged
from test_reliability_metrics import gated_runs, shadow_runs

from seamline.events import Event
from seamline.reliability import measure, render_html, run_report, write_html
from seamline.reliability.html import COLORS


def both_modes() -> list[list[Event]]:
    return [*shadow_runs(), *gated_runs().values()]


def test_html_is_self_contained() -> None:
    html = render_html(measure(both_modes()))
    assert html.startswith("<!doctype html>")
    assert not re.search(r"https?://", html), "the report must not reference the network"
    assert not re.search(r"<(script|link|img|iframe|object)\b", html, re.I)
    assert not re.search(r"\b(src|href)\s*=", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert html.count("<svg") == 3  # pass rates, funnel, cost
    assert "<style>" in html


def test_html_shows_both_modes_and_the_failing_tasks() -> None:
    html = render_html(measure(both_modes()), title="Claims eval", generated_at=0)
    assert "<title>Claims eval</title>" in html
    assert "1970-01-01 00:00 UTC" in html
    assert "Measured, shadow" in html and "Measured, gated" in html
    assert "25.0%" in html  # shadow measured, and the predicted product
    # a <details> per example: three shadow tasks; two gated (one failed, one a person
    # let through after its gate escalated it)
    assert html.count("<details class='task'>") == 5
    assert "lost at <b>decision</b>" in html
    assert "amount is positive" in html  # a verdict's reason, inside the details


def test_html_escapes_what_runs_produced() -> None:
    evil = Claim(claimant="<script>alert(1)</script>", amount=-1)
    run = Run(pipeline="<b>p</b>").ok("claim", evil, verdict=failed("<img>"), action="fail")
    html = render_html(measure([run.finish("failed")]))
    assert "<script>" not in html and "<img>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Coordination Gap — &lt;b&gt;p&lt;/b&gt;" in html


def test_html_of_one_run_and_of_none(tmp_path: Path) -> None:
    path = write_html(run_report(gated_runs()["g1"]), tmp_path / "run.html")
    assert "Every task passed" in path.read_text(encoding="utf-8")
    assert "No runs to report on" in render_html(measure([]))


# -- in a real browser --------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(html: Path, png: Path, profile: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=1200,1600",
            "--hide-scrollbars",
            html.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG, with the stdlib."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows = zlib.decompress(idat), width * channels, []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filter_type, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                nearest = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + nearest) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, channels, rows


def colour_counts(png: Path) -> Counter[tuple[int, int, int]]:
    width, channels, rows = decode_png(png.read_bytes())
    counts: Counter[tuple[int, int, int]] = Counter()
    for row in rows:
        for x in range(0, width * channels, channels):
            counts[row[x], row[x + 1], row[x + 2]] += 1
    return counts


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def near(counts: Counter[tuple[int, int, int]], colour: tuple[int, int, int]) -> int:
    return sum(
        n for c, n in counts.items() if all(abs(a - b) <= 4 for a, b in zip(c, colour, strict=True))
    )


@pytest.mark.browser
@pytest.mark.slow
def test_charts_render_in_headless_chromium(tmp_path: Path) -> None:
    runs = [*shadow_runs(), *gated_runs().values()]
    runs += [
        Run()
        .ok("claim", verdict=judged(0.9, passed=True))
        .call("claim", purpose="judge", cost=0.002)
        .ok("decision")
        .finish("succeeded")
        for _ in range(3)
    ]
    report = measure(runs)
    html = write_html(report, tmp_path / "report.html")
    png = tmp_path / "report.png"
    screenshot(html, png, tmp_path / "profile")

    counts = colour_counts(png)
    assert {c for c, _ in counts.most_common(2)} == {rgb("#ffffff"), rgb("#f8fafc")}  # cards, page
    # Bars are solid rectangles in the chart colours: thousands of pixels each. (The first
    # 1600 pixels hold the pass-rate chart and the funnel; the cost chart is further down.)
    for name in ("predicted", "shadow", "on"):
        assert near(counts, rgb(COLORS[name])) > 2000, f"no {name} bars drawn"
    # and the charts are not all there is: text and tables drew too
    assert near(counts, rgb("#0f172a")) > 1000
