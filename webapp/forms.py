"""The project's base form: a page's form reads what a browser posts."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            # Flask-WTF reads a JSON body as the form; a browser's form sends text only, and a number
            # or null in a field's place crashed WTForms when the page was shown again (a 500): such
            # values are not the field's, so the field is missing and the form says so.
            data = super().wrap_formdata(form, formdata)
            if data is not None and request.is_json and not request.form and not request.files:
                return ImmutableMultiDict([(k, v) for k, v in data.items(multi=True) if isinstance(v, str)])
            return data
