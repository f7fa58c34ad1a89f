import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_page_and_csv_render(personas, login):
    for key in ("convenor", "media_member"):
        c = login(personas[key])
        r = c.get(reverse("dashboard:dashboard"))
        assert r.status_code == 200
        r = c.get(reverse("dashboard:csv"))
        assert r.status_code == 200
