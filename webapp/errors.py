"""Error pages in the user's language, inside the site's layout (navigation, language switch);
JSON for the API."""
from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from core.db import db_session
from core.errors import NotAllowed


def N_(message: str) -> str:
    return message


# code -> (title, explanation), msgids shown through _().
PAGES = {
    400: (N_("请求有误"), N_("提交的内容不完整或格式不对，请返回检查后重试。")),
    403: (N_("没有权限"), N_("您的账号无权查看或操作这个页面。")),
    404: (N_("找不到页面"), N_("您要找的页面或记录不存在，或不在您的管辖范围内。")),
    405: (N_("不支持的操作"), N_("这个页面不能这样打开。")),
    413: (N_("上传内容过大"), N_("上传的文件超过了大小限制。")),
    429: (N_("操作太频繁"), N_("请稍后再试。")),
    500: (N_("系统出错"), N_("服务器处理时出错，已记录。请稍后重试；如果一再出现，请联系管理员。")),
}


def _detail(exc: HTTPException) -> str:
    """The view's own description (a domain message), not werkzeug's stock English text."""
    stock = getattr(type(exc), "description", None)
    description = getattr(exc, "description", None)
    return description if description and description != stock else ""


def render_error(exc: HTTPException, detail: str = ""):
    code = exc.code or 500
    title, explanation = PAGES.get(code, (N_("出错了"), N_("请求没有完成。")))
    detail = detail or _detail(exc)
    if request.path.startswith("/api/"):
        return jsonify(error=detail or _(title), code=code), code
    g.no_echo = True  # an error page never repeats the address or what was submitted
    try:
        return render_template("errors/error.html", code=code, title=_(title), explanation=_(explanation),
                               detail=detail), code
    except Exception:  # the layout itself failed (e.g. the database is down): plain text still answers
        return f"{code} {_(title)}", code


def init_app(app: Flask) -> None:
    for code in PAGES:
        if code != 500:
            app.register_error_handler(code, render_error)

    @app.errorhandler(InternalServerError)
    def _server_error(exc):
        db_session.rollback()
        return render_error(exc if isinstance(exc, HTTPException) else InternalServerError())

    @app.errorhandler(NotAllowed)
    def _not_allowed(_exc):
        # A refusal a view did not catch answers like a missing record: it does not tell that
        # the record exists.
        db_session.rollback()
        return render_error(NotFound())
