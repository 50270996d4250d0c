"""A fake Discovery at the HTTP boundary, answering with Discovery's real payload shapes (ADR 0004).

``FakeDiscovery`` holds organizations, courses (each with ALL its runs) and programs (each nesting
only its non-excluded runs, as Discovery does), and answers like Discovery: ``page`` + ``page_size``
pagination with ``next`` links (``page_size`` ignored without ``page``), ``uuids=`` on programs, and
restricted runs omitted unless ``include_restricted`` names their type. It serves through
``responses`` (``fake.register(rsps)``) or over real local HTTP (``with fake.serve() as base_url``).
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from uuid import NAMESPACE_URL, uuid5

import responses

API = "http://discovery.test/api/v1/"
OAUTH = "http://lms.test"
TOKEN_URL = f"{OAUTH}/oauth2/access_token"


def fake_uuid(name: str) -> str:
    return str(uuid5(NAMESPACE_URL, name))


def org_payload(key: str) -> dict[str, Any]:
    return {
        "uuid": fake_uuid(f"org:{key}"),
        "key": key,
        "name": f"{key} University",
        "certificate_logo_image_url": None,
        "logo_image_url": None,
        "description": "",
        "homepage_url": None,
        "tags": [],
        "marketing_url": None,
        "slug": key.lower(),
        "banner_image_url": None,
    }


def run_payload(
    key: str, *, restriction_type: str | None = None, status: str = "published", hidden: bool = False
) -> dict:
    return {
        "key": key,
        "uuid": fake_uuid(f"run:{key}"),
        "title": f"Title of {key}",
        "external_key": None,
        "image": None,
        "short_description": "",
        "marketing_url": None,
        "seats": [
            {
                "type": "verified",
                "price": "149.00",
                "currency": "USD",
                "upgrade_deadline": None,
                "upgrade_deadline_override": None,
                "credit_provider": None,
                "credit_hours": None,
                "sku": "8CF08E5",
                "bulk_sku": None,
            }
        ],
        "start": "2024-01-15T00:00:00Z",
        "end": "2024-04-30T00:00:00Z",
        "go_live_date": None,
        "enrollment_start": None,
        "enrollment_end": None,
        "weeks_to_complete": 10,
        "pacing_type": "instructor_paced",
        "type": "verified",
        "restriction_type": restriction_type,
        "run_type": "4e260c8f-7a7b-4c79-a4f0-3e2f6b8b2a11",
        "status": status,
        "is_enrollable": True,
        "is_marketable": True,
        "is_marketable_external": True,
        "availability": "Archived",
        "variant_id": None,
        "hidden": hidden,
    }


def course_payload(key: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    org = key.split("+")[0]
    return {
        "key": key,
        "uuid": fake_uuid(f"course:{key}"),
        "title": f"Course {key}",
        "course_runs": runs,
        "entitlements": [],
        "owners": [{"uuid": fake_uuid(f"org:{org}"), "key": org, "name": f"{org} University"}],
        "image": None,
        "short_description": "",
        "type": "c2a1b7d2-0a4b-4f3e-9a8e-8b1f0e2c3d4e",
        "url_slug": None,
        "course_type": "verified-audit",
        "course_run_statuses": ["archived", "published"],
        "marketing_url": None,
        "level_type": None,
        "subjects": [],
    }


def program_payload(uuid: str, title: str, course_keys: list[str], *, status: str = "active", org: str = "edX") -> dict:
    """A program nesting its courses; ``FakeDiscovery`` fills the nested runs (minus exclusions)."""
    return {
        "uuid": uuid,
        "title": title,
        "subtitle": "Learn the basics",
        "type": "Professional Certificate",
        "type_attrs": {
            "uuid": "3f687c41-4319-4bb2-b5de-a03c22df7e49",
            "slug": "professional-certificate",
            "coaching_supported": False,
        },
        "status": status,
        "marketing_slug": title.lower().replace(" ", "-"),
        "marketing_url": "https://www.example.com/professional-certificate/x",
        "banner_image": {},
        "hidden": False,
        "courses": [{"key": key} for key in course_keys],
        "authoring_organizations": [
            {
                "uuid": fake_uuid(f"org:{org}"),
                "key": org,
                "name": f"{org} University",
                "certificate_logo_image_url": None,
                "logo_image_url": None,
            }
        ],
        "card_image_url": None,
        "total_hours_of_effort": 40,
        "data_modified_timestamp": "2025-09-02T10:11:12.345678Z",
        "course_run_statuses": ["archived", "published"],
    }


class FakeDiscovery:
    def __init__(self) -> None:
        self.organizations: list[dict[str, Any]] = []
        self.courses: dict[str, dict[str, Any]] = {}
        self.programs: dict[str, dict[str, Any]] = {}
        self.exclusions: dict[str, set[str]] = {}  # program uuid -> excluded run keys (Discovery's hidden field)
        self.failures: dict[str, list[tuple[int, dict[str, str]]]] = {}  # path -> queued (status, headers)
        self.tokens_issued = 0
        self.requests: list[str] = []
        self.request_ids: list[str | None] = []  # X-Request-ID of each API call (not token calls)
        self.token_expires_in = 3600

    # --- building the catalog ------------------------------------------------------------------
    def add_course(self, key: str, run_keys: list[str], **run_options: Any) -> dict[str, Any]:
        self.courses[key] = course_payload(key, [run_payload(k, **run_options) for k in run_keys])
        org = key.split("+")[0]
        if all(o["key"] != org for o in self.organizations):
            self.organizations.append(org_payload(org))
        return self.courses[key]

    def add_program(self, title: str, course_keys: list[str], *, excluded: tuple[str, ...] = (), **options: Any) -> str:
        uuid = fake_uuid(f"program:{title}")
        self.programs[uuid] = program_payload(uuid, title, course_keys, **options)
        self.exclusions[uuid] = set(excluded)
        return uuid

    def fail(
        self, resource: str, status: int, *, page: int | None = None, times: int = 1, headers: dict | None = None
    ) -> None:
        """The next ``times`` requests for ``resource`` (``programs``; only page ``page`` if given) fail."""
        key = f"{resource}:{page}" if page else resource
        self.failures.setdefault(key, []).extend([(status, headers or {})] * times)

    # --- answering ------------------------------------------------------------------------------
    def _nested_program(self, program: dict[str, Any], restricted: set[str]) -> dict[str, Any]:
        body = deepcopy(program)
        for course in body["courses"]:
            full = self.courses[course["key"]]
            course.update({k: v for k, v in deepcopy(full).items() if k != "course_runs"})
            course["course_runs"] = [
                run
                for run in self._visible_runs(full, restricted)
                if run["key"] not in self.exclusions.get(program["uuid"], set())
            ]
        return body

    @staticmethod
    def _visible_runs(course: dict[str, Any], restricted: set[str]) -> list[dict[str, Any]]:
        return [
            deepcopy(r)
            for r in course["course_runs"]
            if not r["restriction_type"] or r["restriction_type"] in restricted
        ]

    def answer(self, method: str, url: str, headers: dict[str, str], body: str = "") -> tuple[int, dict[str, str], Any]:
        parsed = urlparse(url)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.requests.append(f"{method} {parsed.path}?{parsed.query}")
        if parsed.path.endswith("/oauth2/access_token"):
            form = {k: v[-1] for k, v in parse_qs(body).items()}
            if form.get("grant_type") != "client_credentials" or form.get("client_secret") != "secret":
                return 401, {}, {"error": "invalid_client"}
            self.tokens_issued += 1
            token = f"token-{self.tokens_issued}"
            return (
                200,
                {},
                {"access_token": token, "token_type": "JWT", "expires_in": self.token_expires_in, "scope": ""},
            )
        resource = parsed.path.split("/api/v1/", 1)[-1].strip("/")
        self.request_ids.append(next((v for k, v in headers.items() if k.lower() == "x-request-id"), None))
        queued = self.failures.get(f"{resource}:{query.get('page', '1')}") or self.failures.get(resource)
        if queued:
            status, extra = queued.pop(0)
            return status, extra, {"detail": "failure"}
        if headers.get("Authorization") != f"JWT token-{self.tokens_issued}" or not self.tokens_issued:
            return 401, {}, {"detail": "Authentication credentials were not provided."}
        restricted = set(filter(None, query.get("include_restricted", "").split(",")))
        if resource == "organizations":
            items = self.organizations
        elif resource == "courses":
            assert query.get("include_hidden_course_runs") == "1", "courses must be asked with all runs"
            keys = set(query["keys"].split(",")) if query.get("keys") else None
            items = [
                {**c, "course_runs": self._visible_runs(c, restricted)}
                for c in self.courses.values()
                if keys is None or c["key"] in keys
            ]
        elif resource == "programs":
            wanted = set(query["uuids"].split(",")) if query.get("uuids") else None
            items = [
                self._nested_program(p, restricted) for u, p in self.programs.items() if wanted is None or u in wanted
            ]
        else:
            return 404, {}, {"detail": "Not found."}
        return 200, {}, self._page(url, items, query)

    @staticmethod
    def _page(url: str, items: list[Any], query: dict[str, str]) -> dict[str, Any]:
        if "page" not in query:  # Discovery's gotcha: page_size alone falls back to limit/offset of 20
            size, number = 20, 1
        else:
            size, number = int(query.get("page_size", 20)), int(query["page"])
        chunk = items[(number - 1) * size : number * size]
        base = url.split("?", 1)[0]

        def link(n: int) -> str:
            return f"{base}?{urlencode({**query, 'page': n, 'page_size': size})}"

        return {
            "count": len(items),
            "next": link(number + 1) if number * size < len(items) else None,
            "previous": link(number - 1) if number > 1 else None,
            "results": chunk,
        }

    # --- transports ----------------------------------------------------------------------------
    def register(self, rsps: responses.RequestsMock) -> None:
        def callback(request: Any) -> tuple[int, dict[str, str], str]:
            body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
            status, headers, payload = self.answer(request.method, request.url, dict(request.headers), body)
            return status, {"Content-Type": "application/json", **headers}, json.dumps(payload)

        rsps.add_callback(responses.POST, TOKEN_URL, callback=callback)
        for resource in ("organizations", "courses", "programs"):
            rsps.add_callback(responses.GET, f"{API}{resource}/", callback=callback)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve over real HTTP on 127.0.0.1; yields the root URL (API under /api/v1/, OAuth under /oauth2/)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                root = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"  # type: ignore[index]
                status, headers, payload = fake.answer(method, root + self.path, dict(self.headers), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._reply("GET")

            def do_POST(self) -> None:
                self._reply("POST")

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
