"""A corpus of ordinary sentences for the redactor (bench/pii.py), built from parts, not typed out.

    python bench/pii_corpus.py [--n 1500] [--seed 14] > corpus.jsonl

Each sentence says where its personal strings are (``pii``: [text, kind]) and which ordinary words
must survive (``keep``).  Surnames × given names × sentence frames × every number spelling ×
house-number forms, plus sentences with nothing personal.  The parts below are this generator's
own (names, villages, frames); the redactor reads none of them.
"""
from __future__ import annotations

import argparse
import json
import random
import sys

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍韦申尤毕聂丛焦向柳邢岳齐梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵欧阳")
GIVEN = ("秀兰 玉梅 国强 建华 德胜 桂芝 淑芬 丽 伟 明 树林 永和 春生 凤琴 玉琴 金山 宝贵 长海 振东 立国 文斌 桂兰 "
         "秀英 玉兰 海燕 红梅 志刚 建国 福贵 喜财 广田 春花 冬梅 秋菊 雪 静 磊 勇 军 平 杰 宇 刚 淑珍 桂荣 凤英 玉芝 "
         "德福 占山 长青 永胜 有财 来顺 铁柱 大勇 二虎 小宇 晓东 晓燕 丽娟 丽华 美玲 春梅 玉山 宝山 连生 庆祥 殿臣 "
         "成林 树森 继红 爱军 新民 学文 振华 国庆 国华 淑兰 翠花 凤兰 秀云 秀珍 德山 显峰 启明 维民 守信 传家").split()
KIN = ("婶", "大爷", "奶奶", "大娘", "老三", "大哥", "大姐", "二叔", "大婶", "老二")
VILLAGES = ("南荒沟村 大古岭村 石柱子村 步达远村 二道河村 杨木川村 青山沟村 红石砬子村 双山子村 黄椅山村 "
            "长岭子村 柳木沟村 东升村 太平村 胜利村 宝山村 河口村 新农村 白菜地村 金坑村").split()
TOWNSHIPS = "古楼子乡 步达远镇 长甸镇 永甸镇 太平哨镇 青山沟镇 虎山镇 毛甸子镇 双山子镇 硼海镇".split()
CROPS = "香菇 蓝莓 玉米 大豆 板栗 人参 草莓 水稻 林蛙 木耳 柞蚕 榛子 中药材 苹果 葡萄 蜂蜜 黄牛 山羊".split()
PLACES = "村部 卫生所 学校 村小 桥头 水库 敬老院 合作社 文化广场 大棚 养殖场 加工厂".split()
PROVINCES = "辽京吉黑冀鲁"
CHN = "零一二三四五六七八九"
CAP = "零壹贰叁肆伍陆柒捌玖"
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

NAME_FRAMES = (
    "{n}同意维修", "已通知{n}", "当事人{n}、{m}", "{n}的房子漏雨", "感谢{n}", "已将补助款发给{n}",
    "反映人{n}和{m}", "{n}说水管冻裂了，{place}也没水", "今天去了{n}家", "和{n}商量了修路的事",
    "{n}反映低保一直没批下来", "{n}家的{crop}被野猪拱了", "帮{n}申请了危房改造", "给{n}送去了米面油",
    "{n}表示满意", "{n}今年种了10亩{crop}", "联系了{n}，约好下周再来", "{n}和老伴住在山上",
    "走访了{n}", "请{n}到{place}签字", "{n}想学{crop}种植技术", "{n}家孩子上学远", "{n}腿脚不便，盼着修路",
    "{n}的医保卡丢了", "村里安排{n}当护林员", "{n}对处理结果很满意", "经协调，{n}与{m}达成协议",
    "{n}反映{village}的路灯不亮", "{n}今年收了{amount}", "上午和{n}一起去{place}",
)
FORM_FRAMES = ("{f}说今年{crop}收成不好", "到{f}家看了看", "{f}的牛丢了", "{f}反映水渠堵了", "已告诉{f}结果",
               "{f}家门口的路坏了", "{f}同意让出地方修桥", "找{f}了解情况")
