"""Online accounts: WeChat ids (微信/VX/加V/WeChat ID …, or a bare wxid_…; also 抖音号, 快手号, 支付宝), QQ numbers (QQ/扣扣) and
e-mail written to dodge a scraper ((at), ＠, " at … dot ", spaced letters).  The cue before the
id is the context that raised the score."""
from __future__ import annotations

import re

from recognize.privacy.findings import Context, Finding

NAME = "accounts"
SCORE = 0.95

_WECHAT = re.compile(r"(微信号码|微信号|微信|威信|薇信|V信|v信|(?i:wechat|weixin|vx|wx)|加V|加v|V号"
                     r"|抖音号|抖音|快手号|快手|支付宝账号|支付宝|钉钉号|钉钉|(?i:douyin|alipay))"
                     r"\s*(?:号码|号|账号|(?i:id))?\s*[:：是为]?\s*"
                     r"([A-Za-z][-_A-Za-z0-9]{4,23}|\d{5,12})(?![-_A-Za-z0-9])")
_WXID = re.compile(r"wxid_[A-Za-z0-9]{4,}")
_QQ = re.compile(r"(QQ|qq|Qq|扣扣|企鹅号)\s*(?:号码|号)?\s*[:：是为]?\s*(\d(?:\s?\d){4,11})(?!\d)")
_CH = r"[A-Za-z0-9._%+-]"
_EMAIL = re.compile(rf"({_CH}(?: ?{_CH})*)\s*(?:@|\(at\)|\[at\]| at | AT )\s*"
                    rf"([A-Za-z0-9-](?: ?[A-Za-z0-9-])*(?:\s*(?:\.|\(dot\)|\[dot\]| dot | DOT )\s*[A-Za-z](?: ?[A-Za-z0-9-])*)+)")


# zhao#163.com: a sign in place of @ before a mail host people know
_MAIL_HOST = re.compile(rf"({_CH}+)\s*[#＃]\s*((?:163|126|qq|sina|sohu|gmail|hotmail|outlook|yeah|139|foxmail|aliyun|yahoo)"
                        rf"\s*(?:\.|\(dot\)| dot )\s*(?:com|cn|net)(?:\.cn)?)", re.I)


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.digits
    t = c.text
    out = []
    for rx, kind in ((_WECHAT, "wechat"), (_QQ, "qq")):
        for m in rx.finditer(t):
            a, b = c.span(m.start(2), m.end(2))
            out.append(Finding(a, b, kind, SCORE, NAME, (m.group(1),)))
    for m in _WXID.finditer(t):
        a, b = c.span(m.start(), m.end())
        out.append(Finding(a, b, "wechat", SCORE, NAME, ("wxid_",)))
    for m in _MAIL_HOST.finditer(t):
        a, b = c.span(m.start(), m.end())
        out.append(Finding(a, b, "email", SCORE, NAME, ("#",)))
    for m in _EMAIL.finditer(t):
        if "." not in m.group(2) and "dot" not in m.group(2).lower():
            continue
        a, b = c.span(m.start(), m.end())
        out.append(Finding(a, b, "email", SCORE, NAME))
    return out
