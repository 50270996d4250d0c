"""The Open edX user retirement and username replacement endpoints, as other IDAs serve them."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from privacy.rest_api.v1.permissions import IsRetirementWorker
from privacy.rest_api.v1.serializers import RetireUserInput, UsernameReplacementInput, UsernameReplacementOutput
from privacy.services import learner_retire, usernames_replace


class RetireUserView(APIView):
    """``POST /api/v1/retire_user/``: the shape license-manager serves to the retirement driver."""

    permission_classes = [IsRetirementWorker]

    @extend_schema(
        tags=["privacy"],
        request=RetireUserInput,
        responses={
            204: OpenApiResponse(description="Retired (also when an earlier call retired the learner)."),
            404: OpenApiResponse(description="No such learner: nothing to retire here."),
        },
    )
    def post(self, request: Request) -> Response:
        data = RetireUserInput(data=request.data)
        data.is_valid(raise_exception=True)
        learner_retire(
            lms_user_id=data.validated_data["lms_user_id"],
            original_username=data.validated_data["original_username"],
            retired_by=request.user.get_username(),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UsernameReplacementView(APIView):
    """``POST /api/v1/replace_usernames/``: the LMS's username replacement, as Open edX IDAs expose it."""

    permission_classes = [IsRetirementWorker]

    @extend_schema(tags=["privacy"], request=UsernameReplacementInput, responses={200: UsernameReplacementOutput})
    def post(self, request: Request) -> Response:
        data = UsernameReplacementInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = usernames_replace(
            mappings=data.validated_data["username_mappings"], replaced_by=request.user.get_username()
        )
        body = {
            "successful_replacements": [{old: new} for old, new in result.successful],
            "failed_replacements": [{old: new} for old, new in result.failed],
        }
        return Response(UsernameReplacementOutput(body).data, status=status.HTTP_200_OK)
