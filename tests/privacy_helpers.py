"""What the redactor tests of written sentences check: personal strings masked or asked, ordinary
words shown as written and not asked."""
from recognize.privacy import redact_with_questions


def check(text, personal=(), keep=()):
    public, asks = redact_with_questions(text)
    asked = [text[a:b] for a, b in asks]
    for p in personal:
        assert p not in public or any(p in q or q in p for q in asked), (p, public, asked)
    for k in keep:
        assert k in public, (k, public)
        assert not any(k in q or q in k for q in asked), (k, asked)
    return public, asked