NUMBER_FRAMES = {
    "mobile": ("联系电话{x}", "他的手机号是{x}", "有事打{x}", "{x}是他儿子的电话", "留了电话{x}，说随时联系",
               "回访电话：{x}", "手机{x}，晚上才有信号"),
    "landline": ("座机{x}", "村部电话{x}", "打{x}找他", "办公电话：{x}", "{x}是合作社的电话"),
    "id": ("身份证号{x}", "证件号码{x}已登记", "身份证{x}，复印件已交", "她的身份证是{x}", "{x}是户主的身份证"),
    "bank_card": ("银行卡号{x}", "补贴打到卡号{x}", "一卡通账号{x}没有到账", "存折{x}已经冻结了"),
    "house_number": ("家住{x}", "住在{x}的那户", "{x}房子漏雨", "到{x}看了看", "{x}门前的沟堵了"),
    "plate": ("车牌{x}的三轮车", "{x}停在路边挡道", "拉参的车是{x}"),
}
ORDINARY_FRAMES = (
    "{village}的{crop}今年收了{amount}", "{township}{village}修了{count}", "{date}到{village}开会",
    "今年{crop}每斤涨了{price}", "合作社收购款{amount}迟迟没有结清", "{village}三组的路面坏了",
    "{township}组织{count}参加培训", "{date}前把{crop}补贴发到位", "{village}新建{count}",
    "{village}和{village2}之间的路{date}通车", "{crop}大棚{count}已经建好", "{township}下拨{amount}修{place}",
    "{date}{village}的{crop}开始收购", "{place}门口的路灯坏了{count}", "{village}计划明年种{crop}{area}",
)


def _with_check(body17: str) -> str:
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, W)) % 11]


def _luhn_complete(body: str) -> str:
    for d in "0123456789":
        s = body + d
        total = 0
        for i, c in enumerate(reversed(s)):
            v = int(c) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return s
    raise AssertionError


