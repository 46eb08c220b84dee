"""From transcript text to the fields of a 民心日记 entry, with evidence and confidence.

``extract_entry(text, now, gazetteer=None) -> Extraction``; ``Extraction.to_dict()`` gives the
fields of ``minxin extract --json`` (see docs/ARCHITECTURE.md).  Everything here is plain
rules over the text: labelled sections when the note has labels, cue words in free
dictation, dates through cn2an/lunardate, places against the org tree (Gazetteer), names
after role cues, a keyword model for the category and the shared PII detector.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Optional, Union

from recognize.extract import calibration, sequence, vocab
from recognize.extract.category import CATEGORIES, CategoryModel, default_model
from recognize.extract.dates import find_dates, find_time, month_dot_at
from recognize.extract.names import (
    HONORIFICS,
    NameHit,
    interviewee_candidates,
    relative_named_after,
    take_name,
    visiting_cadre,
)
from recognize.extract.places import Gazetteer, PlaceHit, find_places, find_township
from recognize.extract.sections import (
    Section,
    closing_maxim,
    drop_record_number,
    drop_trailing_remark,
    ends_one_line_field,
    find_sections,
    free_fields,
    label_at_line_start,
    plan_in_problem,
)
from recognize.extract.textutil import correction_after, is_han, normalize, trim_span

__all__ = ["Extraction", "Gazetteer", "extract_entry", "METHODS", "CATEGORIES"]

METHODS = vocab.VISIT_METHODS

_SURVEY_STRONG = vocab.method_patterns("民意调查", "strong")
_SURVEY_WEAK = vocab.method_patterns("民意调查", "weak")
_MEETING_STRONG = vocab.method_patterns("集体座谈", "strong")
_MEETING_WEAK = vocab.method_patterns("集体座谈", "weak")
_INTRO_VERBS = re.compile(r"送去|送了|走访|看望|慰问|探望|拜访|座谈|调查|了解情况")
_VISIT = vocab.method_patterns("入户走访", "strong")
_ASK = re.compile("|".join(vocab.load("categories")["ask"]))
_ASK_WEIGHT = float(vocab.load("categories")["ask_weight"])


# The detector's confidence, as the draft's `confidence["pii"]` shows it.
PII_CONFIDENCE = 0.9


def pii_known(ex: "Extraction") -> list[str]:
    """Names the PII detector must take as PII whatever it finds: the interviewee."""
    return [ex.interviewee] if ex.interviewee else []


def sentence_end_or_comma(t: str, pos: int, ceil: int) -> int:
    return next((i for i in range(pos, ceil) if t[i] in "，,。；;！!？?\n "), ceil)


@dataclass
class Extraction:
    visit_date: Optional[str] = None
    visit_time: Optional[str] = None
    place: Optional[str] = None  # as a diary writes it: village and group (南荒沟村三组)
    place_village: Optional[str] = None  # the village alone, for the org tree
    place_township: Optional[str] = None
    place_group: Optional[str] = None
    place_known: bool = False
    interviewee: str = ""
    visit_method: str = "入户走访"
    problem: str = ""
    solution: str = ""
    reflections: str = ""
    category: str = "其他"
    pii: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, list[int]] = field(default_factory=dict)
    # problem / solution / reflections / category -> "rules", "sequence" (the learned reading)
    # or "model" (the county's learned clause model)
    proposed_by: dict[str, str] = field(default_factory=dict)
    # the fields whose calibrated confidence is below the level that keeps the rest >= 98% right
    review: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "visit_date": self.visit_date,
            "visit_time": self.visit_time,
            "place": self.place,
            "place_village": self.place_village,
            "place_township": self.place_township,
            "place_group": self.place_group,
            "place_known": self.place_known,
            "interviewee": self.interviewee,
            "visit_method": self.visit_method,
            "problem": self.problem,
            "solution": self.solution,
            "reflections": self.reflections,
            "category": self.category,
            "pii": list(self.pii),
            "confidence": dict(self.confidence),
            "evidence": {k: list(v) for k, v in self.evidence.items()},
            "proposed_by": dict(self.proposed_by),
            "review": list(self.review),
        }


def _as_datetime(now: Union[dt.datetime, dt.date, str, None]) -> dt.datetime:
    if now is None:
        return dt.datetime.now()
    if isinstance(now, str):
        return dt.datetime.fromisoformat(now.strip().replace("Z", "+00:00"))
    if isinstance(now, dt.datetime):
        return now
    if isinstance(now, dt.date):
        return dt.datetime(now.year, now.month, now.day, 23, 59)
    raise TypeError(f"now must be a datetime, date or ISO string, not {type(now).__name__}")


def _unwrap(raw: str, t: str) -> tuple[str, str, Optional[list[int]]]:
    """Join notebook lines that end inside a sentence (跌得厉\n害，…, 商量\n下来): on a page a
    line break between two characters is the edge of the paper, unless a label opens the next
    line.  Dictation never has one.  Returns the joined raw and analysis texts and, when
    anything was joined, the original offset of each kept character."""
    kept = [i for i, ch in enumerate(t)
            if not (ch == "\n" and 0 < i < len(t) - 1 and (is_han(t[i - 1]) or t[i - 1] in "，,、；;")
                    and is_han(t[i + 1]) and not label_at_line_start(t, i + 1)
                    and not ends_one_line_field(t, i))]
    if len(kept) == len(t):
        return raw, t, None
    return "".join(raw[i] for i in kept), "".join(t[i] for i in kept), kept


# a remark in brackets after a name: 韩玉林（电话139…）, 孙秀英家（身份证…）
_BRACKETED = r"[（(][^）)]{0,30}[）)]"
_AFTER_HOME = re.compile(rf"家\s*(?:{_BRACKETED})?\s*[：:，,。\s]")
_SITUATION_LABEL = re.compile(r"情况|内容")
_HOME_CLAUSE = re.compile(
    rf"(?:一?家\s*(?:{_BRACKETED})?\s*[：:]\s*|一?家[^，,。；;\n\s]{{0,6}}[，,。；;\s]\s*)?"
    rf"(?:{_BRACKETED}\s*[，,：:]?\s*)?"
    r"(?:\s*(?:今年)?[\d一二三四五六七八九十]{1,3}岁了?[，,。；;\s]\s*)?(?:(?:他|她)?家?(?:住在|住|家住)[^，,。；;\n]{2,16}号(?:院|楼)?[，,。；;]\s*)?")


# The handwriting recognizer's usual slips with Latin look-alikes (same length, so evidence
# offsets hold): 2O25.7.l5 -> 2025.7.15, and a full stop read as o/0 at the end of a line.
_OCR_ZERO = re.compile(r"(?<![A-Za-z])(?:(?<=\d)[Oo]|[Oo](?=\d))(?![A-Za-z])")
_OCR_ONE = re.compile(r"(?<![A-Za-z])(?:(?<=\d)[lI]|(?<=\d[./])[lI]|[lI](?=\d))(?![A-Za-z])")
_OCR_STOP = re.compile(r"(?<=[\u4e00-\u9fff])[oO0](?=\n|$)")


def _ocr_slips(t: str) -> str:
    t = _OCR_ZERO.sub("0", t)
    t = _OCR_ONE.sub("1", t)
    return _OCR_STOP.sub("。", t)


def _as_first_person(t: str) -> str:
    """A clerk's note about a cadre's visit read as the cadre's own (same length: 刘洋同志表示 ->
    '   我表示'), so that the cues for 我 find the cadre's plan and the cadre is never the villager."""
    spans = visiting_cadre(t)
    if not spans:
        return t
    out = list(t)
    for s, e in spans:
        out[s:e] = [" "] * (e - s - 1) + ["我"]
    return "".join(out)


