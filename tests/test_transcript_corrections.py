"""Transcript corrections in their own table, by county: the vocabulary reads one county's rows
through an index instead of every `transcript.correct` audit event of the province; migration
0017_scale fills the table from the audit events written before it."""
from __future__ import annotations

from sqlalchemy import select, text

from core import db
from diary import transcript_edits
from diary.models import TranscriptCorrection
from diary.vocabulary import corrections, county_vocabulary
from org.users import add_org_unit, create_user
from tests.test_review import make_capture
from tests.test_review_transcript import TEXTS, with_words


def test_a_correction_is_kept_under_its_county_and_only_its_county_reads_it(session, users, org):
    other_county = add_org_unit(session, "振安区", "county")
    other_village = add_org_unit(session, "楼房村", "village", add_org_unit(session, "楼房镇", "township",
                                                                             other_county))
    other_cadre = create_user(session, "cadre_z", "Pass-word-2026!", "周振", "cadre", other_village)
    other_sup = create_user(session, "sup_z", "Pass-word-2026!", "吴安", "supervisor", other_village.parent)
    session.commit()
    sup = users["sup_gulouzi"]
    mine = [with_words(session, make_capture(session, users["cadre_a"], texts=TEXTS)) for _ in range(2)]
    theirs = with_words(session, make_capture(session, other_cadre, texts=TEXTS))
    for cap in mine:
        transcript_edits.correct_span(session, cap, sup, piece=1, char_start=6, char_end=9, text="自流水")
    transcript_edits.correct_span(session, theirs, other_sup, piece=2, char_start=6, char_end=9, text="水保站")
    session.commit()

    rows = session.scalars(select(TranscriptCorrection).order_by(TranscriptCorrection.id)).all()
    assert [(r.county_id, r.capture_id, r.before_text, r.after_text, r.actor_id) for r in rows] == [
        (org["宽甸县"].id, mine[0].id, "自来水", "自流水", sup.id),
        (org["宽甸县"].id, mine[1].id, "自来水", "自流水", sup.id),
        (other_county.id, theirs.id, "水利站", "水保站", other_sup.id),
    ]
    assert corrections(session, org["宽甸县"]) == [("自来水", "自流水")] * 2
    assert corrections(session, other_county) == [("水利站", "水保站")]
    assert county_vocabulary(session, mine[0].org_unit).learned == (("自来水", "自流水"),)
    assert county_vocabulary(session, theirs.org_unit).learned == ()  # made once there: not yet


def test_the_migration_fills_the_table_from_the_audit_log(tmp_path, migrated_db):
    from ops.migrate import upgrade

    path = tmp_path / "old.sqlite"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    try:
        upgrade(engine, "0011")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO org_units (id, name, level, path) VALUES (1, '宽甸县', 'county', '/1/'), "
                              "(2, '振安区', 'county', '/2/')"))
            for i, after in enumerate([
                '{"capture_id": null, "county_id": 1, "piece": 1, "char_start": 6, "before": "自来水", "text": "自流水"}',
                '{"capture_id": null, "county_id": 2, "piece": 0, "char_start": 0, "before": "水利站", "text": "水保站"}',
                '{"login": "someone"}',
            ]):
                action = "transcript.correct" if i < 2 else "user.create"
                conn.execute(text("INSERT INTO audit_events (at, actor_label, action, object_type, after, prev_hash, hash) "
                                  "VALUES ('2026-01-01 00:00:00', 'system', :a, 'Transcript', :after, '', '')"),
                             {"a": action, "after": after})
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT county_id, piece, before_text, after_text FROM transcript_corrections "
                                     "ORDER BY id")).all()
            seqs = conn.execute(text("SELECT seq FROM audit_events ORDER BY id")).scalars().all()
        assert [tuple(r) for r in rows] == [(1, 1, "自来水", "自流水"), (2, 0, "水利站", "水保站")]
        assert seqs == [1, 2, 3]  # the chain so far, in order of id
    finally:
        engine.dispose()
