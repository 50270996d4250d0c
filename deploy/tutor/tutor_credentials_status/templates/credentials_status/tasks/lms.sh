# The LMS user the service's OAuth2 client acts as, and that client (client credentials, JWT tokens
# signed by the LMS with the JWT_COMMON_* issuer settings the service verifies).
./manage.py lms manage_user {{ CREDENTIALS_STATUS_LMS_SERVICE_USERNAME }} {{ CREDENTIALS_STATUS_LMS_SERVICE_USERNAME }}@openedx --staff
./manage.py lms create_dot_application \
  --grant-type client-credentials \
  --client-id {{ CREDENTIALS_STATUS_OAUTH2_CLIENT_ID }} \
  --client-secret {{ CREDENTIALS_STATUS_OAUTH2_CLIENT_SECRET }} \
  --scopes user_id \
  --skip-authorization \
  --update \
  credentials-status {{ CREDENTIALS_STATUS_LMS_SERVICE_USERNAME }}
