"""The coach email and the page agree: following each email's link (coach and week) shows
exactly the apprentices the email named as newly Red, on the warehouse the emails came from."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from pipeline_health.dashboard.app import AUTHENTICATED, create_app
from pipeline_health.dashboard.publish import publish
from pipeline_health.dashboard.reader import DuckDBReader

ID = r"APP-\d{6}"


def test_each_email_link_opens_the_page_on_the_same_newly_red_apprentices(built, tmp_path) -> None:
    published = publish(built.path, tmp_path / "published.duckdb").path
    app = create_app(lambda: DuckDBReader(published))
    app.dependency_overrides[AUTHENTICATED] = lambda: None
    client = TestClient(app)
    checked = 0
    for week, messages in built.emails.items():
        for message in messages:
            text = message.get_body(preferencelist=("plain",)).get_content()
            emailed = set(re.findall(rf"\(({ID})\)", text))
            link = re.search(r"https?://\S+", text).group(0)
            query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
            assert query["week"] == week.isoformat()
            html = client.get("/", params=query).text
            rows = re.findall(r'<tr class="([^"]*)" data-apprentice="([^"]+)"', html)
            shown_newly_red = {apprentice for css, apprentice in rows if "newly-red" in css}
            assert emailed and shown_newly_red == emailed, (week, query["coach"])
            checked += 1
    assert checked >= 3, "the test warehouse should have sent several coach emails"
