from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.models import RecordSource, SourcedRecord, User
from core.selectors import LMS_USER_ID_TEXT

SOURCE_FIELDS = ("source", "source_time", "changed_by")
# At most this many learners (or runs) a search resolves to before filtering a table of records by them.
RELATED_SEARCH_LIMIT = 1_000


def learner_search_q(term: str) -> Q:
    """Users whose username, email or full name contains ``term`` (any case), or whose LMS user id it is.

    Each condition has an index on PostgreSQL (trigram GIN over UPPER(column), btree on lms_user_id:
    core/migrations/0005), so the search reads no more of core_user than it finds.
    """
    condition = Q(username__icontains=term) | Q(email__icontains=term) | Q(full_name__icontains=term)
    if LMS_USER_ID_TEXT.fullmatch(term):
        condition |= Q(lms_user_id=int(term))
    return condition


class RelatedIdSearchMixin:
    """Admin search for a table that grows with learners, served by its foreign-key indexes.

    Django's default search ORs ``icontains`` over joined columns, which no index can serve: each search
    reads the whole table (seconds at tens of millions of rows). Here the text is first resolved to
    learners (``learner_search_q``) and to rows of the other related tables named in ``related_search``
    (up to RELATED_SEARCH_LIMIT each), then the table is filtered by those ids; ``exact_search_fields``
    of the model itself match the whole text exactly, ``contains_search_fields`` (each with a trigram
    index on PostgreSQL) contain it. ``search_fields`` stays set so the box shows.
    """

    # No "N of M total" next to a search: M is a COUNT(*) over the whole table at every search.
    show_full_result_count = False
    learner_field: str | None = "learner"
    related_search: dict[str, tuple[str, ...]] = {}  # foreign key -> that model's fields matched by icontains
    exact_search_fields: tuple[str, ...] = ()
    contains_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> tuple[Any, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        model = queryset.model
        condition = Q(pk__in=[])
        if self.learner_field:
            ids = User.objects.filter(learner_search_q(term)).values_list("pk", flat=True)[:RELATED_SEARCH_LIMIT]
            condition |= Q(**{f"{self.learner_field}__in": list(ids)})
        for foreign_key, fields in self.related_search.items():
            related = model._meta.get_field(foreign_key).related_model
            match = Q()
            for name in fields:
                match |= Q(**{f"{name}__icontains": term})
            ids = related._default_manager.filter(match).values_list("pk", flat=True)[:RELATED_SEARCH_LIMIT]
            condition |= Q(**{f"{foreign_key}__in": list(ids)})
        for name in self.contains_search_fields:
            condition |= Q(**{f"{name}__icontains": term})
        for name in self.exact_search_fields:
            try:
                condition |= Q(**{name: model._meta.get_field(name).to_python(term)})
            except ValidationError:
                continue  # not a value of that field (e.g. a username where a uuid is searched)
        return queryset.filter(condition), False


def fixed_values_filter(field_name: str, title: str, values: tuple[str, ...]) -> type[admin.SimpleListFilter]:
    """A list filter offering ``values`` for a free-text column of a large table.

    Django's filter for such a column lists ``SELECT DISTINCT column`` over the whole table on every
    changelist page (a full read of millions of rows); the values people filter by are known.
    """

    class FixedValuesFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            return [(value, value) for value in values]

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            return queryset.filter(**{field_name: self.value()}) if self.value() else queryset

    FixedValuesFilter.title = title
    return FixedValuesFilter


class LearnerAndRunSearchMixin(RelatedIdSearchMixin):
    """Search a learner record by learner (username, email, name, LMS id) or course run (run or course key)."""

    related_search = {"course_run": ("key", "course__key")}


class SourcedRecordAdminMixin:
    """Admin of a learner record: its source fields are read-only, and a save records ``admin`` by the editor."""

    def save_model(self, request: HttpRequest, obj: SourcedRecord, form: Any, change: bool) -> None:
        obj.source, obj.source_time, obj.changed_by = RecordSource.ADMIN, timezone.now(), request.user.get_username()
        super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users. A learner with records is retired (the "Retire" action), never deleted: records stay, PII goes."""

    list_display = ("username", "email", "lms_user_id", "full_name", "is_staff", "is_active", "retired_at")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "lms_user_id", "full_name")  # shows the box; get_search_results searches
    readonly_fields = ("retired_at",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("LMS identity", {"fields": ("lms_user_id", "full_name", "retired_at")}),
    )
    actions = ["retire_learners"]
    show_full_result_count = False  # a COUNT(*) of every user at each search

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[User], search_term: str) -> tuple[Any, bool]:
        """The same indexed conditions as the record tables' search (``learner_search_q``), not Django's default
        ``icontains`` on the LMS id cast to text, which no index serves."""
        term = search_term.strip()
        return (queryset.filter(learner_search_q(term)) if term else queryset), False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Deleting a learner with records would take their records (and statistics) with them: retire instead."""
        if obj is not None and _has_records(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Retire the selected learners (replace their PII, keep their records)")
    def retire_learners(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from privacy.api import learner_retire

        if not request.user.is_superuser:
            self.message_user(request, "Only a superuser may retire learners.", level=messages.ERROR)
            return
        retired = 0
        for user in queryset.filter(retired_at__isnull=True):
            learner_retire(
                lms_user_id=user.lms_user_id,
                original_username=user.username,
                retired_by=request.user.get_username(),
            )
            retired += 1
        self.message_user(request, f"{retired} learner(s) retired.", level=messages.SUCCESS)


def _has_records(user: User) -> bool:
    return (
        user.credentials.exists()  # type: ignore[attr-defined]
        or user.grades.exists()  # type: ignore[attr-defined]
        or user.enrollments.exists()  # type: ignore[attr-defined]
    )
