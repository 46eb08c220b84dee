"""Rural house descriptions: the group or hamlet and the house's place in its row (5组第3户,
三道岭屯第六户, 二组西头第五家, 三组前趟房东数第四户, 村东头第一家, 二组最西边那户)."""
from __future__ import annotations

import re

from recognize.privacy.findings import Context, Finding

NAME = "rural_house"
KIND = "house_address"
SCORE = 0.9

_NUM = r"[\d一二三四五六七八九十两]{1,3}"
_UNIT = rf"(?:{_NUM}\s*(?:组|队|社|排)|(?:(?![村组屯队社])[\u4e00-\u9fff]){{1,3}}屯|村(?=[东西南北前后]))"
_WHERE = r"(?:[东西南北前后中]头|[东西南北]边|最[东西南北]边?|[前后中]趟房?|最后一趟房?|那趟房|[东西南北]?数)"
# 前院第三户, 付家 第五户, 东屯第二家: a yard, a row or a family's houses, then the house's place
_ROW = rf"(?:[前后东西南北中]院|[东西南北前后]屯|[东西南北前后]街|[\u4e00-\u9fff]家)"
# 老井边上那户, 小卖店对面那家, 学校后身第一家: a landmark, where the house is from it, the house
# (学校旁边那家超市 is a shop: a house is followed by a pause, 人家, 的, 姓 …)
_BESIDE = r"(?:边上|边儿上|旁边|对面|对过|后面|前面|后身|跟前|东边|西边|南边|北边|东侧|西侧|隔壁)"
_LANDMARK = re.compile(rf"(?:(?<=[组屯队社，,、\s])|^)(?:(?![组屯队社])[\u4e00-\u9fff]){{1,4}}?{_BESIDE}(?:那|这|的那|第{_NUM})\s*(?:户|家)(?=[，,。；;、\s的人门院里姓有是住在]|$)")
_HOUSE = re.compile(
    rf"{_ROW}\s*第\s*{_NUM}\s*(?:户|家)(?!长|庭|具|属|务|乡|电)|"
    rf"{_UNIT}\s*(?:{_WHERE}\s*[，,]?\s*)*(?:从?[东西南北]数\s*)?第\s*{_NUM}\s*(?:户|家)"
    rf"|{_UNIT}\s*{_WHERE}(?:那|这)户"
    rf"|(?:趟房|排房)\s*[，,]?\s*从?[东西南北]数\s*第\s*{_NUM}\s*(?:户|家)")


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.names
    out = []
    for m in list(_HOUSE.finditer(c.text)) + list(_LANDMARK.finditer(c.text)):
        a, b = c.span(m.start(), m.end())
        out.append(Finding(a, b, KIND, SCORE, NAME))
    return out
