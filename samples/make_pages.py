"""Render photographed-looking handwritten 民心日记 pages from diary text.

Each page is diary text in a handwriting-style Chinese font, written character by
character with small jitter in size, angle and baseline onto lined notebook paper, then
"photographed": the sheet lies on a desk, seen in perspective and slightly rotated, with a
soft shadow, blur, sensor noise and JPEG artifacts. Everything is driven by one seed, so
the same seed gives the same bytes.

    python samples/make_pages.py --out samples/pages --seeds 1 2 3
    python samples/make_pages.py --out /tmp/bench --seeds 101 102 --font /path/to/font.ttf

Each page `page_<seed>.jpg` gets its ground truth beside it: `page_<seed>.txt`, the
lines as written, one per line.
"""
from __future__ import annotations

import argparse
import io
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Handwriting-style fonts from Debian packages, best first. LXGW WenKai (fonts-lxgw-wenkai,
# SIL OFL 1.1) is a hand-drawn Kai; AR PL UKai (fonts-arphic-ukai, Arphic Public License)
# a brush Kai. Both licences let rendered images be redistributed freely.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf",
)

LABELS = ("时间", "地点", "受访对象", "反映问题", "解决思路", "心得体会")

# Pieces that entries are composed from. Places are real places of Kuandian county;
# every person is invented.
_DATES = (
    "2024年3月12日上午", "2024年4月7日下午", "2024年5月20日上午", "2024年6月3日",
    "2023年11月28日下午", "2024年1月16日上午", "2024年7月9日下午", "2024年9月25日",
)
_PLACES = (
    "古楼子乡南荒沟村", "古楼子乡大古岭村", "步达远镇步达远村", "步达远镇石柱子村",
    "古楼子乡南荒沟村三组", "步达远镇石柱子村村委会", "古楼子乡大古岭村二组",
)
_PEOPLE = (
    "村民王秀兰", "村民李德富", "脱贫户张桂芝", "村民刘长海", "养殖户孙玉成",
    "五保户赵凤琴", "村民陈立新", "种植户周海波", "村民吴淑珍",
)
_PROBLEMS = (
    "村里通往乡道的砂石路年久失修，雨天泥泞，孩子上学和农产品外运都很困难。",
    "自来水管冬季冻裂，全组二十多户吃水要到山下去挑，老人十分不便。",
    "家中老房子墙体开裂，属于危房，本人年纪大，没有能力翻建。",
    "今年香菇价格下跌，合作社收购款迟迟没有结清，影响来年投入。",
    "与邻居因宅基地边界发生争执，多次协商没有结果，关系紧张。",
    "孙子在县城读书，每月生活费负担重，想了解教育资助政策。",
    "村卫生室药品不全，慢性病患者拿药要跑到镇上，路远不方便。",
    "河道垃圾堆积，夏天气味大，村民希望尽快清理并建立长效机制。",
)
_SOLUTIONS = (
    "已将情况报乡交通站，争取列入今年通村道路硬化项目，先组织村民填补坑洼。",
    "联系乡水利站派人检修管道，给管道加装保温层，冬季前完成。",
    "协助申报农村危房改造补助，请住建部门上门鉴定，落实过渡住房。",
    "约合作社负责人面谈，督促在月底前结清欠款，并帮助联系新的销售渠道。",
    "请村调解委员会牵头，找来老党员一起现场丈量，依法依规调解。",
    "讲解雨露计划和助学政策，帮助准备材料，下周到县教育局递交申请。",
    "向镇卫生院反映，增加常用药品配送，安排医生每周来村坐诊一次。",
    "组织党员志愿者集中清理，落实保洁员责任，每月检查一次。",
)
_REFLECTIONS = (
    "群众的事无小事，只有常到村里走一走，才能把问题发现在萌芽状态。",
    "解决问题要有耐心，把政策讲清楚，群众心里就亮堂了。",
    "干部多跑腿，群众少跑路，办实事才能赢得群众信任。",
    "要把群众当亲人，带着感情去倾听，带着责任去落实。",
    "走访中感到基层工作千头万绪，必须建立台账，做到件件有回音。",
    "只有扑下身子，才能真正了解群众的所思所盼。",
)


