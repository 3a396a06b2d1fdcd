"""Data Docs that work from a file share with no internet.

Great Expectations writes pages that load jQuery, Bootstrap, bootstrap-table, Font Awesome and Vega from
public CDNs and fetch its logo from the internet (with the context's id in the address); on a police network
they show an empty shell. ``make_offline`` rewrites a built site in place: the libraries come from
``assets/data_docs/`` (committed with their licences, see its README), copied into ``static/vendor/``;
every CDN address is pointed at its local copy (Vega, used by no page of ours, is dropped), the logo at the
copy GX ships in ``static/images/``, links out (GX's newsletter and tutorial footers, its home page) are
dropped, and each page declares a CJK font stack. Nothing is fetched when docs are built.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("assets") / "data_docs"
VENDOR = "static/vendor"
# CDN address in GX 1.24's templates -> the local copy under assets/data_docs/
CDN_ASSETS = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark/bootstrap-prefers-dark.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
}
# Loaded by every page but used only by charts of distribution expectations, which no suite of ours has (and
# vega's bundle holds numbers the PII scan reads as ID numbers): not vendored, the tags are dropped.
UNUSED_CDN_SCRIPTS = frozenset(
    {
        "https://cdn.jsdelivr.net/npm/vega@5",
        "https://cdn.jsdelivr.net/npm/vega-lite@5",
        "https://cdn.jsdelivr.net/npm/vega-embed@6",
    }
)
GX_WEB_ASSETS = re.compile(r"https://great-expectations-web-assets\.[^\"')\s]*")
LOCAL_LOGO = "static/images/logo-long.png"  # shipped with great_expectations, copied into every site
STYLESHEET = "fraudbrain.css"

_OUTSIDE = r"(?:https?:)?//(?!localhost[:/]|127\.0\.0\.1[:/])[^\"'\s>)]+"
_TAG = re.compile(r"<[a-z]+\b[^>]*>", re.I)
_LOCAL_TAG = re.compile(rf"<(?:script|link)\b[^>]*{VENDOR}/[^>]*>", re.I)
_CORS_ATTR = re.compile(r"""\s+(?:integrity|crossorigin)\s*=\s*(["'])[^"']*\1""", re.I)
_QUOTED_ATTR = re.compile(r"""\b(src|href)\s*=\s*(["'])(?P<url>[^"']*)\2""", re.I)
_SITE_STATIC = re.compile(r"^(?:\./|(?:\.\./)+)(?P<path>static/images/[^/]+)$")
_FOOTER = re.compile(r"<footer\b[^>]*>.*?</footer>", re.S | re.I)
_CTA_SCRIPT = re.compile(r"<script>\s*if \(sessionStorage\.getItem\(\"showCta\"\).*?</script>", re.S)
_LINK_OUT = re.compile(rf"<a\b[^>]*\bhref\s*=\s*[\"']{_OUTSIDE}[\"'][^>]*>(?P<text>.*?)</a>", re.S | re.I)
_TAG_OUT = re.compile(
    rf"<script\b[^>]*\bsrc\s*=\s*[\"']{_OUTSIDE}[\"'][^>]*>\s*</script>|<link\b[^>]*\bhref\s*=\s*[\"']{_OUTSIDE}[\"'][^>]*>",
    re.I,
)


def make_offline(site: Path) -> None:
    """Rewrite the Data Docs site in ``site`` (its index.html at the top) to load nothing from outside."""
    vendor = site / VENDOR
    shutil.rmtree(vendor, ignore_errors=True)
    shutil.copytree(ASSETS, vendor)
    for page in sorted(site.rglob("*")):
        if page.suffix not in (".html", ".css") or vendor in page.parents:
            continue
        root = os.path.relpath(site, page.parent).replace(os.sep, "/")
        text = page.read_text(encoding="utf-8")
        if page.suffix == ".css":  # GX's own style sheets: the dark-mode logo
            page.write_text(GX_WEB_ASSETS.sub(f"{root}/{LOCAL_LOGO}", text), encoding="utf-8")
        else:
            page.write_text(offline_html(text, root), encoding="utf-8")


def offline_html(text: str, root: str) -> str:
    """One page's HTML with its outside references made local; ``root`` is the site's folder from the page."""

    def local(path: str) -> str:
        return path if root == "." else f"{root}/{path}"

    def attr(m: re.Match) -> str:
        url = m.group("url")
        if url in CDN_ASSETS:
            return f'{m.group(1)}="{local(VENDOR + "/" + CDN_ASSETS[url])}"'
        static = _SITE_STATIC.match(url)
        if static:  # GX counts the folders of validation pages one short for the favicon
            return f'{m.group(1)}="{local(static.group("path"))}"'
        return m.group(0)

    text = _TAG.sub(lambda m: _QUOTED_ATTR.sub(attr, m.group(0)), text)
    # a local copy is no CORS request: with `crossorigin` Chromium refuses file: scripts, and `integrity` pins
    # the CDN's bytes
    text = _LOCAL_TAG.sub(lambda m: _CORS_ATTR.sub("", m.group(0)), text)
    for url in UNUSED_CDN_SCRIPTS:
        text = text.replace(f'<script src="{url}"></script>', "")
    if "vegaEmbed(" in text:
        log.warning("Data Docs: a page draws a Vega chart, which needs vega (not vendored): it shows no chart")
    text = GX_WEB_ASSETS.sub(local(LOCAL_LOGO), text)
    text = _FOOTER.sub(lambda m: "" if re.search(_OUTSIDE, m.group(0)) else m.group(0), text)
    text = _CTA_SCRIPT.sub("", text)
    text = _LINK_OUT.sub(lambda m: m.group("text"), text)
    for leftover in _TAG_OUT.findall(text):
        log.warning("Data Docs: dropped a reference to outside the site: %s", leftover[:200])
    text = _TAG_OUT.sub("", text)
    sheet = f'<link rel="stylesheet" href="{local(VENDOR + "/" + STYLESHEET)}">'
    return text.replace("</head>", f"    {sheet}\n  </head>", 1)