def _chinese_int(n: int) -> str:
    if n < 10:
        return CHN[n]
    if n < 20:
        return "十" + (CHN[n % 10] if n % 10 else "")
    return CHN[n // 10] + "十" + (CHN[n % 10] if n % 10 else "")


def spell(digits: str, style: str, groups: tuple[int, ...], rng: random.Random) -> str:
    """``digits`` written one way people write numbers."""
    def digit(c: str, how: str) -> str:
        if not c.isdigit():
            return c
        i = int(c)
        if how == "chn":
            return ("幺" if rng.random() < 0.3 else "一") if c == "1" else ("〇" if c == "0" and rng.random() < 0.5 else CHN[i])
        if how == "cap":
            return CAP[i]
        if how == "circ":
            return CIRCLED[i]
        if how == "full":
            return chr(0xFF10 + i)
        return c

    seps = {"plain": "", "dash": "-", "dot": ".", "space": " ", "space2": "  ", "nbsp": "\u00a0", "zw": "\u200b",
            "slash": "/", "under": "_", "ccomma": "，", "comma": ",", "chn": "", "cap": "", "circ": "", "full": "",
            "mix": "", "mixsep": None}
    how = style if style in ("chn", "cap", "circ", "full") else ("mix" if style in ("mix", "mixsep") else "ascii")
    chars = [digit(c, rng.choice(("chn", "ascii", "full", "cap")) if how == "mix" else how) for c in digits]
    sep = seps[style] if seps[style] is not None else rng.choice((" ", "-", ".", "  "))
    if not sep:
        return "".join(chars)
    out, i = [], 0
    for g in groups:
        out.append("".join(chars[i:i + g]))
        i += g
    if i < len(chars):
        out.append("".join(chars[i:]))
    return sep.join(o for o in out if o)


NUMBER_STYLES = ("plain", "dash", "dot", "space", "space2", "nbsp", "zw", "slash", "under", "ccomma", "comma",
                 "chn", "cap", "circ", "full", "mix", "mixsep")


def _mobile(rng):
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def _id18(rng):
    y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    return _with_check(f"2106{rng.randint(0, 99):02d}{y}{m:02d}{d:02d}{rng.randint(0, 999):03d}")


def _id15(rng):
    y, m, d = rng.randint(40, 99), rng.randint(1, 12), rng.randint(1, 28)
    return f"2106{rng.randint(10, 99)}{y:02d}{m:02d}{d:02d}{rng.randint(100, 999)}"


def _numbers(kind: str, rng: random.Random) -> str:
    style = rng.choice(NUMBER_STYLES)
    if kind == "mobile":
        d = _mobile(rng)
        s = spell(d, style, (3, 4, 4), rng)
        r = rng.random()
        if r < 0.1:
            s = "+86 " + s
        elif r < 0.15:
            s = "+86-" + s
        return s
    if kind == "landline":
        area = rng.choice(("0415", "024", "0411", "0412"))
        local = rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(6 if len(area) == 4 else 7))
        r = rng.random()
        if r < 0.25:
            return f"({area}){spell(local, style, (3, 4), rng)}" if rng.random() < 0.5 else f"（{area}）{local}"
        return spell(area + local, style, (len(area), len(local)), rng)
    if kind == "id":
        if rng.random() < 0.15:
            d = _id15(rng)
            return spell(d, style, (6, 6, 3), rng)
        d = _id18(rng)
        if rng.random() < 0.2:  # a Chinese comma where the writer paused
            cut = rng.randint(6, 12)
            return d[:cut] + "，" + d[cut:]
        return spell(d, style, rng.choice(((6, 8, 4), (6, 4, 4, 4), (3, 3, 4, 4, 4))), rng)
    if kind == "bank_card":
        n = rng.choice((16, 19))
        d = _luhn_complete("62" + "".join(rng.choice("0123456789") for _ in range(n - 3)))
        return spell(d, style if style not in ("cap", "circ") else "space", (4, 4, 4, 4), rng)
    if kind == "house_number":
        a, b = rng.randint(1, 12), rng.randint(1, 60)
        form = rng.randrange(8)
        unit = rng.choice(("组", "队", "社", "屯"))
        if form == 0:
            return f"{a}{unit}{b}号"
        if form == 1:
            return f"{_chinese_int(a)}{unit}{b}号"
        if form == 2:
            return f"{a}{unit}，{b}号"
        if form == 3:
            return f"{_chinese_int(a)}{unit}第{b}号"
        if form == 4:
            return f"{rng.choice(VILLAGES)}{b}号"
        if form == 5:
            return f"{_chinese_int(a)}{unit}{_chinese_int(b)}号"
        if form == 6:
            return f"{a}组{b}号院"
        return f"{a} {unit} {b} 号"
    if kind == "plate":
        tail = "".join(rng.choice("0123456789ABCDEFGHJK") for _ in range(4)) + rng.choice("0123456789")
        sep = rng.choice(("", "·", " ", ""))
        letter = rng.choice("ABCDEFGH")
        if rng.random() < 0.2:
            letter = letter.lower()
        return f"{rng.choice(PROVINCES)}{letter}{sep}{tail}"
    raise ValueError(kind)


