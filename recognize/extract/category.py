"""Problem category: a transparent keyword model a county can extend.

Each category has keywords with weights.  The text is scanned once, taking at every position
the longest keyword of any category (so 路灯 counts for 基础设施, not for a 路 of 道路桥梁,
and 农药 for 农业技术, not for a 药 of 医疗卫生).  Keywords found in the problem count
three times, in the plan one and a half times, elsewhere once.  The category with the
highest score wins; with no keyword at all the entry is 其他.

Extending: a JSON file named by the environment variable ``MINXIN_CATEGORY_KEYWORDS`` (or
passed to :func:`load_model`) of the form ``{"饮水": {"水窖": 2, "吃水难": 3}, "其他": {}}``
adds keywords or changes weights (weight 0 removes a keyword).  ``{"replace": true,
"categories": {...}}`` replaces the built-in table instead of extending it.  A keyword may
also be listed under ``"ignore"``: it is consumed by the scan but counts for nothing (e.g.
思路 so its 路 is not a road).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

CATEGORIES = (
    "道路桥梁", "饮水", "住房", "邻里纠纷", "产业发展", "农业技术", "医疗卫生", "教育", "社会保障",
    "环境卫生", "就业", "基础设施", "其他",
)


def _kw(spec: str) -> dict[str, float]:
    """'水泥路:3 坑洼:2 桥' -> {'水泥路': 3, '坑洼': 2, '桥': 1}"""
    out = {}
    for item in spec.split():
        word, _, w = item.partition(":")
        out[word] = float(w) if w else 1.0
    return out


DEFAULT_KEYWORDS: dict[str, dict[str, float]] = {
    "道路桥梁": _kw(
        "道路:3 公路:3 水泥路:3 柏油路:3 砂石路:3 沙石路:3 土路:2 村路:3 路面:3 修路:3 路基:2 路况:2 "
        "坑坑洼洼:2 坑洼:2 路窄:2 路太窄:3 拓宽:2 硬化:2 通行:2 出行:1 交通:2 塌方:2 泥泞:2 "
        "桥:2 小桥:3 便桥:3 桥梁:3 过河:2 涵洞:3 漫水桥:3 路:1 压坏:1 "
        "清雪:3 扫雪:3 铲雪:3 除雪:3 积雪:2 融雪剂:3 路滑:3 打滑:2 坡道:2 大坡:2 陡坡:2 上不去:1"
    ),
    "饮水": _kw(
        "饮水:3 吃水:3 喝水:2 水井:3 井水:3 压水井:3 自来水:3 水管:2 水压:3 停水:3 水质:3 水源:3 "
        "供水:3 挑水:3 桶装水:2 发浑:3 水浑:3 缺水:3 水窖:3 水塔:3 打不上水:3 没水:2 水样:2 "
        "吃不上水:3 管网:1 水泵:2 冻管:2 水:0.5"
    ),
    "住房": _kw(
        "房子:3 房屋:3 危房:3 住房:3 老房:3 屋顶:3 房顶:3 漏雨:3 墙:2 裂缝:2 裂了:1 渗水:1 加固:2 "
        "危房改造:3 倒塌:2 塌了:1 炕:3 烟道:3 返烟:3 翻建:3 修缮:2 没法住:3 住着不安全:3 仓房:1 "
        "安置:1 住处:2 搬迁:2"
    ),
    "邻里纠纷": _kw(
        "纠纷:4 邻居:1 吵架:3 吵:2 矛盾:3 宅基地:3 边界:2 地界:3 界线:3 调解:3 占地:2 占了:2 "
        "打架:3 争执:3 积怨:3 划界:3 出路:1 不让走:2 邻里:3 两家:2 吵起来:3 和解:3 调解员:3 闹别扭:3 不让砍:2"
    ),
    "产业发展": _kw(
        "产业:3 合作社:2 冷库:3 销路:3 销售:2 卖不上价:3 卖不出去:3 价格:1 卖难:3 市场:1 品牌:2 "
        "加工:1 特色产业:3 扶持资金:2 项目资金:1 集体经济:3 旅游:2 民宿:2 规模:1 发展:1 种植:1 养殖:1 "
        "收购:2 订单:2 增收:2 致富:2 大棚:2 农业保险:2 损失:1 贷款:2 还贷:3 奖补:2 "
        "价格低:3 价低:2 压价:3 降价:2 跌价:3 价格下跌:3 收购价:3 板栗:1 栗子:1 蓝莓:1 草莓:1 柞蚕:1 人参:1"
    ),
    "农业技术": _kw(
        "病虫害:4 虫害:3 打药:3 农药:3 技术员:3 技术指导:3 现场指导:3 栽培:3 施肥:3 缺肥:3 化肥:2 "
        "发黄:2 打卷:3 烂棒:3 得了病:2 技术:1 品种:2 嫁接:3 修剪:3 专家:2 防治:3 病害:3 农技:3 "
        "果树:2 食用菌:3 育苗:3 土壤:2 减产:2 挂果:2 坐果:2 虫:1 什么药:2 农业:1 指导:1 "
        "兽医:2 畜牧站:3 防疫:1 疫病:3 掉膘:3 拉稀:2 饲料:2 根腐病:4 烂根:3 种苗:2 病苗:3 病死:1 "
        "病毒病:3 脓病:3 病蚕:3 死蚕:3 蚕种:2 消毒:1 叶面肥:3 缓苗:2 死苗:3"
    ),
    "医疗卫生": _kw(
        "看病:3 就医:3 卫生室:3 卫生院:3 医院:3 药:1 药品:2 慢性病:3 高血压:3 糖尿病:3 村医:3 "
        "医生:3 住院:3 体检:3 家庭医生:3 巡诊:3 病人:2 治病:3 医保:2 报销:2 大病:2 闹肚子:1 "
        "疫苗:3 吃药:2 送药:2 血压:2 看不起病:4 尿毒症:4 透析:4 肿瘤:3 癌症:3 手术:2 药费:3 脑梗:3 "
        "中风:3 偏瘫:3 因病:2 慢特病:3 门诊:2"
    ),
    "教育": _kw(
        "上学:2 学校:3 学费:4 考上大学:3 助学:3 教育:2 读书:2 校车:3 辍学:3 学生:2 老师:2 网课:3 "
        "幼儿园:3 小学:3 中学:3 开学:2 留守儿童:1 课本:2 入学:3 学习:1 "
        "初中:3 高中:3 初一:3 初二:3 初三:3 辅导:2 功课:2 成绩:2 班主任:3 念书:2 不念了:3 控辍保学:4"
    ),
    "社会保障": _kw(
        "低保:3 低保金:3 养老金:4 养老保险:3 补贴:2 救助:3 临时救助:3 五保:2 特困:2 残疾:2 残联:2 "
        "两项补贴:3 社保:3 认证:2 养老:2 民政:2 高龄补贴:3 生活困难:3 困难:1 取暖:2 领到钱:2 到账:2 "
        "兜底:3 优抚:3 抚恤:3 供养:2 医疗救助:3 独居:1 孤寡:1 补助:2 补助款:3 补偿款:2 惠民:1 过冬:2 煤:1 米面:1 发放:1"
    ),
    "环境卫生": _kw(
        "垃圾:3 建筑垃圾:3 清运:3 保洁:3 厕所:3 旱厕:3 改厕:3 污水:3 臭:2 粪:2 河道:2 环境:2 "
        "卫生:1 脏:2 脏乱差:3 焚烧:2 排污:3 污染:3 苍蝇:2 整治:2 环保:3 柴草:2 乱堆:3 乱放:2 乱倒:3 倒垃圾:3"
    ),
    "就业": _kw(
        "就业:4 打工:3 务工:3 工作:1 找活:3 找个活:3 找点活:3 活干:2 活儿:2 零活:3 补贴家用:3 零工:3 培训:2 技能培训:3 招聘:3 工钱:3 讨薪:4 "
        "欠薪:4 工资:2 失业:3 岗位:3 公益岗:3 电商:3 直播:2 返乡:1 创业:2 挣钱:2 工伤:3 劳务:3 用工:2"
    ),
    "基础设施": _kw(
        "路灯:4 停电:3 跳闸:3 变压器:3 电网:3 农网:3 网络:2 信号:3 宽带:3 广场:2 健身:2 设施:2 "
        "通讯:2 有线电视:3 供电:3 电线:2 照明:3 太阳能:1 排水沟:3 水渠:2 灌溉:2 文化广场:3 电压:3 "
        "线路:2 供暖:2 电:1 广播:2 监控:2"
    ),
    # Customs and village rules (移风易俗) belong to none of the twelve; named so that their
    # words are not read as something else (随礼 as 社会保障's money).
    "其他": _kw("红白喜事:3 随礼:3 大操大办:3 移风易俗:3 村规民约:2 彩礼:3 人情往来:3 诈骗:4 骗子:4 反诈:4 "
               "冒充:2 电信诈骗:4 户口本:2 户籍:2 改名:2"),
}
# Consumed by the scan but counting for nothing: words that contain a keyword by accident.
DEFAULT_IGNORE = ("思路", "电话", "联系电话", "出路子", "路子", "路费", "一路", "走访", "户主", "村民代表", "党员群众", "种植户", "养殖户", "低保户", "贫困户")


@dataclass
class CategoryModel:
    keywords: dict[str, dict[str, float]]
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        table: dict[str, list[tuple[str, float]]] = {}
        for cat, words in self.keywords.items():
            if cat not in CATEGORIES:
                raise ValueError(f"unknown category {cat!r}; use one of {', '.join(CATEGORIES)}")
            for w, weight in words.items():
                if w and weight:
                    table.setdefault(w, []).append((cat, float(weight)))
        for w in self.ignore:
            table.setdefault(w, [])
        self._table = table
        self._maxlen = max((len(w) for w in table), default=1)
        self._first = {w[0] for w in table}

    def scores(self, text: str, weight: float = 1.0, into: Optional[dict] = None, hits: Optional[list] = None) -> dict[str, float]:
        into = {} if into is None else into
        i, n = 0, len(text)
        while i < n:
            if text[i] not in self._first:
                i += 1
                continue
            found = None
            for L in range(min(self._maxlen, n - i), 0, -1):
                w = text[i : i + L]
                if w in self._table:
                    found = w
                    break
            if found is None:
                i += 1
                continue
            for cat, wt in self._table[found]:
                into[cat] = into.get(cat, 0.0) + wt * weight
                if hits is not None:
                    hits.append((i, i + len(found), cat))
            i += len(found)
        return into

    def classify(self, parts: list[tuple[str, float]]) -> tuple[str, float, dict[str, float]]:
        """parts: (text, weight).  Returns (category, confidence, scores)."""
        total: dict[str, float] = {}
        for text, weight in parts:
            if text:
                self.scores(text, weight, total)
        if not total or max(total.values()) <= 0:
            return "其他", 0.3, total
        ranked = sorted(total.items(), key=lambda kv: (-kv[1], CATEGORIES.index(kv[0])))
        best, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        conf = 0.5 + 0.45 * (top - second) / top
        return best, round(min(conf, 0.95), 2), total


def _merge(base: dict[str, dict[str, float]], extra: dict) -> tuple[dict[str, dict[str, float]], list[str]]:
    ignore = list(extra.get("ignore", []))
    cats = extra.get("categories", {k: v for k, v in extra.items() if k not in ("ignore", "replace", "categories")})
    merged = {} if extra.get("replace") else {k: dict(v) for k, v in base.items()}
    for cat, words in cats.items():
        if isinstance(words, list):
            words = {w: 1.0 for w in words}
        slot = merged.setdefault(cat, {})
        for w, weight in words.items():
            if weight:
                slot[w] = float(weight)
            else:
                slot.pop(w, None)
    return merged, ignore


def load_model(path: Optional[str] = None) -> CategoryModel:
    keywords = {k: dict(v) for k, v in DEFAULT_KEYWORDS.items()}
    ignore = list(DEFAULT_IGNORE)
    path = path if path is not None else os.environ.get("MINXIN_CATEGORY_KEYWORDS")
    if path:
        with open(path, encoding="utf-8") as fh:
            extra = json.load(fh)
        keywords, more = _merge(keywords, extra)
        ignore += more
    return CategoryModel(keywords, tuple(ignore))


@lru_cache(maxsize=8)
def _cached(path: Optional[str], mtime: float) -> CategoryModel:
    return load_model(path or "")


def default_model() -> CategoryModel:
    """The built-in table plus the county's file from MINXIN_CATEGORY_KEYWORDS (cached)."""
    path = os.environ.get("MINXIN_CATEGORY_KEYWORDS") or None
    mtime = os.path.getmtime(path) if path and os.path.exists(path) else 0.0
    return _cached(path, mtime)
