"""The browser harness itself can fail: axe-core finds a real violation, with the page's CSP on."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.harness.browser import axe_violations


def test_axe_core_reports_an_unlabelled_form_field_and_an_image_without_alt(page: Page) -> None:
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title>'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'"></head>'
        '<body><main><h1>Register</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<form><input type="text"></form></main></body></html>'
    )
    rules = {v.rule for v in axe_violations(page, impacts=("serious", "critical"))}
    assert {"image-alt", "label"} <= rules, rules
