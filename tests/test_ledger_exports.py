"""Exports: the xlsx ledger opened back and checked cell by cell, formula injection, CSV, the
public (PII-free) versions, the printable diary."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl

from ledger import exports, publication, ratings
from ledger import workflow as wf
from recognize.privacy import find_pii
from tests.ledger_helpers import TODAY, make_entry

NOW = dt.datetime(2024, 3, 10, 4, 0)


def _id18(first17: str) -> str:
    weights, check = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"
    return first17 + check[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


ID_A, ID_B = _id18("21062419850315123"), _id18("21062419620701456")
# (text, interviewee, place): every one full of things that identify a person.
PII_ENTRIES = [
    (f"村民张大山（电话13841512345，身份证{ID_A}）家住南荒沟村3组15号，反映门前道路冲毁", "张大山", "南荒沟村3组15号"),
    ("受访对象：王桂兰，手机159 0415 1234，座机0415-5123456，反映自来水管冻裂", "王桂兰", "南荒沟村二组8号"),
    (f"邻居赵德福说五保户孙德胜（身份证号{ID_B}）房子漏雨，车牌辽F12345的车挡路", "孙德胜", "大古岭村"),
]
PII_STRINGS = ["张大山", "13841512345", ID_A, "3组15号", "王桂兰", "159 0415 1234", "0415-5123456",
               "二组8号", "赵德福", "孙德胜", ID_B, "辽F12345", "张某某家", "大山"]


def _pii_county(c):
    """Items from the PII-laden entries, all closed with results that repeat the PII."""
    s, cadres = c.session, {"南荒沟村": c.users["cadre_a"], "大古岭村": c.users["cadre_b"]}
    items = []
    for text, who, place in PII_ENTRIES:
        cadre = cadres["大古岭村" if place.startswith("大古岭村") else "南荒沟村"]
        entry = make_entry(s, cadre, text, interviewee=who, place=place,
                           pii=find_pii(text, known=[who]))  # what extraction stores
        item = wf.open_item_from_entry(s, entry, cadre)
        wf.record_feedback(s, item, cadre, "电话告知", NOW, f"已电话告知{who}，电话13841512345")
        wf.solve_now(s, item, cadre, f"已为{who}解决，{who}（{place}）表示满意，回访电话0415-5123456")
        ratings.submit_public_evaluation(s, item.eval_code, "满意", f"我是{who}，谢谢")
        publication.approve_as_drafted(s, item, c.users["sup_gulouzi"])  # 公开审核
        items.append(item)
    return items


def test_public_export_has_no_pii(county):
    c = county
    _pii_county(c)
    county_unit = c.units["宽甸县"]
    xlsx = exports.export_xlsx(c.session, county_unit, public=True)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    text_csv = exports.export_csv(c.session, county_unit, public=True)
    assert len([r for r in csv.reader(io.StringIO(text_csv.lstrip("\ufeff")))]) == 1 + 3
    for blob in ("\n".join(cells), text_csv):
        for secret in PII_STRINGS:
            assert secret not in blob, secret
        for digits in ("13841512345", ID_A[:10], "5123456", "15904151234"):
            assert digits not in blob.replace(" ", "").replace("-", "")
    # What the public does see: place down to the village, category, the (redacted) result.
    assert any("宽甸县古楼子乡南荒沟村" == v for v in cells)
    assert any(v.startswith("已为") and "解决" in v for v in cells)
    assert exports.HIDDEN in cells


def test_public_item_redacts_known_names_even_without_a_cue(county):
    c, s = county, county.session
    entry = make_entry(s, c.users["cadre_a"], "低保户刘玉珍房屋漏雨", interviewee="刘玉珍", place="南荒沟村4组7号")
    item = wf.open_item_from_entry(s, entry, c.users["cadre_a"])
    wf.record_feedback(s, item, c.users["cadre_a"], "当面告知", NOW)
    wf.solve_now(s, item, c.users["cadre_a"], "刘玉珍家的房顶已修好")
    assert exports.public_item(item)["result"] == publication.PENDING  # nothing before approval
    publication.approve_as_drafted(s, item, c.users["sup_gulouzi"])
    row = exports.public_item(item)
    assert "刘玉珍" not in str(row) and "4组7号" not in str(row)
    assert row["place"] == "宽甸县古楼子乡南荒沟村" and row["result"] == "刘某某家的房顶已修好"


def _ledger_items(c):
    s, a = c.session, c.users["cadre_a"]
    e1 = make_entry(s, a, "3组通组路冲毁", interviewee="张大山", place="南荒沟村3组",
                    visit_date=dt.date(2024, 3, 1), category="道路桥梁")
    i1 = wf.open_item_from_entry(s, e1, a)
    wf.set_deadline(s, i1, a, dt.date(2024, 3, 31), "村委会", today=TODAY)
    wf.record_feedback(s, i1, a, "当面告知", dt.datetime(2024, 3, 5, 2), "已说明工期")
    wf.complete(s, i1, a, "已铺砂石")
    e2 = make_entry(s, a, "=HYPERLINK(\"http://evil\",\"x\")", interviewee="+王五", place="@南荒沟村",
                    visit_date=dt.date(2024, 3, 2), category="其他")
    i2 = wf.open_item_from_entry(s, e2, a)
    wf.record_feedback(s, i2, a, "电话告知", dt.datetime(2024, 3, 3, 2))
    wf.solve_now(s, i2, a, "-1+2 已处理")
    ratings.record_in_person(s, i2, a, "基本满意")
    e3 = make_entry(s, c.users["cadre_b"], "村部漏雨", visit_date=dt.date(2024, 3, 4), category="基础设施")
    i3 = wf.open_item_from_entry(s, e3, c.users["cadre_b"])
    wf.escalate(s, i3, c.users["cadre_b"], "资金不足")
    return i1, i2, i3


def test_xlsx_ledger_cell_by_cell(county):
    c = county
    i1, i2, i3 = _ledger_items(c)
    data = exports.export_xlsx(c.session, c.units["古楼子乡"])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    # One sheet per unit holding items: the township (i3 was escalated there) and 南荒沟村.
    assert wb.sheetnames == ["古楼子乡", "南荒沟村"]
    ws = wb["南荒沟村"]
    assert ws["A1"].value == "宽甸县古楼子乡南荒沟村民心日记问题台账"
    assert "A1:O1" in [str(r) for r in ws.merged_cells.ranges]
    assert [cell.value for cell in ws[2]] == list(exports.COLUMNS)
    assert ws.freeze_panes == "A3"
    row3 = [cell.value for cell in ws[3]]
    # 编号 and 状态 columns; 办理时限 holds dates only (快办快结 is the 分办方式), issue 29 bug 17.
    assert row3 == [1, i1.code, dt.datetime(2024, 3, 1), "南荒沟村3组", "张大山", "3组通组路冲毁", "道路桥梁", "村级",
                    "村委会", "限期办结", dt.datetime(2024, 3, 31), "已办结待销号", "已铺砂石",
                    "2024-03-05 当面告知：已说明工期", None]
    assert ws["C3"].number_format == "yyyy-mm-dd" and ws["K3"].number_format == "yyyy-mm-dd"
    row4 = [cell.value for cell in ws[4]]
    assert row4 == [2, i2.code, dt.datetime(2024, 3, 2), "'@南荒沟村", "'+王五", "'=HYPERLINK(\"http://evil\",\"x\")",
                    "其他", "村级", "南荒沟村", "快办快结", None, "已销号", "'-1+2 已处理", "2024-03-03 电话告知",
                    "基本满意（现场）"]
    assert ws.max_row == 4
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # nothing is a formula
    ws = wb["古楼子乡"]
    assert [cell.value for cell in ws[3]] == [1, i3.code, dt.datetime(2024, 3, 4), "宽甸县古楼子乡大古岭村", None,
                                              "村部漏雨", "基础设施", "乡级", "古楼子乡", "向上级报告", None, "已上报待受理",
                                              None, None, None]
    assert ws.max_row == 3


def test_formula_injection_neutralised_everywhere():
    for text in ("=1+1", "+SUM(A1)", "-2", "@cmd", "\t=x", "\r=x"):
        assert exports.neutralise(text) == "'" + text
    for text in ("正常文字", "3组", "", "a=b"):
        assert exports.neutralise(text) == text
    assert exports.neutralise(5) == 5


def test_csv_export(county):
    c = county
    _ledger_items(c)
    text = exports.export_csv(c.session, c.units["南荒沟村"])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == [*exports.COLUMNS, "所属台账"]
    assert rows[1][2:] == ["2024-03-01", "南荒沟村3组", "张大山", "3组通组路冲毁", "道路桥梁", "村级", "村委会",
                           "限期办结", "2024-03-31", "已办结待销号", "已铺砂石", "2024-03-05 当面告知：已说明工期", "",
                           "宽甸县古楼子乡南荒沟村"]
    assert rows[1][:2] == ["1", rows[1][1]] and len(rows[1][1]) == 8  # 编号
    assert rows[2][3:6] == ["'@南荒沟村", "'+王五", "'=HYPERLINK(\"http://evil\",\"x\")"]
    assert rows[2][9:13] == ["快办快结", "", "已销号", "'-1+2 已处理"] and len(rows) == 3


def test_a_village_export_names_no_villager_of_another_village(county):
    """A merged item holds an entry of another village: the village's export leaves its villager
    out, as the item page hides that entry from the village."""
    c, s = county, county.session
    here = make_entry(s, c.users["cadre_a"], "3组通组路冲毁了", interviewee="张大山", place="南荒沟村")
    there = make_entry(s, c.users["cadre_b"], "通组路冲毁了", interviewee="赵外村", place="大古岭村")
    target = wf.open_item_from_entry(s, here, c.users["cadre_a"])
    duplicate = wf.open_item_from_entry(s, there, c.users["cadre_b"])
    wf.merge(s, duplicate, target, c.users["sup_gulouzi"])
    assert there in target.entries
    village = exports.export_csv(s, c.units["南荒沟村"])
    assert "张大山" in village and "赵外村" not in village
    assert "赵外村" in exports.export_csv(s, c.units["古楼子乡"])  # the township sees both villages


def test_public_export_only_closed_items(county):
    c = county
    i1, i2, i3 = _ledger_items(c)
    publication.approve_as_drafted(c.session, i2, c.users["sup_gulouzi"])
    wb = openpyxl.load_workbook(io.BytesIO(exports.export_xlsx(c.session, c.units["古楼子乡"], public=True)))
    assert wb.sheetnames == ["古楼子乡", "南荒沟村"]
    assert wb["古楼子乡"].max_row == 2  # header only: nothing closed there
    ws = wb["南荒沟村"]
    assert ws["A1"].value.endswith("（公示）") and ws.max_row == 3
    assert [cell.value for cell in ws[3]][:6] == [1, i2.code, dt.datetime(2024, 3, 2), "宽甸县古楼子乡南荒沟村",
                                                  exports.HIDDEN, "'=HYPERLINK(\"http://evil\",\"x\")"]


def test_printable_diary(county):
    c, s = county, county.session
    a = c.users["cadre_a"]
    make_entry(s, a, "路灯<script>alert(1)</script>坏了", interviewee="张大山", visit_date=dt.date(2024, 2, 29),
               solution="报修", reflections="要常走访")
    make_entry(s, a, "三月的事", visit_date=dt.date(2024, 3, 1))
    make_entry(s, a, "草稿不打印", visit_date=dt.date(2024, 2, 10), status="draft")
    html = exports.printable_diary(s, a, 2024, 2, quota=4)
    assert "李春生" in html and "2024年2月" in html and "走访 1 次" in html and "未完成" in html
    assert "张大山" in html and "报修" in html and "要常走访" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "三月的事" not in html and "草稿不打印" not in html
    assert exports.month_range(2024, 12) == (dt.date(2024, 12, 1), dt.date(2025, 1, 1))
