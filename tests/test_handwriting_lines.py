"""Reading order, label handling and the model folders (no OCR run, fast)."""
from __future__ import annotations

import numpy as np

from recognize.handwriting import paddle_v5
from recognize.handwriting import read as handwriting
from recognize.handwriting.read import Line, order_lines


def box(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def test_lines_top_to_bottom_with_fragments_merged_left_to_right():
    lines = [
        Line("村民王秀兰", 0.9, box(300, 205, 500, 248)),  # right fragment of line 2
        Line("时间：2024年3月12日上午", 0.95, box(50, 100, 600, 145)),
        Line("受访对象：", 0.8, box(50, 200, 260, 250)),   # left fragment of line 2
        Line("反映问题：路不好走", 0.9, box(48, 300, 500, 345)),
    ]
    out = order_lines(lines)
    assert [ln.text for ln in out] == ["时间：2024年3月12日上午", "受访对象：村民王秀兰", "反映问题：路不好走"]
    # merged confidence is weighted by characters; the polygon spans both fragments
    assert abs(out[1].score - (0.8 * 5 + 0.9 * 5) / 10) < 1e-9
    assert out[1].left == 50 and out[1].width == 450


def test_lone_label_line_is_kept_with_what_follows():
    lines = [
        Line("心得体会：", 0.9, box(50, 100, 240, 140)),
        Line("群众的事无小事", 0.9, box(50, 160, 400, 200)),
        Line("要常到村里走一走", 0.9, box(50, 220, 420, 260)),
    ]
    assert [ln.text for ln in order_lines(lines)] == ["心得体会：群众的事无小事", "要常到村里走一走"]


def test_slanted_neighbour_lines_are_not_merged():
    # two written lines, each drifting down 10 px across the page: still two lines
    a = np.array([[50, 100], [600, 110], [600, 150], [50, 140]], float)
    b = a + [0, 50]
    assert len(order_lines([Line("一行", 0.9, b), Line("另一行", 0.9, a)])) == 2


def test_label_colon_is_normalised():
    assert handwriting._fix_label_colon("地点:南荒沟村") == "地点：南荒沟村"
    assert handwriting._fix_label_colon("地点南荒沟村") == "地点南荒沟村"


def test_v5_dictionary_drops_blank_and_trailing_space():
    chars = paddle_v5._v5_characters(paddle_v5._wheel_dir() / "ppocr_keys_v5.txt")
    assert len(chars) == 18383
    assert "blank" not in chars[:1] and chars[-1] != " "
    assert "民" in chars and "心" in chars


def test_model_folders_built_once(tmp_path):
    dirs = paddle_v5.ensure_models(tmp_path / "models")
    assert set(dirs) == {paddle_v5.DET_MODEL, paddle_v5.REC_MODEL, paddle_v5.ORI_MODEL}
    for folder in dirs.values():
        assert folder.parent == tmp_path / "models"
        assert (folder / "inference.onnx").stat().st_size > 1_000_000
        assert "model_name" in (folder / "inference.yml").read_text(encoding="utf-8")
    before = {name: (d / "inference.onnx").stat().st_mtime_ns for name, d in dirs.items()}
    again = paddle_v5.ensure_models(tmp_path / "models")
    assert {name: (d / "inference.onnx").stat().st_mtime_ns for name, d in again.items()} == before
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]
