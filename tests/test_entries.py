"""Draft entries from transcripts: fields from extraction, the place linked to the org tree."""
from __future__ import annotations

import datetime as dt

from diary import context, entries
from recognize.transcript import Piece, RecognizedText


def test_place_matching_uses_the_org_tree(session, org):
    county = org["宽甸县"]
    assert entries.match_place(session, county, "南荒沟村").name == "南荒沟村"
    assert entries.match_place(session, county, "南荒沟").name == "南荒沟村"
    assert entries.match_place(session, county, "步达远村", "步达远镇").name == "步达远村"
    assert entries.match_place(session, county, "步达远镇").level == "township"
    assert entries.match_place(session, county, "北京") is None
    assert entries.match_place(session, county, "") is None


def test_gazetteer_rows_hold_the_tree_and_cadre_names(session, users, org):
    rows, names = context.gazetteer_rows(session, org["宽甸县"])
    assert ("南荒沟村", "village", "古楼子乡") in rows and ("宽甸县", "county", None) in rows
    assert ("石柱子村", "village", "步达远镇") in rows
    assert "李春生" in names and "刘志强" in names


def test_recognition_result_becomes_transcript_and_linked_draft(session, users, make_capture):
    capture = make_capture(users["cadre_a"], captured_at=dt.datetime(2024, 5, 3, 2, 0))
    text_pieces = [
        Piece(text="5月3日上午，到古楼子乡南荒沟村入户走访，", confidence=0.9, start=0.0, end=3.0),
        Piece(text="受访对象张大山，反映村里的路一下雨就泥泞，孩子上学不方便。", confidence=0.8, start=3.0, end=7.0),
        Piece(text="解决思路：联系乡交通站争取道路硬化。", confidence=0.85, start=7.0, end=10.0),
    ]
    result = RecognizedText.join(text_pieces, sep="", engine="test", model="m", duration=10.0)
    entry = entries.store_recognition(session, capture, result)
    session.commit()
    t = capture.transcript
    assert t.text == result.text and [p.start for p in t.pieces] == [0.0, 3.0, 7.0]
    assert entry.status == "draft" and entry.capture_id == capture.id
    assert entry.visit_date == dt.date(2024, 5, 3)
    assert entry.place_unit is not None and entry.place_unit.name == "南荒沟村"
    assert entry.interviewee == "张大山"
    assert entry.visit_method == "入户走访"
    assert "泥泞" in entry.problem
    start, end = entry.evidence["problem"]
    assert "泥泞" in result.text[start:end]


def test_wrapped_notebook_lines_are_joined_in_draft_fields():
    from diary.entries import unwrap_lines

    assert unwrap_lines("协助申报农村危房改造补助，请住\n建部门上门鉴定") == "协助申报农村危房改造补助，请住建部门上门鉴定"
    assert unwrap_lines("用 LED\n  灯 ") == "用 LED灯"
    assert unwrap_lines("model 5\n6 组") == "model 5 6 组"
