"""Real-model OCR on what real captures look like: tight line crops, tiny pictures, skewed
and squared pages, printed forms (slow). Every picture is made at test time, by the repo's
renderer (samples/make_pages.py) or from the development eval lines in ../shared when they
are there; none is committed."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bench.ocr import REAL_DIR, cer, edit_distance, normalise, real_pages
from recognize.handwriting import ppocr_v6
from recognize.handwriting import read as handwriting
from samples.make_pages import render_line_crop, render_page, to_jpeg

pytestmark = pytest.mark.slow

LINES = ["村民王秀兰反映路不好走", "自来水管冬季冻裂", "下周到县教育局递交申请",
         "合作社收购款迟迟没有结清"]


@pytest.fixture(scope="module", autouse=True)
def warm_engine():
    handwriting.ocr_engine().load()


def _save(img: Image.Image, folder: Path, name: str) -> Path:
    path = folder / name
    img.save(path)
    return path


@pytest.mark.parametrize("seed,text", list(enumerate(LINES)))
def test_tight_line_crop_reads_its_line(tmp_path, seed, text):
    """Ink to within 3 px of every edge: the detector alone finds nothing in such a crop."""
    path = _save(render_line_crop(seed, text, height=56), tmp_path, "line.png")
    t = handwriting.read_pages([path])
    assert len(t.pieces) == 1, t.text
    assert cer(text, t.text) <= 0.1, t.text
    w, h = Image.open(path).size
    assert all(0 <= x <= w and 0 <= y <= h for x, y in t.pieces[0].polygon)


@pytest.mark.parametrize("height", [28, 16])
def test_tiny_line_is_upscaled_and_read_not_refused(tmp_path, height):
    text = LINES[0]
    path = _save(render_line_crop(7, text, height=height), tmp_path, "tiny.png")
    assert Image.open(path).size[1] == height
    t = handwriting.read_pages([path])
    assert t.text, "a line with text came back empty"
    # measured: 0 errors at 28 px, 1 at 16 px
    assert cer(text, t.text) <= (0.1 if height >= 28 else 0.3), t.text


def test_strip_of_two_lines_reads_both_in_order(tmp_path):
    a, b = render_line_crop(11, LINES[1], height=48), render_line_crop(12, LINES[2], height=48)
    strip = Image.new("RGB", (max(a.width, b.width), a.height + b.height + 8), a.getpixel((0, 0)))
    strip.paste(a, (0, 0))
    strip.paste(b, (0, a.height + 8))
    t = handwriting.read_pages([_save(strip, tmp_path, "strip.png")])
    assert [p.text for p in t.pieces] == [LINES[1], LINES[2]] or cer("\n".join(LINES[1:3]), t.text) <= 0.1, t.text
    assert len(t.pieces) == 2


@pytest.mark.parametrize("seed,kw", [(5002, {"tilt": 14}), (5004, {"tilt": -13}),
                                     (6002, {"grid": True, "tilt": 13}), (6003, {"grid": True, "tilt": -15})],
                         ids=["tilt14", "tilt-13", "grid-tilt13", "grid-tilt-15"])
def test_skewed_page_reads_in_line_order(tmp_path, seed, kw):
    img, lines = render_page(seed, out_long=2000, **kw)
    path = tmp_path / "skewed.jpg"
    path.write_bytes(to_jpeg(img, seed))
    t = handwriting.read_pages([path])
    # measured 0.0 on all four; order counts (the lines are joined as returned)
    assert cer("\n".join(lines), t.text) <= 0.03, t.text
    got = [p.text for p in t.pieces]
    starts = [next(i for i, g in enumerate(got) if g.startswith(label)) for label in handwriting.LABELS]
    assert starts == sorted(starts)


@pytest.mark.parametrize("seed,kw", [(5001, {}), (5005, {"tilt": 12})], ids=["level", "tilt12"])
def test_form_page_keeps_printed_header_and_labels_with_their_cells(tmp_path, seed, kw):
    img, lines = render_page(seed, out_long=2000, form=True, **kw)
    path = tmp_path / "form.jpg"
    path.write_bytes(to_jpeg(img, seed))
    t = handwriting.read_pages([path])
    got = [p.text for p in t.pieces]
    # PP-OCRv6 misses the lone printed 二 of the weekday row on the tilted form (v5 read it):
    # one character, as the label rows below are allowed
    assert got[0] == "民心日记" and edit_distance("星期：一二三四五六日", got[1]) <= 1, got
    for label in handwriting.LABELS:  # each printed label starts the row of its handwriting
        row = next(g for g in got if g.startswith(label + "："))
        ref = next(ln for ln in lines if ln.startswith(label + "："))
        assert edit_distance(normalise(ref), normalise(row)) <= 1, (ref, row)
    assert cer("\n".join(lines), t.text) <= 0.03, t.text


def test_capture_of_a_crop_a_form_and_a_skewed_page_keeps_pages_and_the_engine(tmp_path):
    crop = _save(render_line_crop(3, LINES[3], height=40), tmp_path, "a.png")
    form_img, form_lines = render_page(5003, out_long=1600, form=True)
    form = tmp_path / "b.jpg"
    form.write_bytes(to_jpeg(form_img, 5003))
    skew_img, skew_lines = render_page(5004, out_long=1600, tilt=-13)
    skew = tmp_path / "c.jpg"
    skew.write_bytes(to_jpeg(skew_img, 5004))
    engine = ppocr_v6.get_engine()
    t = handwriting.read_pages([crop, form, skew])
    assert ppocr_v6.get_engine() is engine  # loaded once, kept between pages and calls
    pages = [p.page for p in t.pieces]
    assert pages == sorted(pages) and set(pages) == {0, 1, 2}
    by_page = ["\n".join(p.text for p in t.pieces if p.page == i) for i in range(3)]
    assert cer(LINES[3], by_page[0]) <= 0.1
    assert cer("\n".join(form_lines), by_page[1]) <= 0.03
    assert cer("\n".join(skew_lines), by_page[2]) <= 0.03


@pytest.mark.skipif(not real_pages(), reason=f"no development eval lines in {REAL_DIR}")
def test_real_camera_captured_lines_none_empty_and_no_worse_than_stock_rec_alone():
    """The 21 development lines (../shared/eval/handwriting): stock PaddleOCR's recognizer
    alone reads them at 5.5% CER (punctuation ignored, bench/ocr.py); the reader may not do
    worse, and returns text for every one."""
    errors = chars = 0
    for path, ref in real_pages():
        text = handwriting.read_pages([path]).text
        assert text, f"{path.name} came back empty"
        r = normalise(ref, punctuation=False)
        errors += edit_distance(r, normalise(text, punctuation=False))
        chars += len(r)
    assert errors / chars <= 0.06
