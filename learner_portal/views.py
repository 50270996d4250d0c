"""The learner's own program pages: server-rendered over the same selectors as the API and the console.

A signed-in learner sees only their own programs. Staff and ``learner_status_readers`` may add
``?username=`` to see exactly what that learner sees. Anonymous visitors are sent to sign in (through
the LMS when it is configured, else the local form).
"""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from core.authentication import LearnerJwtAuthentication
from core.models import User
from core.roles import Role, user_has_role
from core.selectors import learner_find
from credentials_status.api import learner_program_status, learner_programs
from credentials_status.exceptions import ProgramNotFound
from credentials_status.explanations import program_next_step


class LearnerLoginView(LoginView):
    """Sign in: through the LMS when ``SOCIAL_AUTH_EDX_OAUTH2_KEY`` is set, and with a local password."""

    template_name = "learner_portal/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("learner_portal:programs")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "lms_sign_in": lms_sign_in_enabled(),
            "lms_error": "lms_error" in self.request.GET,
        }


def lms_sign_in_enabled() -> bool:
    """Signing in through the LMS is offered only when its OAuth2 client is configured."""
    return bool(getattr(settings, "SOCIAL_AUTH_EDX_OAUTH2_KEY", ""))


class LearnerPage(AccessMixin, View):
    """Base of the learner pages: anonymous -> sign in; ``?username=`` of someone else -> readers only."""

    login_url = reverse_lazy("learner_portal:login")
    # JwtAuthCookieMiddleware signs in the learner of the LMS's JWT cookie pair with the view's JWT class.
    authentication_classes = [LearnerJwtAuthentication]
    learner: User
    viewing_as: str

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        user: User = request.user  # type: ignore[assignment]
        asked = request.GET.get("username", "").strip()
        if not asked or asked == user.username:
            self.learner = user
            self.viewing_as = ""
        elif not user_has_role(user, Role.LEARNER_STATUS_READERS):
            return render(request, "learner_portal/forbidden.html", status=403)
        else:
            found = learner_find(username=asked)
            if found is None:
                return _not_found(request, _("No learner has the username %(username)s.") % {"username": asked})
            self.learner = found
            self.viewing_as = found.username
        return super().dispatch(request, *args, **kwargs)

    def context(self, **values: Any) -> dict[str, Any]:
        query = f"?{urlencode({'username': self.viewing_as})}" if self.viewing_as else ""
        return {"learner": self.learner, "viewing_as": self.viewing_as, "query": query, **values}


def _not_found(request: HttpRequest, what: str) -> HttpResponse:
    return render(request, "learner_portal/not_found.html", {"what": what}, status=404)


class ProgramListPage(LearnerPage):
    """Every program the learner touches, with progress and the next step of each."""

    def get(self, request: HttpRequest) -> HttpResponse:
        answers = learner_programs(self.learner, username=self.learner.username)
        items = [(answer, program_next_step(answer)) for answer in answers]
        return render(request, "learner_portal/programs.html", self.context(items=items))


class ProgramPage(LearnerPage):
    """One program: progress, the next step, what does not count and why, every course and its runs."""

    def get(self, request: HttpRequest, program_uuid: UUID) -> HttpResponse:
        try:
            answer = learner_program_status(program_uuid=program_uuid, username=self.learner.username)
        except ProgramNotFound:
            return _not_found(request, _("No program has the uuid %(uuid)s.") % {"uuid": program_uuid})
        return render(
            request,
            "learner_portal/program.html",
            self.context(
                answer=answer,
                next_step=program_next_step(answer),
                list_url=reverse("learner_portal:programs"),
            ),
        )
