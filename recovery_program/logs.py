"""Logs carry ids, actions and the kind of an error, never what someone typed or what a record holds.

Our own code logs ids only. What else reaches a log is taken apart here, for every handler (settings.LOGGING):

- An exception keeps its traceback's frames (file, line, function, code) and its class, never its message: a
  database error repeats the row it refused ("Failing row contains (…)", a JSON value up to a NUL byte), and a
  message can repeat what was typed. An exception given as a value (`log.warning("%s", error)`) is its class.
- Django's request loggers attach the request (its body, parameters and cookies): it is dropped.
- A logged address loses its query string (the caseload list is searched by name with `?q=`).
- Celery's task records lose the task's arguments, return value and the text of its error.

`ClinicalExceptionReporterFilter` keeps POST data and local variables out of Django's error reports when DEBUG is
off (and nobody is e-mailed one: ADMINS is empty). With DEBUG on, the debug page shows all to a developer on demo data.
`tests/recovery_program/test_no_patient_data_leaks.py` plants markers in every kind of record, runs the main flows
and searches every log line, task message, Redis key, e-mail, text and error page for them.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping

from django.views.debug import SafeExceptionReporterFilter

HIDDEN = "(hidden)"
# An address's query string, in a request line or a path: "GET /patients/?q=Avery HTTP/1.1".
_QUERY_STRING = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
# Keys of Celery's task log records (celery.app.trace, celery.worker.strategy) that hold what a task was given,
# returned or raised.
_TASK_CONTENT = ("args", "kwargs", "return_value", "exc", "traceback", "retval", "reason")


def exception_without_messages(error: BaseException) -> str:
    """The traceback of `error` and of the exceptions it came from, with each exception's class but not its message."""
    lines: list[str] = []
    seen: set[int] = set()

    def walk(current: BaseException) -> None:
        seen.add(id(current))
        if current.__cause__ is not None and id(current.__cause__) not in seen:
            walk(current.__cause__)
            lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif (
            current.__context__ is not None and not current.__suppress_context__ and id(current.__context__) not in seen
        ):
            walk(current.__context__)
            lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(current.__traceback__))
        kind = type(current)
        lines.append(f"{kind.__module__}.{kind.__qualname__} (message not logged)\n")

    walk(error)
    return "".join(lines).rstrip("\n")


def _without_content(value: object) -> object:
    """A logged value: an exception becomes its class, an address loses its query string."""
    if isinstance(value, BaseException):
        return f"{type(value).__module__}.{type(value).__qualname__} (message not logged)"
    if isinstance(value, str):
        return _QUERY_STRING.sub(r"\1", value)
    return value


class NoClinicalContent(logging.Filter):
    """Takes out of a log record whatever could hold patient data (see the module's docstring). Never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = exception_without_messages(record.exc_info[1])
            record.exc_info = None
        elif record.exc_text and not getattr(record, "_no_clinical_content", False):
            record.exc_text = HIDDEN
        record._no_clinical_content = True
        if getattr(record, "request", None) is not None:
            record.request = None
        if isinstance(record.args, Mapping):
            record.args = self._task_context(record.args)
            if isinstance(getattr(record, "data", None), Mapping):
                record.data = record.args
        elif isinstance(record.args, tuple):
            record.args = tuple(_without_content(arg) for arg in record.args)
        record.msg = _without_content(record.msg)
        return True

    @staticmethod
    def _task_context(context: Mapping) -> dict:
        return {key: HIDDEN if key in _TASK_CONTENT else value for key, value in context.items()}


class ClinicalExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (DEBUG off) show no POST data and no local variables: any of them may be clinical text."""

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
