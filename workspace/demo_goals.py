"""Demo recovery plans: several of coach1's women with goals and steps in varied states (seed_demo calls this)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from coaching import services as coaching_services
from coaching.models import GoalStep, RecoveryGoal
from patients.models import Patient, ProgramStatus
from recovery_program.audit import Actor
from staff.models import Program, User

# (area, in her words, target in days or None, [(step, due in days or None, "open" | "done" | "not_needed")], how
# the goal ends: None while she works on it, or "reached" / "set_aside").
PLANS = [
    [
        (
            "children",
            "Get my kids back home with me by the end of the school year.",
            150,
            [
                ("Call the caseworker about more visits", -6, "done"),
                ("Finish the parenting class at the Family Resource Center", 3, "open"),
                ("Get the kids' room ready", 40, "open"),
            ],
            None,
        ),
        (
            "housing",
            "A place of my own, close to the bus line.",
            90,
            [
                ("Fill in the housing authority application", -10, "done"),
                ("Ask Dana to be a reference", -3, "done"),
                ("Visit the apartment on Pine Street", 1, "open"),
                ("Ask about the waiting list at Maple Court", None, "not_needed"),
            ],
            None,
        ),
    ],
    [
        (
            "recovery",
            "Ninety meetings in ninety days.",
            60,
            [("Find a home group", -20, "done"), ("Get a sponsor", 5, "open")],
            None,
        ),
        ("health", "See a dentist before the baby comes.", None, [("Call the dental clinic", -2, "open")], None),
        ("work", "Go back to the diner part-time.", None, [("Talk to my old manager", -30, "done")], "set_aside"),
    ],
    [
        (
            "parenting",
            "Read to my daughter every night.",
            None,
            [("Get a library card", -14, "done"), ("Pick out three books", -7, "done")],
            "reached",
        ),
        ("work", "Finish my GED.", 200, [], None),
    ],
]


def seed_recovery_plans(program: Program) -> None:
    if RecoveryGoal.objects.filter(program=program).exists():
        return
    coach = User.objects.get(username="coach1", program=program)
    actor = Actor(coach, None)
    caseload = (
        Patient.objects.filter(assignments__coach=coach, assignments__ended_on__isnull=True)
        .exclude(status__in=[ProgramStatus.DISCHARGED, ProgramStatus.GRADUATED])
        .order_by("legal_name", "pk")
    )
    today = timezone.localdate()

    def day(n):
        return None if n is None else today + datetime.timedelta(days=n)

    for patient, goals in zip(caseload, PLANS, strict=False):
        for area, words, target, steps, ends in goals:
            goal = coaching_services.recovery_goal_add(
                actor=actor, patient=patient, fields={"area": area, "in_her_words": words, "target_on": day(target)}
            )
            for what, due, state in steps:
                # Steps are added as if written earlier: a date now past is set on the row after.
                step = coaching_services.goal_step_add(
                    actor=actor, goal=goal, what=what, due_on=day(max(due, 0)) if due is not None else None
                )
                if due is not None and due < 0:
                    GoalStep.objects.filter(pk=step.pk).update(due_on=day(due))
                if state != "open":
                    coaching_services.goal_step_mark(actor=actor, step=step, status=state)
            if ends:
                coaching_services.recovery_goal_close(actor=actor, goal=goal, status=ends)
