from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from core.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "lms_user_id", "full_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "lms_user_id", "full_name")
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("LMS identity", {"fields": ("lms_user_id", "full_name")}))