def _slice(t: str, span) -> str:
    return t[span[0] : span[1]] if span else ""


def _in(span: tuple[int, int], sec: Section) -> bool:
    return sec.value_start <= span[0] and span[1] <= sec.value_end


def extract_entry(text: str, now=None, gazetteer: Optional[Gazetteer] = None, *, category_model: Optional[CategoryModel] = None,
                  model=None, with_pii: bool = True, reading: bool = True) -> Extraction:
    """Fields of a diary entry from a transcript.  Never raises on odd text.

    `model` is the county's learned model (`recognize.extract.learn.Trained`): it proposes
    the fields its cross-validated accuracy beat the rules on; the rules propose the rest.
    `with_pii=False` leaves `pii` empty (and no confidence for it): the recognition pipeline
    runs the PII detector as a stage of its own (`recognize.pipeline.find_pii`).

    `reading=False` gives the rules alone (no sequence model, no calibration, no review): the
    view the sequence model takes as its features."""
    ex = _extract_by_rules(text, now, gazetteer, category_model, with_pii)
    original = text if isinstance(text, str) else ("" if text is None else str(text))
    if model is not None:
        from recognize.extract import learn

        ex = learn.apply(model, original, ex)
    if reading:
        doubted_date = ex.confidence.get("visit_date")
        tg, cal = reading_models(model)
        ex = read_and_calibrate(ex, original, tg, cal, category_tagger=sequence.tagger(sequence.BASE_CATEGORY))
        if doubted_date is not None and doubted_date < 0.5:
            # a date the rules themselves doubt (one after the capture) stays a doubt, whatever the
            # calibration learned from notes whose dates were never in the future
            ex.confidence["visit_date"] = min(ex.confidence.get("visit_date", doubted_date), doubted_date)
            if "visit_date" not in ex.review:
                ex.review = [*ex.review, "visit_date"]
    return ex


