"""Image intake and page geometry: no OCR model involved, fast."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from recognize.handwriting import images, pages
from recognize.transcript import RecognitionError


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _marked(w=120, h=80) -> Image.Image:
    """White picture with a red block in its top-left corner, to see which way is up."""
    img = Image.new("RGB", (w, h), "white")
    img.paste((255, 0, 0), (0, 0, 30, 20))
    return img


def png_bomb(width=12_000, height=12_000) -> bytes:
    """A valid, tiny PNG that decodes to width*height grey pixels (144 MP here)."""
    raw_row = b"\x00" + b"\x00" * width
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(raw_row) for _ in range(height)) + comp.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt,media", [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                       ("WEBP", "image/webp"), ("HEIF", "image/heic")])
def test_check_image_accepts_supported_formats(fmt, media):
    data = _encode(_marked(), fmt)
    assert images.check_image(data) == media
    assert images.load_image(data).size == (120, 80)


def test_transparent_png_is_put_on_white():
    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    img.paste((0, 0, 0, 255), (0, 0, 10, 10))
    out = images.load_image(_encode(img, "PNG"))
    assert out.mode == "RGB" and out.getpixel((40, 40)) == (255, 255, 255) and out.getpixel((2, 2)) == (0, 0, 0)


def test_pillow_pixel_limit_is_set_explicitly():
    assert Image.MAX_IMAGE_PIXELS == images.MAX_IMAGE_PIXELS


@pytest.mark.parametrize("name,data,needle", [
    ("pdf renamed .jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "PDF"),
    ("empty", b"", "空文件"),
    ("text", b"hello, this is not a picture at all", "不支持"),
    ("1x1", _encode(Image.new("RGB", (1, 1)), "PNG"), "太小"),
    ("png bomb", png_bomb(), "解压炸弹"),
])
def test_check_image_refuses_bad_input(name, data, needle):
    with pytest.raises(RecognitionError, match=needle):
        images.check_image(data)
    with pytest.raises(RecognitionError, match=needle):
        images.load_image(data)


def test_truncated_jpeg_refused_by_check_and_by_decoding():
    data = _encode(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG", quality=90)
    cut = data[: len(data) // 2]
    with pytest.raises(RecognitionError, match="不完整"):
        images.check_image(cut)
    with pytest.raises(RecognitionError, match="无法解码图片"):
        images.load_image(cut)


def test_file_size_limit_is_configurable(tmp_path):
    from core.settings import Settings
    from recognize.options import PageOptions

    data = _encode(_marked(), "PNG")
    limit = PageOptions.from_config(Settings.from_env({"MINXIN_MAX_IMAGE_BYTES": str(len(data) - 1)}).as_config())
    assert limit.max_image_bytes == len(data) - 1
    assert images.check_image(data) == "image/png"  # under the default 30 MiB
    with pytest.raises(RecognitionError, match="过大"):
        images.check_image(data, limit.max_image_bytes)
    path = tmp_path / "p.png"
    path.write_bytes(data)
    with pytest.raises(RecognitionError, match="过大"):
        images.load_image(path, limit.max_image_bytes)


def test_missing_file_is_a_recognition_error(tmp_path):
    with pytest.raises(RecognitionError):
        images.load_image(tmp_path / "nope.jpg")


@pytest.mark.parametrize("orientation,turn", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270),
                                              (3, Image.Transpose.ROTATE_180)])
def test_exif_orientation_is_applied(tmp_path, orientation, turn):
    upright = _marked()
    stored = upright.transpose(turn)  # what a phone writes: sensor pixels plus a tag
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    path.write_bytes(_encode(stored, "JPEG", exif=exif, quality=95))
    original = path.read_bytes()
    img = images.load_image(path)
    assert img.size == (120, 80)
    r, g, b = img.getpixel((5, 5))
    assert r > 200 and g < 60 and b < 60, "red corner should be top-left once upright"
    assert path.read_bytes() == original, "the original file is never modified"


def test_rotation_matrix_matches_numpy_rot90():
    img = np.zeros((30, 50, 3), np.uint8)
    img[2, 7] = 255
    prep = pages.Prepared(img)
    for turns in (1, 2, 3):
        turned = pages.rotate(prep, turns)
        ys, xs = np.nonzero(turned.image[:, :, 0])
        mapped = turned.matrix @ np.array([7, 2, 1.0])
        assert (xs[0], ys[0]) == (round(mapped[0]), round(mapped[1]))
        assert turned.to_original([[xs[0], ys[0]]]) == [[7.0, 2.0]]


def test_cleanup_finds_the_sheet_and_maps_points_back_to_the_original():
    import cv2

    # a ruled sheet with dark "writing", seen in perspective on a brown desk, wholly in view
    sheet = np.full((800, 600, 3), (236, 242, 245), np.uint8)
    for y in range(80, 760, 48):
        cv2.line(sheet, (20, y), (580, y), (230, 200, 170), 2)
        cv2.rectangle(sheet, (40, y - 30), (420, y - 8), (120, 40, 30), -1)
    quad = np.float32([(420, 260), (1150, 330), (1110, 1380), (380, 1330)])
    m = cv2.getPerspectiveTransform(np.float32([(0, 0), (600, 0), (600, 800), (0, 800)]), quad)
    photo = np.full((1600, 1500, 3), (40, 80, 130), np.uint8)  # BGR brown
    mask = cv2.warpPerspective(np.full((800, 600), 255, np.uint8), m, (1500, 1600)) > 127
    photo[mask] = cv2.warpPerspective(sheet, m, (1500, 1600))[mask]
    rgb = photo[:, :, ::-1]

    found = pages.find_page_quad(photo)
    assert found is not None and np.abs(found - quad).max() < 25
    prep = pages.prepare(rgb, pages.Cleanup(max_side=1000, find_page=True, deskew=True, flatten_light=True))
    assert prep.steps[:2] == ["downscale", "find_page"]
    h, w = prep.image.shape[:2]
    corners = prep.to_original([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    assert np.abs(np.array(corners) - quad).max() < 30


def test_no_page_found_on_a_plain_picture():
    flat = np.full((400, 300, 3), 200, np.uint8)
    assert pages.find_page_quad(flat) is None


def test_skew_angle_finds_rotation_of_ruled_writing():
    import cv2

    img = np.full((600, 600, 3), 255, np.uint8)
    for y in range(60, 560, 40):
        cv2.line(img, (60, y), (540, y), (0, 0, 0), 6)
    m = cv2.getRotationMatrix2D((300, 300), -3.0, 1.0)
    tilted = cv2.warpAffine(img, m, (600, 600), borderValue=(255, 255, 255))
    assert abs(pages.skew_angle(tilted) - 3.0) <= 0.5


def test_page_renderer_is_deterministic():
    from samples.make_pages import render_page, to_jpeg

    a, lines_a = render_page(11, out_long=800)
    b, lines_b = render_page(11, out_long=800)
    assert lines_a == lines_b and lines_a[0].startswith("时间：")
    assert to_jpeg(a, 11) == to_jpeg(b, 11)
    c, _ = render_page(12, out_long=800)
    assert to_jpeg(c, 12) != to_jpeg(a, 11)


@pytest.mark.parametrize("size", [(300, 28), (120, 10), (16, 8)])
def test_small_line_crops_are_accepted(size):
    """A tight crop of one written line is often under 32 pixels high: it is read
    (upscaled), not refused."""
    assert images.check_image(_encode(Image.new("RGB", size, "white"), "PNG")) == "image/png"


@pytest.mark.parametrize("size", [(7, 200), (15, 9)])
def test_unreadably_small_pictures_say_why(size):
    with pytest.raises(RecognitionError, match=r"图片太小.*至少需要 8×16 像素"):
        images.check_image(_encode(Image.new("RGB", size, "white"), "PNG"))


def test_small_picture_is_upscaled_and_padded_with_its_paper_colour():
    rgb = np.full((20, 200, 3), (230, 220, 200), np.uint8)
    rgb[8:12, 20:180] = 30  # a stroke of ink
    prep = pages.prepare(rgb, pages.Cleanup(max_side=0, min_side=64, pad=True))
    assert prep.steps == ["upscale", "pad"]
    h, w = prep.image.shape[:2]
    p = pages.pad_width(np.zeros((64, 640, 3)))
    assert (h, w) == (64 + 2 * p, 640 + 2 * p)
    assert tuple(prep.image[0, 0]) == (200, 220, 230)  # BGR of the paper, not white or black
    # the picture's own corners map back onto the original
    x0, y0, x1, y1 = pages.content_box(prep, 200, 20)
    assert (round(x0), round(y0), round(x1), round(y1)) == (p, p, p + 640, p + 64)
    assert prep.to_original([[x0, y0]]) == [[0.0, 0.0]]