def make_entry(rng: random.Random) -> list[tuple[str, str]]:
    """A diary entry as (label, content) pairs, composed from the pools above."""
    i = rng.randrange(len(_PROBLEMS))
    return [
        ("时间", rng.choice(_DATES)),
        ("地点", rng.choice(_PLACES)),
        ("受访对象", rng.choice(_PEOPLE)),
        ("反映问题", _PROBLEMS[i]),
        ("解决思路", _SOLUTIONS[i]),
        ("心得体会", rng.choice(_REFLECTIONS)),
    ]


def wrap_entry(entry: list[tuple[str, str]], per_line: int) -> list[str]:
    """Written lines: each label starts a line; long content wraps onto following lines."""
    lines: list[str] = []
    for label, content in entry:
        text = f"{label}：{content}"
        while text:
            cut = per_line
            while cut < len(text) and text[cut] in "，。；、：":
                cut += 1  # nobody starts a line with a comma: it stays on the line before
            lines.append(text[:cut])
            text = text[cut:]
    return lines


@dataclass
class Style:
    font_path: str
    char_px: int
    line_gap: int
    ink: tuple[int, int, int]
    paper: tuple[int, int, int]
    rule: tuple[int, int, int]


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def render_sheet(lines: list[str], style: Style, rng: random.Random,
                 smudge: tuple[int, int] | None = None) -> Image.Image:
    """The flat notebook sheet: lined paper with the lines written on it. `smudge` (line,
    character): that character is half rubbed out, as by a wet thumb, so it reads uncertainly."""
    margin_x, margin_top = int(style.char_px * 1.6), int(style.line_gap * 1.5)
    per_line = max(len(s) for s in lines)
    width = margin_x * 2 + int(per_line * style.char_px * 1.05)
    n_rules = max(len(lines) + 3, 16)
    height = margin_top + n_rules * style.line_gap + style.line_gap
    sheet = Image.new("RGB", (width, height), style.paper)
    draw = ImageDraw.Draw(sheet)
    # ruled lines, and a red margin line on the left
    for k in range(n_rules + 1):
        y = margin_top + k * style.line_gap
        draw.line([(int(margin_x * 0.4), y), (width - int(margin_x * 0.4), y)], fill=style.rule, width=2)
    draw.line([(int(margin_x * 0.75), 0), (int(margin_x * 0.75), height)], fill=(205, 120, 120), width=2)

    sizes = {}
    for row, text in enumerate(lines):
        baseline = margin_top + (row + 1) * style.line_gap - int(style.line_gap * 0.18)
        x = margin_x + rng.uniform(-4, 8)
        drift = rng.uniform(-0.02, 0.02)  # writing drifts off the rule a little
        for col, ch in enumerate(text):
            size = max(10, int(style.char_px * rng.uniform(0.9, 1.08)))
            font = sizes.get(size) or sizes.setdefault(size, _font(style.font_path, size))
            glyph = Image.new("L", (size * 2, size * 2), 0)
            ImageDraw.Draw(glyph).text((size // 2, size // 2), ch, font=font, fill=255)
            glyph = glyph.rotate(rng.uniform(-5, 5), resample=Image.BICUBIC)
            ink = tuple(max(0, min(255, c + rng.randint(-12, 12))) for c in style.ink)
            y = baseline - size * 1.5 + rng.uniform(-2, 2) + drift * (x - margin_x)
            sheet.paste(Image.new("RGB", glyph.size, ink), (int(x - size // 2), int(y)), glyph)
            if smudge == (row, col):
                # the right half of the glyph's box rubbed to paper, with a grey trace of ink
                x0, y0 = int(x - size // 2 + size * 0.95), int(y + size * 0.45)
                x1, y1 = int(x - size // 2 + size * 1.65), int(y + size * 1.6)
                trace = tuple(int(0.8 * p + 0.2 * i) for p, i in zip(style.paper, ink))
                draw.rectangle([x0, y0, x1, y1], fill=trace)
            x += font.getlength(ch) * rng.uniform(1.0, 1.12) + size * 0.04
    return sheet


def photograph(sheet: Image.Image, rng: random.Random, *, out_long: int = 1600,
               tilt: float | None = None) -> Image.Image:
    """The sheet on a desk, seen by a phone: perspective, rotation, shadow, blur, noise.

    `tilt`: the sheet's rotation in degrees (default: drawn from -8..8); a skewed page
    lies at 10-15 degrees."""
    import cv2

    sw, sh = sheet.size
    scale = out_long / max(sw, sh) * rng.uniform(0.78, 0.88)
    pw, ph = sw * scale, sh * scale
    W, H = (int(out_long * 0.75), out_long) if sh >= sw else (out_long, int(out_long * 0.75))
    # desk: a warm wood-ish gradient with streaks
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    base = np.array([rng.randint(90, 140), rng.randint(70, 100), rng.randint(45, 70)], np.float32)
    streak = 12 * np.sin(xx / rng.uniform(9, 25) + np.sin(yy / 60.0) * 2)[..., None]
    desk = np.clip(base[::-1][None, None, :] + streak + (yy / H * 25)[..., None], 0, 255)
    # page corners: centred, rotated by a few degrees, each corner pulled independently
    angle = math.radians(_gap(rng.uniform(-8, 8), tilt))
    cx, cy = W / 2 + rng.uniform(-20, 20), H / 2 + rng.uniform(-20, 20)
    corners = []
    for dx, dy in ((-pw / 2, -ph / 2), (pw / 2, -ph / 2), (pw / 2, ph / 2), (-pw / 2, ph / 2)):
        dx += rng.uniform(-0.07, 0.07) * pw
        dy += rng.uniform(-0.05, 0.05) * ph
        corners.append((cx + dx * math.cos(angle) - dy * math.sin(angle),
                        cy + dx * math.sin(angle) + dy * math.cos(angle)))
    src = np.float32([(0, 0), (sw, 0), (sw, sh), (0, sh)])
    M = cv2.getPerspectiveTransform(src, np.float32(corners))
    page = cv2.warpPerspective(np.asarray(sheet)[:, :, ::-1], M, (W, H), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((sh, sw), 255, np.uint8), M, (W, H))
    img = np.where(mask[..., None] > 127, page.astype(np.float32), desk)
    # shadow: a soft dark band from one side (a hand or the phone), and uneven light
    sx = rng.uniform(-0.3, 0.6) * W
    band = np.clip((xx - sx) / (0.35 * W), 0, 1) if rng.random() < 0.5 else np.clip((sx + 0.4 * W - xx) / (0.35 * W), 0, 1)
    shade = 1 - rng.uniform(0.25, 0.6) * (1 - band)
    light = 1 - 0.15 * ((xx - W * rng.random()) ** 2 + (yy - H * rng.random()) ** 2) / (W * W + H * H)
    img = img * (shade * light)[..., None]
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.6, 1.6) * out_long / 1600)
    nrng = np.random.default_rng(rng.randrange(2**32))
    img = np.clip(img + nrng.normal(0, rng.uniform(3, 9), img.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(img[:, :, ::-1])


def render_page(seed: int, *, font_path: str | None = None, entry=None, out_long: int = 1600,
                line_gap: float | None = None, tilt: float | None = None,
                form: bool = False, grid: bool = False,
                smudge: tuple[int, int] | None = None) -> tuple[Image.Image, list[str]]:
    """One photographed page and its lines, entirely determined by `seed`.

    `line_gap`: the ruling as a multiple of the character size (default: drawn from
    1.55-1.75; closely ruled notebooks are nearer 1.25). `tilt`: the page's rotation in
    the photo, in degrees. `form`: a printed diary form (title, weekday row, a grid whose
    left cells hold the printed labels) filled in by hand, instead of a ruled page. `grid`:
    squared (方格) paper, one character to a square, as school composition paper. `smudge`
    (line, character): that character half rubbed out (ruled pages only)."""
    rng = random.Random(seed)
    font_path = font_path or next((p for p in FONT_CANDIDATES if Path(p).exists()), None)
    if font_path is None:
        raise RuntimeError("no handwriting font: apt-get install fonts-lxgw-wenkai (or fonts-arphic-ukai)")
    entry = entry or make_entry(rng)
    lines = wrap_entry(entry, per_line=rng.randint(17, 21))
    char_px = rng.randint(34, 48)
    style = Style(
        font_path=font_path,
        char_px=char_px,
        line_gap=int(char_px * _gap(rng.uniform(1.55, 1.75), line_gap)),
        ink=rng.choice([(25, 35, 95), (20, 20, 25), (30, 45, 120)]),
        paper=(rng.randint(236, 250), rng.randint(232, 246), rng.randint(220, 236)),
        rule=(rng.randint(150, 180), rng.randint(180, 205), rng.randint(215, 235)),
    )
    if form:
        sheet, lines = render_form(entry, style, rng, per_line=max(12, len(lines[0]) - 6))
    elif grid:
        sheet = render_grid(lines, style, rng)
    else:
        sheet = render_sheet(lines, style, rng, smudge)
    return photograph(sheet, rng, out_long=out_long, tilt=tilt), lines


# The printed part of a form: an upright regular face, no jitter.
PRINTED_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKaiMono-Bold.ttf",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
)
FORM_TITLE = "民心日记"
# printed forms space the days out, for the writer to circle one
WEEKDAY_ROW = "星期：一   二   三   四   五   六   日"


def _write(draw_on: Image.Image, text: str, x: float, baseline: float, style: Style,
           rng: random.Random, sizes: dict) -> float:
    """Write `text` by hand from (x, baseline): each character jittered in size, angle and
    height. Returns where the pen stops."""
    for ch in text:
        size = max(10, int(style.char_px * rng.uniform(0.9, 1.08)))
        font = sizes.get(size) or sizes.setdefault(size, _font(style.font_path, size))
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size // 2, size // 2), ch, font=font, fill=255)
        glyph = glyph.rotate(rng.uniform(-5, 5), resample=Image.BICUBIC)
        ink = tuple(max(0, min(255, c + rng.randint(-12, 12))) for c in style.ink)
        y = baseline - size * 1.5 + rng.uniform(-2, 2)
        draw_on.paste(Image.new("RGB", glyph.size, ink), (int(x - size // 2), int(y)), glyph)
        x += font.getlength(ch) * rng.uniform(1.0, 1.12) + size * 0.04
    return x


def render_form(entry: list[tuple[str, str]], style: Style, rng: random.Random,
                per_line: int) -> tuple[Image.Image, list[str]]:
    """A printed diary form filled in by hand, and its lines in reading order.

    Printed: the title, a weekday row and, down the left of a grid, the labels (时间：…);
    handwritten: each label's content in the cell to its right, wrapped onto more rows of
    that cell when long."""
    printed_path = next((p for p in PRINTED_FONT_CANDIDATES if Path(p).exists()), style.font_path)
    c, gap = style.char_px, style.line_gap
    label_w = int(c * 5.6)
    width = int(c * 1.2) * 2 + label_w + int(per_line * c * 1.12)
    rows: list[tuple[str, list[str]]] = []
    for label, content in entry:
        wrapped = wrap_entry([("", content)], per_line)
        wrapped[0] = wrapped[0].lstrip("：")
        rows.append((label + "：", [w for w in wrapped if w]))
    height = int(gap * (3.2 + sum(len(r[1]) for r in rows) + 1.0))
    sheet = Image.new("RGB", (width, height), style.paper)
    draw = ImageDraw.Draw(sheet)
    black = (35, 35, 40)
    title_font = _font(printed_path, int(c * 1.25))
    tw = title_font.getlength(FORM_TITLE)
    draw.text(((width - tw) / 2, gap * 0.35), FORM_TITLE, font=title_font, fill=black)
    small = _font(printed_path, int(c * 0.8))
    x0 = int(c * 1.2)
    draw.text((x0, gap * 1.55), WEEKDAY_ROW, font=small, fill=black)
    lines = [FORM_TITLE, WEEKDAY_ROW.replace(" ", "")]
    # the writer circles the day of the visit
    day = rng.randrange(7)
    left = x0 + small.getlength(WEEKDAY_ROW[:WEEKDAY_ROW.index("一") + 4 * day])
    r = c * 0.55
    cx, cy = left + small.getlength("一") / 2, gap * 1.55 + c * 0.45
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=style.ink, width=3)
    top = int(gap * 2.4)
    y = top
    sizes: dict = {}
    label_font = _font(printed_path, int(c * 0.85))
    x1 = width - x0
    draw.line([(x0, y), (x1, y)], fill=black, width=2)
    for label, content in rows:
        cell_top = y
        draw.text((x0 + c * 0.25, y + (gap - c) * 0.5 - 0.2 * c), label, font=label_font, fill=black)
        for k, text in enumerate(content):
            baseline = y + gap - int(gap * 0.18)
            _write(sheet, text, x0 + label_w + c * 0.4 + rng.uniform(-3, 6), baseline, style, rng, sizes)
            lines.append(label + text if k == 0 else text)
            y += gap
        draw.line([(x0, y), (x1, y)], fill=black, width=2)
        draw.line([(x0 + label_w, cell_top), (x0 + label_w, y)], fill=black, width=2)
    draw.line([(x0, top), (x0, y)], fill=black, width=2)
    draw.line([(x1, top), (x1, y)], fill=black, width=2)
    return sheet, lines


def render_grid(lines: list[str], style: Style, rng: random.Random) -> Image.Image:
    """Squared paper: a square per character, a gap between rows; each character written
    in its square (slightly off centre, as people write)."""
    c = style.char_px
    cell = int(c * 1.25)
    row_gap = int(c * 0.45)
    per_line = max(len(t) for t in lines)
    x0, y0 = int(c * 1.4), int(c * 1.6)
    n_rows = max(len(lines) + 2, 14)
    width = 2 * x0 + per_line * cell
    height = 2 * y0 + n_rows * (cell + row_gap)
    sheet = Image.new("RGB", (width, height), style.paper)
    draw = ImageDraw.Draw(sheet)
    for r in range(n_rows):
        top = y0 + r * (cell + row_gap)
        draw.rectangle([x0, top, x0 + per_line * cell, top + cell], outline=style.rule, width=2)
        for k in range(1, per_line):
            draw.line([(x0 + k * cell, top), (x0 + k * cell, top + cell)], fill=style.rule, width=2)
    sizes: dict = {}
    for r, text in enumerate(lines):
        top = y0 + r * (cell + row_gap)
        for k, ch in enumerate(text):
            x = x0 + k * cell + (cell - c) / 2 + c * 0.5 + rng.uniform(-3, 3)
            _write(sheet, ch, x, top + cell - (cell - c) / 2 - c * 0.02 + rng.uniform(-2, 2), style, rng, sizes)
    return sheet


def render_line_crop(seed: int, text: str, *, font_path: str | None = None, height: int = 64,
                     margin: float = 0.06) -> Image.Image:
    """One handwritten line cropped tight (a few pixels round the ink), as a cadre crops a
    line or a torn-out strip: light blur, noise and a slight tilt, `height` pixels high."""
    import cv2

    rng = random.Random(seed)
    font_path = font_path or next((p for p in FONT_CANDIDATES if Path(p).exists()), None)
    if font_path is None:
        raise RuntimeError("no handwriting font: apt-get install fonts-lxgw-wenkai (or fonts-arphic-ukai)")
    c = 48
    style = Style(font_path, c, int(c * 1.6), rng.choice([(25, 35, 95), (20, 20, 25)]),
                  (rng.randint(228, 246), rng.randint(226, 242), rng.randint(214, 232)), (0, 0, 0))
    sheet = Image.new("RGB", (int(len(text) * c * 1.3) + 4 * c, 4 * c), style.paper)
    _write(sheet, text, 2 * c, 2.6 * c, style, rng, {})
    sheet = sheet.rotate(rng.uniform(-1.5, 1.5), resample=Image.BICUBIC, fillcolor=style.paper)
    ink = np.asarray(sheet.convert("L")) < 150
    ys, xs = np.nonzero(ink)
    pad = int(margin * c)
    box = (max(0, xs.min() - pad), max(0, ys.min() - pad), xs.max() + pad + 1, ys.max() + pad + 1)
    crop = sheet.crop(box)
    crop = crop.resize((max(1, round(crop.width * height / crop.height)), height), Image.LANCZOS)
    img = cv2.GaussianBlur(np.asarray(crop).astype(np.float32), (0, 0), rng.uniform(0.4, 0.8))
    nrng = np.random.default_rng(seed)
    img = np.clip(img + nrng.normal(0, rng.uniform(2, 6), img.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(img)


def _gap(drawn: float, wanted: float | None) -> float:
    return drawn if wanted is None else wanted  # drawn either way, so a seed's other draws stay put


def to_jpeg(img: Image.Image, seed: int, max_bytes: int = 400_000) -> bytes:
    quality = random.Random(seed).randint(55, 80)
    while True:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        if buf.tell() < max_bytes or quality <= 40:
            return buf.getvalue()
        quality -= 6


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--font", default=None)
    ap.add_argument("--smudge", type=int, nargs=2, metavar=("LINE", "CHAR"),
                    help="half rub out this character (0-based line and position); the file is page_SEED_smudged")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        img, lines = render_page(seed, font_path=args.font, smudge=tuple(args.smudge) if args.smudge else None)
        stem = f"page_{seed}" + ("_smudged" if args.smudge else "")
        (args.out / f"{stem}.jpg").write_bytes(to_jpeg(img, seed))
        (args.out / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(args.out / f"{stem}.jpg")


if __name__ == "__main__":
    main()
