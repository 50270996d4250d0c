python manage.py migrate --noinput
# Service accounts: a status reader (LEARNER_STATUS_WORKERS) and the retirement pipeline's user.
python manage.py grant_role {{ CREDENTIALS_STATUS_STATUS_READER_USERNAME }} learner_status_readers
python manage.py grant_role {{ CREDENTIALS_STATUS_RETIREMENT_USERNAME }} learner_status_readers
