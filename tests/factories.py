"""factory_boy factories for the catalog and learner records."""

import factory
from django.utils import timezone

from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from enrollments.models import Enrollment
from programs.models import Course, CourseRun, Organization


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    lms_user_id = factory.Sequence(lambda n: 5000 + n)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"Org{n}X")
    name = factory.LazyAttribute(lambda o: f"{o.key} University")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("key",)

    organization = factory.SubFactory(OrganizationFactory)
    key = factory.LazyAttributeSequence(lambda c, n: f"{c.organization.key}+Course{n}")
    title = factory.Sequence(lambda n: f"Course {n}")


class CourseRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseRun
        django_get_or_create = ("key",)

    course = factory.SubFactory(CourseFactory)
    key = factory.LazyAttributeSequence(lambda r, n: f"course-v1:{r.course.key}+{n}T2025")
    title = factory.LazyAttribute(lambda r: r.course.title)
    start = factory.LazyFunction(timezone.now)


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseRunCredential

    learner = factory.SubFactory(UserFactory)
    course_run = factory.SubFactory(CourseRunFactory)
    status = "awarded"
    type = "verified"
    awarded_at = factory.LazyFunction(timezone.now)


class GradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grade

    learner = factory.SubFactory(UserFactory)
    course_run = factory.SubFactory(CourseRunFactory)
    letter_grade = "B"
    percent_grade = "0.8500"
    verified = True


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    learner = factory.SubFactory(UserFactory)
    course_run = factory.SubFactory(CourseRunFactory)
    mode = "verified"
    is_active = True