def reading_models(model=None):
    """(sequence tagger, calibration) for a county's model: its own when it has them, else the
    base model shipped with the package."""
    own_tagger = getattr(model, "sequence_tagger", None)
    tg = own_tagger() if callable(own_tagger) else None
    cal = getattr(model, "calibration", None)
    return (tg if tg is not None else sequence.tagger()), (cal or calibration.load())


# the category model's choice replaces the rules' only when it is surer of it by this much
CATEGORY_MARGIN = float(vocab.load("sequence")["switch"]["category_margin"])


def calibrate_pii(found, interviewee: str, model=None) -> tuple[float, bool]:
    """(calibrated confidence, in doubt) of the PII the pipeline's own stage found, the way
    `extract_entry` calibrates it when it runs the detector itself."""
    _, cal = reading_models(model)
    view = {"pii": list(found), "interviewee": interviewee}
    p = calibration.probability(cal or {}, "pii", calibration.signals("pii", view, {"confidence": {"pii": PII_CONFIDENCE}}, {}))
    if p is None:
        return PII_CONFIDENCE, False
    return round(p, 3), p < float(cal.get("threshold", 1.0))


def read_and_calibrate(ex: Extraction, text: str, tg, cal: Optional[dict], readings: Optional[dict] = None,
                       category_tagger=None) -> Extraction:
    """The sequence model's problem, solution and reflections over the rules' (where a county
    model did not propose them), then calibrated confidence and the fields to review."""
    rules_view = ex.to_dict()
    if readings is None:
        readings = sequence.read(tg, text, rules_view) if tg is not None else {}
    for fld, rd in readings.items():
        if ex.proposed_by.get(fld) == "model":
            continue
        if rd.span and fld in ex.evidence and sequence.same_reading(ex.evidence[fld], rd.span):
            continue  # the same clauses: the rules' finer edges (cue words trimmed) stand
        if not rd.value and getattr(ex, fld):
            continue  # the model finding no clause of the role never blanks what the rules found
        if rd.prob - rd.backing < sequence.SWITCH_MARGIN:
            continue  # the model backs the rules' answer about as much as its own
        setattr(ex, fld, rd.value)
        ex.proposed_by[fld] = "sequence"
        if rd.span:
            ex.evidence[fld] = list(rd.span)
        else:
            ex.evidence.pop(fld, None)
    crd = sequence.read_category(category_tagger, text, rules_view)
    readings = {**readings, "category": crd} if crd is not None else readings
    if (crd is not None and ex.proposed_by.get("category") != "model" and crd.value != ex.category
            and (rules_view["confidence"].get("category") or 0.0) < 0.95  # a 类别 label stands
            and crd.prob - crd.backing >= CATEGORY_MARGIN):
        ex.category = crd.value
        ex.proposed_by["category"] = "sequence"
        ex.evidence.pop("category", None)
    conf, review = calibration.apply(cal, ex.to_dict(), rules_view, readings)
    ex.confidence.update(conf)
    ex.review = review
    return ex


