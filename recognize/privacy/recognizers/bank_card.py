"""Bank and social-security card numbers: 16 to 19 digits passing the Luhn check, or 9 to 21 after
a card cue (银行卡, 卡号, 存折 …)."""
from __future__ import annotations

KIND = "bank_card"
SCORE_LUHN = 0.9
SCORE_CUE = 0.9


def luhn_ok(s: str) -> bool:
    if not s.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def classify(digits: str, card_cue: bool):
    n = len(digits)
    if card_cue and 9 <= n <= 21:
        return KIND, SCORE_CUE
    if 16 <= n <= 19 and luhn_ok(digits) and digits[0] != "0":
        return KIND, SCORE_LUHN
    return None
