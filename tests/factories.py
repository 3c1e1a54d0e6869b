"""Factories for every model, in one place."""

from __future__ import annotations

import factory

from staff.models import Program, User
from staff.roles import Role
from staff.services import user_set_role

TEST_PASSWORD = "a-long-test-password"


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Program {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name_female")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    phone = "603-555-0100"
    program = factory.SubFactory(ProgramFactory)
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            user_set_role(user=user, role=extracted)


class CoachFactory(UserFactory):
    role = Role.COACH


class SupervisorFactory(UserFactory):
    role = Role.SUPERVISOR


class AdminFactory(UserFactory):
    role = Role.ADMIN