_NICKNAME = re.compile(r"^(?:老|小)(?P<a>[\u4e00-\u9fff])$|^(?P<b>[\u4e00-\u9fff])(?:大姐|大哥|大爷|大娘|大婶|大叔|婶|叔|姨|嫂"
                       r"|二嫂|老[一二三四五六七八九十大二三]|老头|老太|大胖)$")


def _named_over_nickname(person: NameHit, cands: list, cadres) -> NameHit:
    """老孙, 那大姐, 姜老四: when the note also names a villager of that surname in full (孙德福),
    the named villager is the one visited; the nickname stays when no full name is said."""
    m = _NICKNAME.match(person.name)
    if not m:
        return person
    surname = m["a"] or m["b"]
    full = [h for h in cands if h.name != person.name and h.name.startswith(surname) and 2 <= len(h.name) <= 3
            and not _NICKNAME.match(h.name) and h.name not in cadres]
    return full[0] if full else person


def _extract_by_rules(text, now, gazetteer: Optional[Gazetteer], category_model: Optional[CategoryModel],
                      with_pii: bool = True) -> Extraction:
    original = text if isinstance(text, str) else ("" if text is None else str(text))
    now_dt = _as_datetime(now)
    raw, t, kept = _unwrap(original, _ocr_slips(normalize(original)))

    def as_written(s: int, e: int) -> str:
        """The value as the caller's text has it (line breaks of a joined page included), so
        that a field's evidence span always reads exactly as the field."""
        return original[kept[s] : kept[e - 1] + 1] if kept is not None and e > s else raw[s:e]
    t = _as_first_person(t)
    ex = Extraction()
    conf: dict[str, float] = {}
    ev: dict[str, list[int]] = {}

    sections = find_sections(t)
    first = {}
    for sec in sections:
        first.setdefault(sec.field, sec)
    label_start = sections[0].label_start if sections else len(t)
    free_segs: list[tuple[int, int, Optional[str]]] = []
    if label_start > 0:
        free_segs.append((0, label_start, None))
    for sec in sections:
        if sec.field == "lines":
            free_segs.append((sec.value_start, sec.value_end, "情况"))
        elif sec.field in ("content", "time", "place", "interviewee", "method"):
            free_segs.append((sec.value_start, sec.value_end, sec.field if sec.field != "content"
                              else t[sec.label_start : sec.value_start]))

    # --- interviewee candidates (needed for the problem fallback) -------------------------
    cadres = gazetteer.cadre_names if gazetteer else set()
    cands = [h for h in interviewee_candidates(t) if h.name not in cadres]

    # --- problem / solution / reflections ---------------------------------------------
    spans: dict[str, tuple[int, int, float]] = {}
    for fld in ("problem", "solution", "reflections"):
        sec = first.get(fld)
        if sec:
            s, e = drop_trailing_remark(t, sec.value_start, sec.value_end)
            s, e = drop_record_number(t, s, e)
            if e > s:
                spans[fld] = (s, e, 0.95)
    for a, b, kind in free_segs:
        if all(f in spans for f in ("problem", "solution", "reflections")):
            break
        fallback = None
        seg_cands = [h for h in cands if a <= h.start < b and h.confidence >= 0.85] or [
            h for h in cands if a <= h.start < b and h.confidence >= 0.6
        ] or [  # 去老宋家 他家跟东院…: the household visited, then what is wrong there
            h for h in cands if a <= h.start < b and h.cue == "家" and _AFTER_HOME.match(t, h.end, b)
        ]
        if kind == "interviewee":
            seg_cands = []  # 走访：高振东的儿子 高明: the label holds the person, not the problem
        if kind and _SITUATION_LABEL.search(kind) and not seg_cands and "problem" not in spans:
            fallback = a  # 情况：去年从大连工地回来…: what the page says was found
        if seg_cands:
            fallback = seg_cands[0].end
            # 栾桂兰大姐 她老伴…: the form of address after the name is not the problem
            fallback += next((len(h) for h in HONORIFICS if t.startswith(h, fallback)), 0)
            # 佟喜贵 佟大爷 他老伴儿…: the name said again as a form of address
            again = re.match(r"[ \t\u3000，,]*" + re.escape(seg_cands[0].name[0]) + "(?:" + "|".join(HONORIFICS) + ")", t[fallback:b])
            if again:
                fallback += again.end()
            # 到那国华家看房子。他家住…四组32号，…: the visit and the address come before the problem
            home = _HOME_CLAUSE.match(t, fallback, b)
            if home:
                fallback = home.end()
            # 给刘长顺家送去了米面油，他家…: the rest of the intro clause is the visit itself
            comma = next((i for i in range(fallback, b) if t[i] in "，,。；;\n"), b)
            if comma < b and t[comma] in "，," and _INTRO_VERBS.search(t, fallback, comma):
                fallback = comma + 1
        got = free_fields(t, a, b, fallback_problem=fallback, opening_problem=not sections)
        for fld in ("problem", "solution", "reflections"):
            sp = getattr(got, fld)
            if sp is not None and fld not in spans:
                spans[fld] = (sp.start, sp.end, sp.confidence)
    labelled = {f for f in ("problem", "solution", "reflections") if first.get(f)}
    if "problem" in labelled and "problem" in spans and "solution" not in spans:
        # 反映：…陷了两回。村里先调铲车推平…: the plan written on in the problem's own section
        ps, pe, pc = spans["problem"]
        cut = plan_in_problem(t, ps, pe)
        if cut is not None:
            spans["problem"] = (ps, trim_span(t, ps, cut)[1], pc)
            spans["solution"] = (cut, pe, 0.6)
    if "solution" in spans and "reflections" not in spans:
        # 初步意见：…搬出来。这种房子…得抢在汛期前动工: a closing lesson with no label of its own
        ss, se, sc = spans["solution"]
        cut, begin = closing_maxim(t, ss, se)
        if cut is not None:
            spans["solution"] = (ss, trim_span(t, ss, cut)[1], sc)
            spans["reflections"] = (begin, trim_span(t, begin, se)[1], 0.55)
    for fld in ("problem", "solution", "reflections"):
        if fld in spans:
            s, e, c = spans[fld]
            setattr(ex, fld, as_written(s, e))
            conf[fld] = c
            ev[fld] = [s, e]
        else:
            conf[fld] = 0.0

    covered = [(s, e) for s, e, _ in spans.values()]

    def outside(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in covered)

    chars = list(t)
    for s, e in covered:
        chars[s:e] = " " * (e - s)
    rest = "".join(chars)

    # --- date and time --------------------------------------------------------------------
    all_hits = find_dates(t, now_dt)
    hits = [h for h in all_hits if not h.future and correction_after(t, h.end) < 0]
    tsec = first.get("time")
    chosen = None
    if tsec:
        chosen = next((h for h in hits if _in((h.start, h.end), tsec)), None)
        if chosen is None:
            chosen = month_dot_at(t, tsec.value_start, now_dt.date())
        if chosen is None:
            # the 时间 label holds a date after the capture: written as such, flagged by
            # a low confidence for the reviewer
            later = next((h for h in all_hits if _in((h.start, h.end), tsec) and h.kind in ("full", "numeric")), None)
            if later is not None:
                later.confidence = 0.4
                chosen = later
    if chosen is None:
        outside_hits = [h for h in hits if outside(h.start, h.end)]
        chosen = (outside_hits or hits or [None])[0]
    if chosen is not None:
        ex.visit_date = chosen.date.isoformat()
        conf["visit_date"] = chosen.confidence
        ev["visit_date"] = [chosen.start, chosen.end]
        vt, vspan = find_time(t, chosen.end, rel_word=t[chosen.start : chosen.end])
        if vt:
            ex.visit_time = vt
            conf["visit_time"] = 0.85
            if vspan:
                ev["visit_time"] = list(vspan)
    else:
        # nothing said: the capture date, for the reviewer to confirm
        ex.visit_date = now_dt.date().isoformat()
        conf["visit_date"] = 0.3
    conf.setdefault("visit_time", 0.0)

    # --- place ------------------------------------------------------------------------------
    psec = first.get("place")
    places: list[PlaceHit] = []
    if psec:
        places = find_places(t, gazetteer, psec.value_start, psec.value_end)
    if not places:
        places = [p for p in find_places(t, gazetteer) if outside(p.start, p.end)] or find_places(t, gazetteer)
    places = [p for p in places if correction_after(t, p.end) < 0] or places
    if places:
        ph = places[0]
        ex.place_village = ph.place if not ph.verbatim else as_written(ph.start, ph.end)
        ex.place_known = ph.known
        ex.place_township = ph.township or None
        ex.place_group = ph.group or None
        # the group (三组, 后岭屯) is where the visit was; the village is what the tree knows
        ex.place = (as_written(ph.start, ph.group_span[1]) if ph.verbatim and ph.group_span
                    else ex.place_village + (ph.group or ""))
        conf["place"] = ph.confidence
        ev["place"] = [ph.start, ph.group_span[1] if ph.group_span else ph.end]
        if ph.township_span:
            ev["place_township"] = list(ph.township_span)
        if ph.group_span:
            ev["place_group"] = list(ph.group_span)
    elif psec:
        s, e = trim_span(t, psec.value_start, psec.value_end)
        if 0 < e - s <= 20:
            ex.place = ex.place_village = as_written(s, e)
            conf["place"] = 0.4
            ev["place"] = [s, e]
    if not ex.place_township:
        tw = find_township(t, gazetteer)
        if tw:
            ex.place_township = tw[0]
            ev["place_township"] = [tw[1], tw[2]]
    conf.setdefault("place", 0.0)

    # --- visit method -----------------------------------------------------------------------
    msec = first.get("method")
    method, mconf, mspan = None, 0.0, None
    if msec:
        val = t[msec.value_start : msec.value_end]
        for name, rx in (("民意调查", _SURVEY_STRONG), ("集体座谈", _MEETING_STRONG), ("民意调查", _SURVEY_WEAK), ("入户走访", _VISIT)):
            m = rx.search(val)
            if m or name in val:
                method, mconf, mspan = name, 0.95, (msec.value_start, msec.value_end)
                break
    strong_person = any(h.confidence >= 0.9 and outside(h.start, h.end) for h in cands)
    if method is None:
        m = _SURVEY_STRONG.search(rest)
        if m:
            method, mconf, mspan = "民意调查", 0.9, m.span()
    if method is None:
        m = _MEETING_STRONG.search(rest)
        if m:
            method, mconf, mspan = "集体座谈", 0.85, m.span()
    if method is None:
        isec = first.get("interviewee")
        m = _MEETING_WEAK.search(rest)
        if m and (not strong_person or (isec and _in(m.span(), isec))):
            method, mconf, mspan = "集体座谈", 0.65, m.span()
    if method is None:
        m = _SURVEY_WEAK.search(rest)
        if m and not strong_person:
            method, mconf, mspan = "民意调查", 0.6, m.span()
    if method is None:
        m = _VISIT.search(rest)
        method, mconf, mspan = "入户走访", (0.85 if m else 0.6), (m.span() if m else None)
    ex.visit_method = method
    conf["visit_method"] = mconf
    if mspan:
        ev["visit_method"] = list(mspan)

    # --- interviewee ----------------------------------------------------------------------
    person: Optional[NameHit] = None
    isec = first.get("interviewee")
    if isec:
        inside = [h for h in cands if _in((h.start, h.end), isec)]
        if inside:
            person = inside[0]
        else:
            got = take_name(t, isec.value_start, isec.value_end)
            if got and (got[1] - got[0]) <= 4 and t[got[0] : got[1]] not in cadres:
                person = NameHit(t[got[0] : got[1]], got[0], got[1], "label", 0.9)
        if person is not None:
            # 走访对象：曲长海的儿子曲振东: the relative named is the one visited
            kin = relative_named_after(t, person.end, isec.value_end)
            if kin:
                person = NameHit(t[kin[0] : kin[1]], kin[0], kin[1], "relative", person.confidence)
    if person is None:
        # 老宋家那个危房的事 …: in a note that opens with the problem the person is inside it
        pool = [h for h in cands if outside(h.start, h.end)] or cands
        problem_start = spans["problem"][0] if "problem" in spans else len(t)
        before = [h for h in pool if h.start < problem_start]
        strong = [h for h in (before or pool) if h.confidence >= 0.9]
        pick = strong or before or pool
        person = pick[0] if pick else None
    if person is not None:
        person = _named_over_nickname(person, cands, cadres)
    if method == "集体座谈" or (method == "民意调查" and (person is None or person.confidence < 0.9)):
        ex.interviewee = ""
        conf["interviewee"] = mconf
    elif person is not None:
        ex.interviewee = as_written(person.start, person.end)
        conf["interviewee"] = 0.95 if isec and _in((person.start, person.end), isec) else person.confidence
        ev["interviewee"] = [person.start, person.end]
    else:
        conf["interviewee"] = 0.0

    # --- category ---------------------------------------------------------------------------
    model = category_model or default_model()
    csec = first.get("category")
    cat = None
    if csec:
        val = t[csec.value_start : csec.value_end]
        cat = next((c for c in CATEGORIES if c in val), None)
        if cat:
            conf["category"] = 0.95
            ev["category"] = [csec.value_start, csec.value_end]
    if cat is None:
        parts = [(_slice(t, spans.get("problem")), 3.0), (_slice(t, spans.get("solution")), 1.5), (rest, 1.0)]
        if "problem" in spans:  # 想申请低保: what is asked for outweighs what else the problem names
            ps, pe, _ = spans["problem"]
            asks = [t[m.end() : sentence_end_or_comma(t, m.end(), pe)] for m in _ASK.finditer(t, ps, pe)]
            parts.append(("，".join(asks), _ASK_WEIGHT))
        cat, cconf, _ = model.classify(parts)
        if not ex.problem:
            cconf = round(cconf * 0.85, 2)
        conf["category"] = cconf
        kw_hits: list = []
        model.scores(t, 1.0, {}, kw_hits)
        hit = next((h for h in kw_hits if h[2] == cat), None)
        if hit:
            ev["category"] = [hit[0], hit[1]]
    ex.category = cat

    # --- pii --------------------------------------------------------------------------------
    if with_pii:
        from recognize import privacy as _pii  # late: recognize.privacy imports this package's modules

        ex.pii = _pii.find_pii(original, known=pii_known(ex))
        conf["pii"] = PII_CONFIDENCE

    ex.confidence = {k: round(float(v), 2) for k, v in conf.items()}
    if kept is not None:  # evidence points into the text as the caller gave it
        ev = {k: [kept[s], kept[e - 1] + 1] for k, (s, e) in ev.items() if e > s}
    ex.evidence = ev
    ex.proposed_by = {f: "rules" for f in ("problem", "solution", "reflections", "category")}
    return ex
