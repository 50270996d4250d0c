"""The learner page and the API's reasons follow the LMS language cookie, else Accept-Language (Spanish catalog)."""

from types import SimpleNamespace

from django.test import Client
from rest_framework import status

from tests.learner_portal.conftest import NEXT_YEAR
from tests.learner_portal.test_pages import client_for, text_of

SPANISH_EXPLANATION = (
    "Tu certificado de la edición de mayo de 2023 de Data Science Basics no cuenta para este programa. Para "
    "completar el curso, obtén un certificado verificado en una edición que cuente, como la que empieza el 14 de "
    f"enero de {NEXT_YEAR}."
)


def test_the_lms_language_cookie_picks_spanish(learner_data: SimpleNamespace) -> None:
    client = client_for(learner_data.sam)
    client.cookies["openedx-language-preference"] = "es"

    response = client.get(f"/learner/programs/{learner_data.program.uuid}/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == status.HTTP_200_OK
    text = text_of(response.content)
    assert '<html lang="es">' in response.content.decode()
    assert SPANISH_EXPLANATION in text
    assert (
        f"Siguiente paso: Inscríbete en Data Science Basics, la edición que empieza el 14 de enero de {NEXT_YEAR}, "
        "para completar este curso." in text
    )
    assert "1 de 2 cursos completados" in text


def test_accept_language_picks_spanish_for_the_api_and_english_stays_the_default(
    learner_data: SimpleNamespace, jwt_client: object
) -> None:
    sam = jwt_client("sam")  # type: ignore[operator]

    spanish = sam.get("/api/credentials/v1/learners/me/programs/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    english = sam.get("/api/credentials/v1/learners/me/programs/")

    [warning] = spanish.json()[0]["warnings"]
    assert warning["code"] == "completed_excluded_run"  # codes never change with the language
    assert warning["learner_message"] == SPANISH_EXPLANATION
    assert warning["message"].startswith("El estudiante completó course-v1:edX+DSB+2T2023, que este programa no cuenta")
    assert english.json()[0]["warnings"][0]["learner_message"].startswith("Your certificate from the May 2023 run")


def test_the_console_is_translated_too(learner_data: SimpleNamespace) -> None:
    client = Client()
    response = client.get("/support/login/", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == status.HTTP_200_OK
    assert "Iniciar sesión" in text_of(response.content)
