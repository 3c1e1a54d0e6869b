"""Every word a person reads can be read in Spanish: marked in the source, translated in the catalogue, compiled.

What each person sees in her language is tested with the pages (tests/staff/test_language.py); here, the source and
the catalogue.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.urls import get_resolver
from django.utils.functional import Promise

from tests import i18n_lint

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]|\{[a-z_]+\}")


def test_every_text_a_person_reads_is_marked_for_translation():
    assert i18n_lint.problems() == []


def test_the_check_finds_unmarked_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<h1>{% translate "Her week" %}</h1>\n<p title="Open it">Log an encounter</p>\n'
        '{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}{{ x|default:"Nothing yet" }}'
    )
    module = tmp_path / "forms.py"
    module.write_text(
        "from django import forms\nfrom django.contrib import messages\n"
        'class F(forms.Form):\n    name = forms.CharField(label="Her name")\n'
        'def view(request):\n    messages.success(request, f"Saved {1}.")\n'
    )

    found = i18n_lint.problems([page, module])

    assert len(found) == 5, found
    assert any("Log an encounter" in line for line in found)
    assert any("title" in line for line in found)
    assert any("Nothing yet" in line for line in found)
    assert any("label=" in line for line in found)
    assert any("messages.success" in line for line in found)


def _our_forms():
    list(get_resolver().url_patterns)  # imports every view, and with them every form
    seen, stack = [], list(forms.BaseForm.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        if form.__module__.split(".")[0] in i18n_lint.APPS and form not in seen:
            seen.append(form)
    return seen


def test_every_form_field_has_a_translatable_label_and_help():
    """A field without a label takes one from its name, which no catalogue can translate."""
    unmarked = []
    for form in _our_forms():
        for name, field in form.base_fields.items():
            if field.widget.is_hidden:
                continue
            where = f"{form.__module__}.{form.__name__}.{name}"
            if not isinstance(field.label, Promise):
                unmarked.append(f"{where}: label {field.label!r}")
            if field.help_text and not isinstance(field.help_text, Promise):
                unmarked.append(f"{where}: help_text {field.help_text!r}")
            empty_label = getattr(field, "empty_label", None)
            if empty_label and empty_label != "---------" and not isinstance(empty_label, Promise):
                unmarked.append(f"{where}: empty_label {empty_label!r}")
            for value, label in getattr(field, "_choices", None) or []:
                if isinstance(label, str) and value != "" and not isinstance(label, Promise):
                    unmarked.append(f"{where}: choice {value!r} {label!r}")
    assert len(_our_forms()) > 50
    assert unmarked == []


def test_every_choice_shown_from_the_database_is_translatable():
    """Codes are stored; their labels (get_FOO_display, filters, reports) are translated when read."""
    unmarked = []
    for model in apps.get_models():
        if model._meta.app_label not in i18n_lint.APPS:
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                if not isinstance(label, Promise):
                    unmarked.append(f"{model.__name__}.{field.name}: {value!r} {label!r}")
    assert unmarked == []


def test_the_spanish_catalogue_is_complete():
    catalogue = polib.pofile(str(CATALOGUE))

    assert len(catalogue) > 1000
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert catalogue.metadata["Language"] == "es"


def test_every_translation_keeps_the_placeholders_of_its_english():
    wrong = []
    for entry in polib.pofile(str(CATALOGUE)):
        if not entry.msgid_plural:
            if sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(PLACEHOLDER.findall(entry.msgid)):
                wrong.append(entry.msgid)
            continue
        english = set(PLACEHOLDER.findall(entry.msgid_plural))
        for form, text in entry.msgstr_plural.items():
            found = set(PLACEHOLDER.findall(text))
            # The singular may spell "one" out, leaving out a named placeholder (never a positional one: `% n`
            # would then fail).
            named_left_out = form == 0 and found < english and all("(" in p for p in english - found)
            if found != english and not named_left_out:
                wrong.append(f"{entry.msgid} [{form}]")
    assert wrong == []


def test_the_compiled_catalogue_is_the_catalogue():
    """django.mo is what Django reads: it must hold every translation of django.po (run `make messages`)."""
    written = {(entry.msgctxt, entry.msgid): entry for entry in polib.pofile(str(CATALOGUE)).translated_entries()}
    compiled = {(entry.msgctxt, entry.msgid): entry for entry in polib.mofile(str(COMPILED))}

    assert set(written) == set(compiled) - {(None, "")}
    assert all(
        (written[key].msgstr or written[key].msgstr_plural) == (compiled[key].msgstr or compiled[key].msgstr_plural)
        for key in written
    )


@pytest.mark.gettext
def test_the_catalogue_holds_every_marked_text_of_the_source(tmp_path):
    """What `make messages` would gather from the source now is already in the catalogue, translated; nothing in
    the catalogue is left over from text that is gone."""
    copy = tmp_path / "source"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "var", "staticfiles", "tests", "bench", "docs", "node_modules"),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale",
            "es",
            "--no-location",
            "--no-obsolete",
            "--ignore",
            "staticfiles/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "DATABASE_URL": "postgres://unused@127.0.0.1/unused"},
    )
    gathered = polib.pofile(str(copy / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(CATALOGUE))

    assert [entry.msgid for entry in gathered.untranslated_entries()] == []
    assert [entry.msgid for entry in gathered.fuzzy_entries()] == []
    assert {(e.msgctxt, e.msgid) for e in gathered} == {(e.msgctxt, e.msgid) for e in committed}


def test_adding_a_language_is_a_catalogue_and_a_settings_line():
    codes = [code for code, _name in settings.LANGUAGES]
    assert codes == ["en", "es"]
    for code in codes[1:]:
        assert (ROOT / "locale" / code / "LC_MESSAGES" / "django.mo").exists()
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def test_every_kind_of_record_the_access_log_names_is_read_in_her_language():
    """The access log stores the kind of record in English (`record_type="..."`) and shows it translated
    (recovery_program.models.RECORD_TYPES): a kind written in the code but missing there would show in English."""
    from django.utils import translation

    from recovery_program.models import RECORD_TYPES, record_type_label

    written = set()
    for app in i18n_lint.APPS:
        for path in (ROOT / app).rglob("*.py"):
            written |= set(re.findall(r'record_type=f?"([^"{]+)', path.read_text()))
    kinds = {kind.split(": ")[0] if kind.endswith(": ") else kind for kind in written}
    assert kinds, "no kind of record found in the code"
    assert kinds - set(RECORD_TYPES) == set()
    with translation.override("es"):
        assert record_type_label("grant interviews") != "grant interviews"
        assert record_type_label("program report: follow-up").endswith(": follow-up")
        # A record named by its model: the model's own name, translated.
        assert record_type_label("qualified service organization agreement") == (
            "acuerdo con una organización de servicios calificada"
        )
