"""Reading order from the detector's boxes alone (recognize.handwriting.reading_order): no model, fast."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from recognize.handwriting import reading_order
from recognize.handwriting.read import Line, order_lines


def turned(points, deg, about=(500.0, 500.0)):
    t = math.radians(deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return (np.asarray(points, float) - about) @ rot.T + about


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


@pytest.mark.parametrize("deg", [-14, -8, 0, 9, 15])
def test_squared_paper_one_box_per_character_reads_row_by_row(deg):
    """A skewed grid page where the detector boxed every character on its own: a square
    box has no direction of its own (its corners may start anywhere), so the skew comes
    from how the centres line up. 6 rows of 12 characters, rows 1.4 characters apart."""
    rng = random.Random(deg)
    lines = []
    for r in range(6):
        for k in range(12):
            x, y = 100 + k * 60, 100 + r * 70 + rng.uniform(-4, 4)
            quad = turned(rect(x, y, x + 50, y + 50), deg)
            quad = np.roll(quad, rng.randrange(4), axis=0)  # any corner first
            lines.append(Line(f"{r}{k:x}", 0.9, quad))
    rng.shuffle(lines)
    assert abs(math.degrees(reading_order.skew([ln.points for ln in lines])) - deg) <= 1.0
    out = order_lines(lines)
    assert [ln.text for ln in out] == ["".join(f"{r}{k:x}" for k in range(12)) for r in range(6)]


@pytest.mark.parametrize("deg", [-12, 0, 12])
def test_fragments_of_a_skewed_line_are_merged_in_order(deg):
    """Each written line is found as three pieces with gaps; the page is turned."""
    lines = []
    for r in range(5):
        y = 100 + r * 60
        for k, (x0, x1) in enumerate([(100, 300), (340, 520), (560, 800)]):
            lines.append(Line(f"{r}{'abc'[k]}", 0.9, turned(rect(x0, y, x1, y + 40), deg)))
    random.Random(1).shuffle(lines)
    assert [ln.text for ln in order_lines(lines)] == [f"{r}a{r}b{r}c" for r in range(5)]


def test_two_columns_are_read_one_after_the_other_below_a_title():
    lines = [Line("标题", 0.9, rect(100, 20, 900, 70))]
    for r in range(6):
        y = 100 + r * 60
        lines.append(Line(f"左{r}", 0.9, rect(100, y, 440 - 20 * (r % 2), y + 40)))
        lines.append(Line(f"右{r}", 0.9, rect(540, y + 8, 900, y + 48)))
    random.Random(2).shuffle(lines)
    assert [ln.text for ln in order_lines(lines)] == ["标题"] + [f"左{r}" for r in range(6)] + [f"右{r}" for r in range(6)]


def test_a_form_with_printed_labels_on_the_left_reads_row_by_row():
    labels = ["时间：", "地点：", "受访对象：", "反映问题：", "解决思路：", "心得体会："]
    lines = [Line("民心日记", 0.99, rect(300, 10, 600, 60)), Line("星期：一二三四五六日", 0.95, rect(80, 70, 500, 100))]
    for r, label in enumerate(labels):
        y = 120 + r * 60
        lines.append(Line(label, 0.98, rect(80, y, 240, y + 40)))
        lines.append(Line(f"内容{r}", 0.9, rect(300, y + 4, 880, y + 44)))
    random.Random(3).shuffle(lines)
    out = [ln.text for ln in order_lines(lines)]
    assert out == ["民心日记", "星期：一二三四五六日"] + [f"{label}内容{r}" for r, label in enumerate(labels)]


def test_drifting_line_stays_one_row_next_to_its_neighbours():
    """Handwriting drifts: a line sinks 25 px over its length while the next line is 55 px
    below; each piece is read with the row whose nearest piece it overlaps."""
    lines = []
    for r in range(3):
        y = 100 + r * 55
        for k in range(4):
            lines.append(Line(f"{r}{k}", 0.9, rect(100 + k * 170, y + 8 * k, 250 + k * 170, y + 8 * k + 36)))
    assert [ln.text for ln in order_lines(lines)] == ["00010203", "10111213", "20212223"]
