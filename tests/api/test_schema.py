"""Issue #9 item 11: the schema says what the API does (statuses, null, blanks, one-of rules,
download types), and bad filter values or an empty PATCH are a 400, not a silent 200."""

import pytest
from rest_framework.test import APIClient

from tests.transactions.factories import draft

API = "/api/v1"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _responses(schema, method: str, path: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


def _component(schema, ref_holder: dict) -> dict:
    name = ref_holder["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


def _request_schema(schema, method: str, path: str, media_type: str = "application/json"):
    return _component(
        schema, schema["paths"][path][method]["requestBody"]["content"][media_type]["schema"]
    )


# --- every status an operation gives is documented -------------------------------------------


def test_the_shared_error_statuses_are_documented(schema):
    # 401/403 wherever a token is needed; 400 for bad filters; 404 for a page past the last.
    assert {"400", "401", "403", "404"} <= _responses(schema, "get", f"{API}/transactions/")
    assert {"400", "401", "403", "404"} <= _responses(schema, "get", f"{API}/meetings/")
    assert {"401", "403", "404"} <= _responses(schema, "get", f"{API}/sessions/")
    assert {"401", "403"} <= _responses(schema, "get", f"{API}/me/")
    assert "401" not in _responses(schema, "get", f"{API}/services/")  # public
    # The token endpoint: bad input, wrong credentials, too many attempts.
    assert {"400", "401", "429"} <= _responses(schema, "post", f"{API}/auth/token/")
    # A body of a media type the operation does not take.
    assert "415" in _responses(schema, "post", f"{API}/transactions/")
    # Refused moves.
    assert "409" in _responses(schema, "post", f"{API}/transactions/{{id}}/submit/")
    assert "404" in _responses(schema, "get", f"{API}/me/organization/")


def test_page_is_documented_from_1(schema):
    parameters = schema["paths"][f"{API}/transactions/"]["get"]["parameters"]
    page = next(p for p in parameters if p["name"] == "page")
    assert page["schema"]["minimum"] == 1


def test_page_0_is_the_documented_json_404(customer):
    response = api(customer).get(f"{API}/transactions/", {"page": 0})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_me_organization_is_nullable_and_staff_get_null(schema, reviewer):
    me = schema["components"]["schemas"]["Me"]["properties"]["organization"]
    assert me["nullable"] is True
    assert api(reviewer).get(f"{API}/me/").json()["organization"] is None


def test_fields_that_refuse_blanks_say_min_length_1(schema):
    reject = _request_schema(schema, "post", f"{API}/transactions/{{id}}/reject/")
    assert reject["properties"]["reason"]["minLength"] == 1
    assert reject["properties"]["reason"]["pattern"]  # and not only white space
    withdraw = _request_schema(schema, "post", f"{API}/transactions/{{id}}/withdraw/")
    assert "minLength" not in withdraw["properties"]["reason"]  # blank allowed there


def test_the_booking_topic_is_a_documented_one_of(schema):
    book = _request_schema(schema, "post", f"{API}/meetings/")
    assert book["oneOf"] == [
        {"required": ["transaction"]},
        {"required": ["remark"]},
        {"required": ["team"]},
    ]
    # JSON cannot carry files; multipart can.
    assert book["properties"]["attachments"]["maxItems"] == 0
    multipart = _request_schema(schema, "post", f"{API}/meetings/", "multipart/form-data")
    assert multipart["properties"]["attachments"]["maxItems"] == 10


def test_downloads_have_their_real_media_types(schema):
    files = schema["paths"][f"{API}/files/{{uuid}}/"]["get"]["responses"]["200"]["content"]
    assert {"application/pdf", "image/png", "image/jpeg"} <= set(files)
    assert "application/octet-stream" not in files
    pdf = schema["paths"][f"{API}/documents/{{id}}/download/"]["get"]["responses"]["200"]
    assert set(pdf["content"]) == {"application/pdf"}


# --- bad filters and empty PATCHes are a 400 ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("transactions/", {"overdue": "perhaps"}, "overdue"),
        ("transactions/", {"queue": "yes please"}, "queue"),
        ("transactions/", {"status": ""}, "status"),
        ("transactions/", {"service": "not a code"}, "service"),
        ("meetings/", {"upcoming": "soon"}, "upcoming"),
        ("meetings/", {"kind": ""}, "kind"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_it(customer, path, query, field):
    response = api(customer).get(f"{API}/{path}", query)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {field}


def test_good_boolean_filter_values_still_filter(customer):
    client = api(customer)
    for value in ("true", "false", "1", "0"):
        assert client.get(f"{API}/transactions/", {"overdue": value}).status_code == 200
        assert client.get(f"{API}/meetings/", {"upcoming": value}).status_code == 200


def test_an_empty_patch_of_a_transaction_is_a_400(customer, service, private_media):
    t = draft(customer=customer, service=service)
    response = api(customer).patch(f"{API}/transactions/{t.pk}/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["non_field_errors"] == [
        "Send at least one field to change: title or data."
    ]
    changed = api(customer).patch(f"{API}/transactions/{t.pk}/", {"title": "New"}, format="json")
    assert (changed.status_code, changed.json()["title"]) == (200, "New")


def test_an_empty_patch_of_me_is_a_400(customer):
    response = api(customer).patch(f"{API}/me/", {}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["error"]["fields"]
    changed = api(customer).patch(f"{API}/me/", {"full_name": "Sara"}, format="json")
    assert (changed.status_code, changed.json()["full_name"]) == (200, "Sara")
