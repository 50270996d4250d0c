from rest_framework import serializers


class CourseRunPutInput(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=255)
    start = serializers.DateTimeField(required=False, allow_null=True)
    end = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and end < start:
            raise serializers.ValidationError({"end": ["end must not be before start."]})
        return attrs


class CourseRunOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    key = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    course_key = serializers.CharField(source="course.key")
    course_uuid = serializers.UUIDField(source="course.uuid")
    organization_key = serializers.CharField(source="course.organization.key")
    removed = serializers.BooleanField(source="is_removed")
