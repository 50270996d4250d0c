"""Operational endpoints."""

import logging

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

log = logging.getLogger(__name__)


class HealthView(APIView):
    """200 when the database answers, 503 otherwise. No authentication: load balancers call it."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        responses={
            200: inline_serializer("Health", {"status": serializers.CharField(), "database": serializers.CharField()})
        }
    )
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            log.warning("health_database_unavailable")
            return Response(
                {"status": "UNAVAILABLE", "database": "UNAVAILABLE"}, status=status.HTTP_503_SERVICE_UNAVAILABLE
            )
        return Response({"status": "OK", "database": "OK"})
