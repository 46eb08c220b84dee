"""Server render time of the review screens with 10,000 captures in the database.

    python bench/review_page.py [--captures 10000] [--runs 30] [--database-url URL]

Seeds a fresh SQLite database (or the given empty one) through the Alembic migrations: the demo
county, 40 cadres, and N recognized captures with a transcript of 12 pieces and a draft entry
each; then times, in-process through the WSGI app (no network), the review screen of a capture
in the middle of the queue, the queue page, and the queue sorted by low confidence first.
Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench-password-1"


def seed(session, n: int) -> dict:
    from sqlalchemy import insert

    from capture.models import Capture, CaptureFile
    from diary.models import DiaryEntry, Transcript, TranscriptPiece
    from org.users import add_org_unit, create_user
    from recognize.extract.vocab import CATEGORIES

    rnd = random.Random(7)
    county = add_org_unit(session, "宽甸县", "county")
    towns = [add_org_unit(session, name, "township", county) for name in ("古楼子乡", "步达远镇", "青椅山镇", "太平哨镇")]
    villages = [add_org_unit(session, f"{t.name[:2]}{i}村", "village", t) for t in towns for i in range(10)]
    cadres = [create_user(session, f"cadre{i}", PASSWORD, f"干部{i}", "cadre", v) for i, v in enumerate(villages)]
    sup = create_user(session, "sup", PASSWORD, "孙建国", "supervisor", towns[0])
    admin = create_user(session, "admin", PASSWORD, "刘志强", "admin", county)
    session.commit()
    start = dt.datetime(2025, 1, 1)
    lines = ["时间：2025年3月5日上午", "地点：南荒沟村三组", "受访对象：村民张德福", "反映问题：自来水管冻裂，六户停水",
             "已经十天没有水", "解决思路：联系乡水利站检修", "并为困难户送水", "心得体会：群众的事无小事",
             "要把群众当亲人", "带着感情去倾听", "带着责任去落实", "走访方式：入户走访"]
    text = "\n".join(lines)
    offsets, pos = [], 0
    for line in lines:
        offsets.append((pos, pos + len(line)))
        pos += len(line) + 1
    statuses = ["ready_for_review"] * 6 + ["confirmed"] * 3 + ["returned"]
    caps, files, transcripts, entries, pieces = [], [], [], [], []
    for i in range(1, n + 1):
        cadre = cadres[i % len(cadres)]
        kind = "pages" if i % 2 else "audio"
        caps.append(dict(id=i, kind=kind, status=statuses[i % len(statuses)], uploader_id=cadre.id,
                         org_unit_id=cadre.org_unit_id, fingerprint=hashlib.sha256(f"b{i}".encode()).hexdigest(),
                         received_at=start + dt.timedelta(minutes=7 * i), progress=1.0, version=1))
        files.append(dict(capture_id=i, position=0, sha256=hashlib.sha256(f"f{i}".encode()).hexdigest(),
                          media_type="image/jpeg" if kind == "pages" else "audio/wav", size=123456, original_name=""))
        transcripts.append(dict(id=i, capture_id=i, engine="bench", model="bench", language="zh", text=text,
                                seconds=1.0, duration=40.0 if kind == "audio" else None,
                                page_sizes=[[1000, 1400]] if kind == "pages" else None, created_at=start))
        for j, (a, b) in enumerate(offsets):
            pieces.append(dict(transcript_id=i, position=j, text=lines[j], confidence=rnd.random(), char_start=a,
                               char_end=b, start=3.0 * j if kind == "audio" else None,
                               end=3.0 * j + 3 if kind == "audio" else None, page=0 if kind == "pages" else None,
                               polygon=[[80, 100 + 90 * j], [900, 100 + 90 * j], [900, 160 + 90 * j], [80, 160 + 90 * j]]
                               if kind == "pages" else None))
        entries.append(dict(capture_id=i, cadre_id=cadre.id, org_unit_id=cadre.org_unit_id, status="draft",
                            visit_date=dt.date(2025, 3, 5), visit_time="上午", place="南荒沟村三组", interviewee="张德福",
                            visit_method="入户走访", problem="自来水管冻裂，六户停水", solution="联系乡水利站检修",
                            reflections="群众的事无小事", category=rnd.choice(CATEGORIES), pii=[],
                            confidence={f: round(rnd.random(), 2) for f in ("visit_date", "place", "interviewee", "problem", "category")},
                            evidence={"problem": list(offsets[3]), "place": list(offsets[1])},
                            created_at=start, updated_at=start, version=1))
    for table, rows in ((Capture, caps), (CaptureFile, files), (Transcript, transcripts),
                        (TranscriptPiece, pieces), (DiaryEntry, entries)):
        for k in range(0, len(rows), 5000):
            session.execute(insert(table), rows[k:k + 5000])
    session.commit()
    return {"supervisor": sup, "admin": admin}


def timed(client, path: str, runs: int) -> list[float]:
    out = []
    client.get(path)  # warm: templates compiled, caches filled
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = client.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, (path, resp.status_code)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--captures", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="minxin-bench-"))
    os.environ["MINXIN_INSTANCE_PATH"] = str(tmp / "instance")
    from core import db
    from ops.migrate import upgrade
    from webapp import create_app

    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    app = create_app({"DATABASE_URL": url, "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False, "RECOGNIZER": "fake"})
    engine = app.extensions["minxin.engine"]
    upgrade(engine)
    t0 = time.perf_counter()
    with db.SessionFactory() as s:
        seed(s, args.captures)
    print(f"seeded {args.captures} captures ({args.captures * 12} transcript pieces) in {time.perf_counter() - t0:.1f} s"
          f" on {engine.dialect.name}")

    client = app.test_client()
    assert client.post("/login", data={"login": "sup", "password": PASSWORD}).status_code == 302
    with db.SessionFactory() as s:
        from sqlalchemy import func, select

        from capture.models import Capture
        from org.models import OrgUnit

        town = s.scalars(select(OrgUnit).where(OrgUnit.name == "古楼子乡")).one()
        ready = s.scalars(select(Capture.id).join(OrgUnit, Capture.org_unit_id == OrgUnit.id)
                          .where(Capture.status == "ready_for_review", OrgUnit.path.startswith(town.path))
                          .order_by(Capture.received_at)).all()
        total = s.scalar(select(func.count()).select_from(Capture))
    middle_audio = next(i for i in ready[len(ready) // 2:] if i % 2 == 0)
    middle_pages = next(i for i in ready[len(ready) // 2:] if i % 2 == 1)
    print(f"{total} captures in the database; {len(ready)} ready for review in the supervisor's township")
    print(f"{'page':44s} {'median ms':>10s} {'p95 ms':>8s} {'max ms':>8s}  (server time, {args.runs} runs)")
    for label, path in (
        (f"review screen, audio  /review/{middle_audio}", f"/review/{middle_audio}"),
        (f"review screen, pages  /review/{middle_pages}", f"/review/{middle_pages}"),
        ("queue  /review/", "/review/"),
        ("queue, low confidence first  /review/?low=1", "/review/?low=1"),
        ("queue, filtered by category", "/review/?category=%E9%A5%AE%E6%B0%B4"),
    ):
        ms = sorted(timed(client, path, args.runs))
        p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
        print(f"{label:44s} {statistics.median(ms):10.1f} {p95:8.1f} {ms[-1]:8.1f}")
    assert client.post("/login", data={"login": "admin", "password": PASSWORD}).status_code == 302
    ms = sorted(timed(client, f"/review/{middle_pages}", args.runs))
    print(f"{'review screen as county admin (all 10 k in scope)':44s} {statistics.median(ms):10.1f}"
          f" {ms[int(round(0.95 * (len(ms) - 1)))]:8.1f} {ms[-1]:8.1f}")


if __name__ == "__main__":
    main()