def _ordinary(rng: random.Random) -> dict:
    parts = {
        "village": rng.choice(VILLAGES), "village2": rng.choice(VILLAGES), "township": rng.choice(TOWNSHIPS),
        "crop": rng.choice(CROPS), "place": rng.choice(PLACES),
        "amount": rng.choice((f"{rng.randint(2, 9)}万元", f"{rng.randint(100, 9000)}元", f"{rng.randint(1, 9)}.{rng.randint(1, 9)}万元",
                              f"{rng.randint(2, 900)}斤", f"{rng.randint(1, 50)}吨")),
        "count": rng.choice((f"{rng.randint(2, 9)}座桥", f"{rng.randint(2, 60)}户", f"{rng.randint(2, 9)}个大棚",
                             f"{rng.randint(2, 300)}亩", f"{rng.randint(2, 40)}人", f"{rng.randint(2, 9)}盏灯")),
        "date": rng.choice((f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日", f"{rng.randint(2019, 2025)}年{rng.randint(1, 12)}月",
                            f"{rng.randint(1, 12)}月{rng.randint(1, 28)}号", f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")),
        "price": f"{rng.randint(1, 9)}.{rng.randint(1, 9)}元", "area": f"{rng.randint(2, 300)}亩",
    }
    return parts


def _keep_of(frame: str, parts: dict) -> list[str]:
    keys = [k for k in ("village", "village2", "township", "crop", "place", "amount", "count", "date", "price", "area")
            if "{" + k + "}" in frame]
    return [parts[k] for k in keys]


def _name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def sentences(n: int = 1500, seed: int = 14) -> list[dict]:
    rng = random.Random(seed)
    out: list[dict] = []
    kinds = ("name", "name", "form", "given", "spaced", "list", "mobile", "landline", "id", "bank_card",
             "house_number", "plate", "ordinary", "ordinary")
    while len(out) < n:
        kind = kinds[len(out) % len(kinds)]
        parts = _ordinary(rng)
        if kind == "ordinary":
            frame = rng.choice(ORDINARY_FRAMES)
            out.append({"text": frame.format(**parts), "pii": [], "keep": _keep_of(frame, parts)})
            continue
        if kind in ("name", "list"):
            a, b = _name(rng), _name(rng)
            frame = rng.choice(NAME_FRAMES) if kind == "name" else "当事人{n}、{m}"
            if kind == "list":
                c = _name(rng)
                text = f"当事人{a}、{b}、{c}" + rng.choice(("已签字", "都同意了", "对结果满意", "，矛盾已化解"))
                out.append({"text": text, "pii": [[a, "name"], [b, "name"], [c, "name"]], "keep": []})
                continue
            text = frame.format(n=a, m=b, **parts)
            pii = [[a, "name"]] + ([[b, "name"]] if "{m}" in frame else [])
            out.append({"text": text, "pii": pii, "keep": _keep_of(frame, parts)})
            continue
        if kind == "form":
            s = rng.choice(SURNAMES[:120])
            f = rng.choice((f"老{s}", f"老{s}头", s + rng.choice(KIN)))
            frame = rng.choice(FORM_FRAMES)
            out.append({"text": frame.format(f=f, **parts), "pii": [[f, "name"]], "keep": _keep_of(frame, parts)})
            continue
        if kind == "given":
            s, g = rng.choice(SURNAMES[:150]), rng.choice([g for g in GIVEN if len(g) == 2])
            text = rng.choice((f"{s}{g}说，{g}家里就她一个人", f"走访了{s}{g}，{g}说房子漏雨",
                               f"{s}{g}反映路不好走，{g}的孩子上学远"))
            out.append({"text": text, "pii": [[s + g, "name"], [g, "name"]], "keep": []})
            continue
        if kind == "spaced":
            s, g = rng.choice(SURNAMES[:150]), rng.choice([g for g in GIVEN if len(g) == 2])
            spaced = " ".join(s + g)
            frame = rng.choice(("{n}反映低保没批下来", "感谢{n}", "已通知{n}", "{n}同意维修"))
            out.append({"text": frame.format(n=spaced), "pii": [[spaced, "name"]], "keep": []})
            continue
        x = _numbers(kind, rng)
        frame = rng.choice(NUMBER_FRAMES[kind])
        pii, keep = [[x, kind]], []
        text = frame.format(x=x)
        if rng.random() < 0.35:  # 南荒沟村王秀兰，联系电话…
            village, who = rng.choice(VILLAGES), _name(rng)
            text = f"{village}{who}，{text}"
            pii.insert(0, [who, "name"])
            keep.append(village)
        out.append({"text": text, "pii": pii, "keep": keep})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args(argv)
    for s in sentences(args.n, args.seed):
        sys.stdout.write(json.dumps(s, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
