"""A Spanish-speaking visitor gets the words around the content in Spanish; others in English."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_the_front_page_speaks_the_visitors_language(client: TestClient) -> None:
    spanish = client.get("/", headers={"Accept-Language": "es-AR,es;q=0.9,en;q=0.5"})
    assert spanish.status_code == 200
    assert "Ir al contenido" in spanish.text
    assert "Eventos y redes" in spanish.text
    assert '<html lang="es">' in spanish.text

    english = client.get("/", headers={"Accept-Language": "de, en;q=0.5"})
    assert "Skip to content" in english.text
    assert '<html lang="en">' in english.text
