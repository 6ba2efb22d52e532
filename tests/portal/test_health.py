import pytest


def test_healthz_reports_database_and_eager_celery(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["celery"].startswith("eager")


@pytest.mark.worker
def test_healthz_sees_redis_and_a_real_worker(client, celery_worker):
    body = client.get("/healthz").json()
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["celery"].startswith("ok (1 worker")
    assert body["status"] == "ok"


def test_healthz_reports_unreachable_broker_as_503(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")
