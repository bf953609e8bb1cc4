"""The self-hosted GraphiQL / Swagger UI pages load nothing from outside."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from core import docs_pages
from core.docs_pages import graphiql_html, static_app, static_dir, swagger_html

GRAPHIQL_PREFIX = "/graphql/static"
SWAGGER_PREFIX = "/api/docs/static"


class _Refs(HTMLParser):
    """Collects the URLs a page loads: <script src>, <link href>, <img src>."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.refs.append((tag, a["src"]))
        elif tag == "link" and a.get("href"):
            self.refs.append((tag, a["href"]))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _refs(page: str) -> _Refs:
    parser = _Refs()
    parser.feed(page)
    return parser


PAGES = [
    pytest.param("graphiql", graphiql_html, GRAPHIQL_PREFIX, id="graphiql"),
    pytest.param("swagger", swagger_html, SWAGGER_PREFIX, id="swagger"),
]


@pytest.mark.parametrize(("kind", "render", "prefix"), PAGES)
def test_page_loads_nothing_from_outside(kind, render, prefix):
    page = render()
    refs = _refs(page).refs
    assert any(tag == "script" for tag, _ in refs)
    for tag, url in refs:
        if url.startswith("data:"):
            continue  # inline favicon
        assert not url.lower().startswith(("http://", "https://", "//")), (tag, url)
        assert url.startswith(prefix + "/"), (tag, url)
    assert "{{" not in page and "}}" not in page


@pytest.mark.parametrize(("kind", "render", "prefix"), PAGES)
def test_every_referenced_asset_exists(kind, render, prefix):
    directory = static_dir(kind)
    for _tag, url in _refs(render()).refs:
        if url.startswith("data:"):
            continue
        name = url[len(prefix) + 1 :]
        assert (directory / name).is_file(), f"{url} -> missing {directory / name}"


def test_titles():
    assert _refs(graphiql_html()).title == "learngraph — GraphiQL"
    assert _refs(swagger_html()).title == "learngraph — REST API"


def test_placeholders_substituted_and_escaped():
    page = graphiql_html("/custom/prefix/")
    assert '<script src="/custom/prefix/graphiql.min.js">' in page
    assert 'data-graphql-path="/graphql"' in page

    page = swagger_html(static_prefix="/s", openapi_url='/o.json?a=1&b="x"')
    assert '<script src="/s/swagger-ui-bundle.js">' in page
    assert 'data-openapi-url="/o.json?a=1&amp;b=&quot;x&quot;"' in page


def test_static_dir_does_not_depend_on_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert static_dir("graphiql").is_absolute()
    assert (static_dir("graphiql") / "index.html").is_file()
    assert Path(static_app("swagger").directory) == static_dir("swagger")


def test_unknown_kind_rejected():
    with pytest.raises(ValueError):
        static_app("redoc")


@pytest.mark.parametrize("kind", docs_pages.KINDS)
def test_vendored_dirs_have_versions_and_licenses(kind):
    directory = static_dir(kind)
    assert (directory / "VERSIONS.txt").is_file()
    assert list(directory.glob("LICENSE*"))
    total = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    assert total < 3 * 1024 * 1024, f"{kind} assets grew to {total} bytes"


def _client() -> TestClient:
    app = Starlette(
        routes=[
            Mount(GRAPHIQL_PREFIX, app=static_app("graphiql")),
            Mount(SWAGGER_PREFIX, app=static_app("swagger")),
        ]
    )
    return TestClient(app)


def test_static_app_serves_javascript():
    with _client() as client:
        response = client.get(f"{GRAPHIQL_PREFIX}/graphiql.min.js")
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]
        assert len(response.content) > 100_000

        assert client.get(f"{GRAPHIQL_PREFIX}/no-such-file.js").status_code == 404


@pytest.mark.parametrize(("kind", "render", "prefix"), PAGES)
def test_every_referenced_asset_is_served(kind, render, prefix):
    with _client() as client:
        for _tag, url in _refs(render()).refs:
            if url.startswith("data:"):
                continue
            assert client.get(url).status_code == 200, url
