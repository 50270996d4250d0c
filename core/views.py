"""Operational endpoints."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.health import OK, UNAVAILABLE, service_health

STATUS_HELP = f"{OK} or {UNAVAILABLE}."
HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.CharField(help_text="Same as overall_status."),
        "overall_status": serializers.CharField(help_text=STATUS_HELP),
        "detailed_status": inline_serializer(
            "HealthDetails",
            {
                "database_status": serializers.CharField(help_text=STATUS_HELP),
                "cache_status": serializers.CharField(help_text=STATUS_HELP),
                "broker_status": serializers.CharField(
                    required=False, help_text=f"{STATUS_HELP} Only when CELERY_BROKER_URL is set."
                ),
            },
        ),
    },
)


class HealthView(APIView):
    """200 when every configured component answers, 503 when one does not (``core.health``).

    No authentication and no throttle: load balancers and monitors call it. ``status`` repeats
    ``overall_status`` for monitors written against the first version of this endpoint.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(responses={200: HEALTH, 503: HEALTH})
    def get(self, request: Request) -> Response:
        health = service_health()
        healthy = health["overall_status"] == OK
        return Response(
            {"status": health["overall_status"], **health},
            status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE,
        )
