"""factory_boy factories for the credit app."""

import uuid

import factory
from django.utils import timezone

from credit.models import (
    CreditCourse,
    CreditEligibility,
    CreditProvider,
    CreditRequest,
    CreditRequirement,
    CreditRequirementStatus,
)
from tests.factories import UserFactory


class CreditCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditCourse
        django_get_or_create = ("course_key",)

    course_key = factory.Sequence(lambda n: f"course-v1:edX+Credit{n}+1T2015")
    enabled = True


class CreditRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditRequirement

    course = factory.SubFactory(CreditCourseFactory)
    namespace = "grade"
    name = "grade"
    display_name = "Minimum Passing Grade"
    criteria = factory.LazyFunction(lambda: {"min_grade": 0.8})
    order = 0


class CreditRequirementStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditRequirementStatus

    learner = factory.SubFactory(UserFactory)
    requirement = factory.SubFactory(CreditRequirementFactory)
    status = "satisfied"
    reason = factory.LazyFunction(dict)


class CreditEligibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditEligibility

    learner = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CreditCourseFactory)
    deadline = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=30))


class CreditProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditProvider
        django_get_or_create = ("provider_id",)

    provider_id = factory.Sequence(lambda n: f"provider-{n}")
    display_name = factory.LazyAttribute(lambda p: f"{p.provider_id} University")
    provider_url = "https://credit.example.com/request"
    provider_status_url = "https://credit.example.com/status"
    enable_integration = True
    active = True


class CreditRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditRequest

    uuid = factory.LazyFunction(lambda: uuid.uuid4().hex)
    learner = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CreditCourseFactory)
    provider = factory.SubFactory(CreditProviderFactory)
    status = "pending"
