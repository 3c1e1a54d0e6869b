"""Two people editing one record: the second save is refused, with what changed, and nobody's text is lost.

A record that people edit carries a `version` (`VersionField`), which the database moves on by one with every
UPDATE that changes the row (`bump_version`, a trigger: raw SQL and bulk updates count too). Its edit form carries
the version it was opened at (`VersionedForm`, a hidden field). The service that writes locks the row
(`select_for_update`) and calls `check_version`: when someone else changed a field she is saving since she opened
it, to something other than what she sends, it raises `EditConflict`, a ValidationError that the view shows above
the form, naming who changed it, when, and what each such field holds now. The form keeps her text and now carries the
current version, so that her next save, after reading, goes through.

What the row held at her version comes from its pghistory events, which record the version too; who changed it
from their context (the acting user).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import pgtrigger
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from recovery_program.forms import PlainErrors

# Moves the version on when anything else in the row changed. An UPDATE that changes nothing keeps it (and, as
# pghistory then sees no change, writes no history row); whatever version the UPDATE itself wrote is ignored.
bump_version = pgtrigger.Trigger(
    name="bump_version",
    when=pgtrigger.Before,
    operation=pgtrigger.Update,
    func="""
        IF (to_jsonb(NEW) - 'version') IS DISTINCT FROM (to_jsonb(OLD) - 'version') THEN
            NEW.version := OLD.version + 1;
        ELSE
            NEW.version := OLD.version;
        END IF;
        RETURN NEW;
    """,
)

MAX_VERSION = 2**31 - 1
# Marked here, translated where it is shown (gettext_noop keeps it a plain string).
STALE_FORM = gettext_noop(
    "This page did not say which version of the record you started from, so nothing was saved. "
    "Check what you typed against the record and save again."
)


def VersionField() -> models.PositiveIntegerField:
    """The model's version: add `bump_version` to its Meta.triggers too."""
    return models.PositiveIntegerField(default=1, editable=False)


class EditConflict(ValidationError):
    """Someone else saved the record after she opened it. `version` is the record's version now."""

    def __init__(self, message: str, *, version: int):
        super().__init__(message, code="edit_conflict")
        self.version = version


class _VersionInput(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self):
        super().__init__(
            min_value=1,
            max_value=MAX_VERSION,
            error_messages=dict.fromkeys(["required", "invalid", "min_value", "max_value"], gettext_lazy(STALE_FORM)),
        )


class VersionedForm(PlainErrors, forms.Form):
    """The version of the record the form was opened at, in a hidden field.

    `version`: the record's version as loaded now (a ModelForm's instance gives it). A missing or garbled version
    is a message above the form, and the form then carries the current version."""

    version = _VersionInput()

    def __init__(self, *args, version: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_version = version if version is not None else self.instance.version  # type: ignore[attr-defined]
        self.initial.setdefault("version", self.current_version)

    def clean(self):
        cleaned = super().clean()
        if "version" in self._errors:
            self._errors.pop("version")
            self.add_error(None, _(STALE_FORM))
            self._carry_version(self.current_version)
        return cleaned

    def refuse(self, error: ValidationError) -> None:
        """Shows what the service refused (next to a field of the form, or above it); after a conflict the form
        carries the current version."""
        super().refuse(error)
        if isinstance(error, EditConflict):
            self._carry_version(error.version)

    def _carry_version(self, version: int) -> None:
        if self.is_bound:
            data = self.data.copy()
            data[self.add_prefix("version")] = str(version)
            self.data = data


def check_version(
    record: models.Model,
    *,
    seen: int | None,
    saving: Mapping[str, Any],
    user: Any = None,
    labels: Mapping[str, str | Promise] | None = None,
) -> None:
    """Raises EditConflict if `record` (locked by the caller) moved on since version `seen` and one of the fields
    she is `saving` (model field name: her value) holds something else now than at `seen`, and than her value.

    A change to other fields only (her status, while she edits contact details), or to the value she is saving
    too, lets the save go through. When the row as it was at `seen` is not in the history (a forged version), a
    field counts as changed when it holds something else than her value. `user`: who is saving (a change she made
    in another tab is said so); `labels`: words for fields whose verbose name is not what her form calls them.
    """
    current: int = record.version  # type: ignore[attr-defined]
    if seen == current:
        return
    events = record.pgh_event_model.objects.filter(pgh_obj=record.pk)  # type: ignore[attr-defined]
    before = events.filter(version=seen).order_by("-pgh_id").first() if seen is not None else None
    changed = []
    for name, value in saving.items():
        attname = record._meta.get_field(name).attname
        if before is not None and getattr(before, attname) == getattr(record, attname):
            continue
        if getattr(record, name) != value:
            changed.append(name)
    if not changed:
        return
    since = events.filter(version__gt=seen or 0).select_related("pgh_context").order_by("pgh_id")
    labels = labels or {}
    now = "; ".join(
        _("%(field)s is now %(value)s") % {"field": _label(record, name, labels), "value": _shown(record, name)}
        for name in changed
    )
    last = since.last()
    who = _who(since, user)
    if last:
        message = _(
            "%(who)s changed this %(when)s while you were editing: %(now)s. "
            "Your text is still below: check it and save again."
        ) % {"who": who, "when": said_when(last.pgh_created_at), "now": now}
    else:
        message = _(
            "%(who)s changed this while you were editing: %(now)s. Your text is still below: check it and save again."
        ) % {"who": who, "now": now}
    raise EditConflict(message, version=current)


def _who(events, user) -> str:
    """Who saved the record since: the acting users of the history rows' contexts."""
    ids = list(dict.fromkeys(event.pgh_context.metadata.get("user") if event.pgh_context else None for event in events))
    mine = user is not None and user.pk in ids
    people = get_user_model().objects.filter(pk__in=[pk for pk in ids if pk and (not mine or pk != user.pk)])
    names = [str(person) for person in people]
    if mine:
        names.append(_("you, in another tab or window,"))
    if not names:
        return _("Someone")
    names[0] = names[0][:1].upper() + names[0][1:]
    if len(names) == 1:
        return names[0]
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def said_when(moment: datetime.datetime) -> str:
    """'at 2:14 pm' today, 'on Nov 3, 2:14 pm' another day: in her program's zone."""
    moment = timezone.localtime(moment)
    if moment.date() == timezone.localdate():
        return _("at %(time)s") % {"time": date_format(moment, _("g:i a"))}
    return _("on %(day)s") % {"day": date_format(moment, _("M j, g:i a"))}


def _label(record: models.Model, name: str, labels: Mapping[str, str | Promise]) -> str:
    label = str(labels.get(name) or record._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _shown(record: models.Model, name: str) -> str:
    field = record._meta.get_field(name)
    value = getattr(record, name)
    if value is None or value == "":
        return _("empty")
    if field.choices:
        value = getattr(record, f"get_{name}_display")()
    elif isinstance(value, bool):
        return _("yes") if value else _("no")
    elif isinstance(value, datetime.datetime):
        value = date_format(timezone.localtime(value), _("M j, Y, g:i a"))
    elif isinstance(value, datetime.date):
        value = date_format(value, _("M j, Y"))
    return f"“{Truncator(str(value)).chars(200)}”"
