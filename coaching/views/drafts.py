from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import time_format
from django.views.decorators.http import require_POST

from coaching import permissions, services
from coaching.models import Draft


@require_POST
def draft_save(request, form):
    """Saves what she is typing (htmx, every few seconds). Answers with a short status line."""
    draft_form = permissions.get_draft_form_for(request.user, form)
    try:
        services.draft_save(user=request.user, form=draft_form, data=dict(request.POST.lists()))
    except ValidationError as error:
        # 200, so that htmx shows the refusal in the status line where "Draft saved" would be.
        return HttpResponse(error.messages[0])
    return HttpResponse(f"Draft saved at {time_format(timezone.localtime(), 'g:i a')}.")


def draft_initial(user, form: Draft.Form, form_class) -> tuple[Draft | None, dict]:
    """Her draft for this form, if she has one, as the form's initial values."""
    draft = permissions.drafts_of(user).filter(form=form).first()
    if draft is None:
        return None, {}
    initial = {}
    for name, values in draft.data.items():
        field = form_class.base_fields.get(name)
        if field is None:
            continue
        multiple = getattr(field.widget, "allow_multiple_selected", False)
        initial[name] = values if multiple else (values[0] if values else "")
    return draft, initial
