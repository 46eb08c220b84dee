"""The shared name and place lexicons: read by extraction (``recognize.extract``) and by the
redactor (``recognize.privacy``), so both agree on what a surname, a kinship form, a place shape
or an everyday word is.

Data files in ``recognize/lexicon/data/``: ``surnames.toml`` (single, compound and rare
surnames), ``names.toml`` (kinship forms, 老 + thing), ``places.toml`` (place shapes),
``common_words.txt`` (everyday words that start with a surname), ``products.txt`` (crops and farm
products, some of which look like names: 燕红桃, 红松).  jieba's dictionary (word frequencies and
tags) is read by ``recognize.lexicon.dictionary``.  Each file is read once per process.
"""
from __future__ import annotations

from recognize.lexicon.dictionary import (  # noqa: F401
    common_two_char_words, inside_word, is_everyday_word, lookup, word_tag,
)
from recognize.lexicon.files import (  # noqa: F401  (the shared API)
    COMPOUND_SURNAMES, DATA_DIR, RARE_SURNAMES, SURNAMES, common_words, kin_suffixes, load, not_person_after,
    nicknames, old_not_person, place_finals, products, word_list,
)
