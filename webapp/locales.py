"""The languages of the pages: Chinese first, English for visitors who ask for it."""
from __future__ import annotations

from flask import request, session

LOCALES = ("zh_CN", "en")


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    # zh_CN first: English only when the browser prefers it over Chinese.
    return request.accept_languages.best_match(LOCALES, default="zh_CN") or "zh_CN"
