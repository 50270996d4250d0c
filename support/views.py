"""The support console: server-rendered pages over the same selectors as the learner status API.

Session login; staff and ``learner_status_readers`` only. Anonymous visitors are sent to the
console's login page; anyone else signed in gets a 403 page.
"""

from typing import Any
from uuid import UUID

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View

from core.authentication import LearnerJwtAuthentication
from core.models import User
from core.parsers import unstorable_reason
from core.roles import Role, user_has_role
from core.selectors import learner_find
from credentials_status.api import learner_program_status, learner_programs
from credentials_status.exceptions import ProgramNotFound
from enrollments.api import LmsClient
from enrollments.exceptions import EnrollmentBackendNotConfigured
from events.backfill import backfill_from_lms
from learner_portal.views import lms_sign_in_enabled
from programs.api import exclusion_origins, program_summaries
from support.selectors import learner_record_timeline, learner_records, learner_search


class SupportLoginView(LoginView):
    template_name = "support/login.html"
    redirect_authenticated_user = True  # then LOGIN_REDIRECT_URL, the console's search page

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "lms_sign_in": lms_sign_in_enabled()}


class ConsoleView(AccessMixin, View):
    """Base of every console page: anonymous -> login, signed in without the role -> 403."""

    login_url = reverse_lazy("support:login")
    # Staff coming from the LMS with its JWT cookie pair are signed in (JwtAuthCookieMiddleware).
    authentication_classes = [LearnerJwtAuthentication]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not user_has_role(request.user, Role.LEARNER_STATUS_READERS):
            return render(request, "support/forbidden.html", status=403)
        return super().dispatch(request, *args, **kwargs)


def _not_found(request: HttpRequest, what: str) -> HttpResponse:
    return render(request, "support/not_found.html", {"what": what}, status=404)


class SearchView(ConsoleView):
    """Find a learner by username, email or LMS user id.

    The form is POSTed (CSRF-checked), so the query, often an email address, is never part of a URL:
    not in an access log, the browser's history or a ``Referer`` header. A ``GET`` shows the empty
    form, also for an old ``?q=`` link.
    """

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "support/search.html", {"query": "", "results": []})

    def post(self, request: HttpRequest) -> HttpResponse:
        query = request.POST.get("q", "").strip()[:254]
        problem = unstorable_reason(query)
        if problem:  # the URL's NUL check (RefuseNulMiddleware) does not see a form body
            return render(request, "support/search.html", {"query": "", "problem": problem}, status=400)
        results = learner_search(query) if query else []
        return render(request, "support/search.html", {"query": query, "results": results})


def _learner_page(request: HttpRequest, learner: User, **context: Any) -> HttpResponse:
    answers = learner_programs(learner, username=learner.username)
    origins = exclusion_origins(program_uuids=[answer.program.uuid for answer in answers])
    return render(
        request,
        "support/learner.html",
        {
            "learner": learner,
            "answers": answers,
            "programs": [{"answer": answer, "exclusions": origins.get(answer.program.uuid, [])} for answer in answers],
            "timeline": learner_record_timeline(learner=learner),
            "records": learner_records(learner),
            "can_apply": can_apply_lms_records(request.user),
            **context,
        },
    )


class LearnerView(ConsoleView):
    """Every program the learner touches, with progress, courses, runs and warnings; every record's source."""

    def get(self, request: HttpRequest, username: str) -> HttpResponse:
        learner = learner_find(username=username)
        if learner is None:
            return _not_found(request, _("No learner has the username %(username)s.") % {"username": username})
        return _learner_page(request, learner)


def can_apply_lms_records(user: Any) -> bool:
    """Applying the LMS's records writes credentials, grades and enrollments: ``credential_issuers`` (and staff)."""
    return user_has_role(user, Role.CREDENTIAL_ISSUERS)


class LearnerLmsCheckView(ConsoleView):
    """POST: "Check against the LMS" (the drift check for this learner); with ``apply=1`` apply the LMS's records.

    Any console user may run the check, which changes nothing; applying needs ``credential_issuers``
    (or staff), the role that writes learner records: anyone else gets the 403 page before the LMS
    is asked. Applied records are ``source=backfill`` with the support user's username as ``changed_by``.
    """

    def post(self, request: HttpRequest, username: str) -> HttpResponse:
        apply = request.POST.get("apply") == "1"
        if apply and not can_apply_lms_records(request.user):
            return render(request, "support/forbidden.html", {"apply_refused": True}, status=403)
        learner = learner_find(username=username)
        if learner is None:
            return _not_found(request, _("No learner has the username %(username)s.") % {"username": username})
        try:
            client = LmsClient.from_settings()
        except EnrollmentBackendNotConfigured:
            return _learner_page(
                request, learner, lms_error=_("The LMS is not configured here (LMS_URL and OAUTH2_* settings).")
            )
        report = backfill_from_lms(
            client=client, usernames=[learner.username], dry_run=not apply, changed_by=request.user.get_username()
        )
        return _learner_page(
            request,
            learner,
            lms_check=report,
            lms_error=_("The LMS did not answer; nothing was changed. Try again later.") if report.failures else "",
            lms_applied=apply and not report.failures,
        )


class ProgramListView(ConsoleView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "support/programs.html", {"programs": program_summaries()})


class ProgramView(ConsoleView):
    """A program's courses, runs and exclusions; with ``?learner=USERNAME`` that learner's status too."""

    def get(self, request: HttpRequest, program_uuid: UUID) -> HttpResponse:
        username = request.GET.get("learner", "").strip() or None
        learner = learner_find(username=username) if username else None
        if username and learner is None:
            return _not_found(request, _("No learner has the username %(username)s.") % {"username": username})
        try:
            answer = learner_program_status(program_uuid=program_uuid, username=username)
        except ProgramNotFound:
            return _not_found(request, _("No program has the uuid %(uuid)s.") % {"uuid": program_uuid})
        excluded = [run for course in answer.courses for run in course.course_runs if run.excluded]
        return render(
            request,
            "support/program.html",
            {"answer": answer, "learner": learner, "excluded_runs": excluded},
        )
