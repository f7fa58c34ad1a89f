"""Dates as dd/mm/yyyy, Indian digit grouping for figures, times in IST: in English and Hindi.

Identifiers (ids, years, case codes, phone numbers, form values) are never grouped: grouping
is applied where a figure is shown (``intcomma``, ``Cell.display``), not switched on for
every number a template prints.
"""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from dashboard.suppression import Cell

LANGS = ["en", "hi"]


def render(source: str, lang: str, **context: object) -> str:
    with translation.override(lang):
        return Template(source).render(Context(context)).strip()


@pytest.mark.parametrize("lang", LANGS)
def test_a_date_reads_dd_mm_yyyy(lang: str) -> None:
    day = datetime.date(2026, 3, 5)
    assert render("{{ d }}", lang, d=day) == "05/03/2026"
    assert render("{{ d|date }}", lang, d=day) == "05/03/2026"
    assert render('{{ d|date:"SHORT_DATE_FORMAT" }}', lang, d=day) == "05/03/2026"


@pytest.mark.parametrize("lang", LANGS)
def test_a_time_is_shown_in_ist(lang: str) -> None:
    moment = datetime.datetime(2026, 3, 4, 20, 0, tzinfo=datetime.UTC)  # 01:30 IST next day
    assert render("{{ t }}", lang, t=moment) == "05/03/2026 01:30"
    assert render("{{ t|time }}", lang, t=moment) == "01:30"
    assert render('{{ t|date:"SHORT_DATETIME_FORMAT" }}', lang, t=moment) == "05/03/2026 01:30"


@pytest.mark.parametrize("lang", LANGS)
def test_figures_use_indian_grouping(lang: str) -> None:
    assert render("{% load humanize %}{{ n|intcomma }}", lang, n=1234567) == "12,34,567"
    assert render("{% load humanize %}{{ n|intcomma }}", lang, n=123456789) == "12,34,56,789"
    assert render("{% load humanize %}{{ n|intcomma }}", lang, n=999) == "999"
    with translation.override(lang):
        assert Cell(1234567).display == "12,34,567"
        assert Cell(123456.5, unit="%").display == "1,23,456.5%"
        assert Cell(3, suppressed=True).display == "*"
        # The CSV keeps the plain figure, for the programs that read it.
        assert Cell(1234567).text == "1234567"


@pytest.mark.parametrize("lang", LANGS)
def test_identifiers_are_never_grouped(lang: str) -> None:
    assert render("{{ pk }}", lang, pk=1234567) == "1234567"
    assert render('<option value="{{ pk }}">', lang, pk=12345) == '<option value="12345">'
    assert render("{{ year }}", lang, year=2026) == "2026"
    assert render("{{ code }}", lang, code="FTU-2026-0042") == "FTU-2026-0042"
    assert render("{{ phone }}", lang, phone=9876543210) == "9876543210"

    class Form(forms.Form):
        count = forms.IntegerField()

    with translation.override(lang):
        html = str(Form(initial={"count": 1234567})["count"])
    assert 'value="1234567"' in html


@pytest.mark.parametrize("lang", LANGS)
def test_date_inputs_accept_dd_mm_yyyy(lang: str) -> None:
    class Form(forms.Form):
        day = forms.DateField()
        at = forms.DateTimeField()

    with translation.override(lang):
        form = Form({"day": "05/03/2026", "at": "05/03/2026 14:30"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == datetime.date(2026, 3, 5)
    at = form.cleaned_data["at"]
    assert (at.year, at.month, at.day, at.hour, at.minute) == (2026, 3, 5, 14, 30)
    assert at.utcoffset() == datetime.timedelta(hours=5, minutes=30)  # read as IST
