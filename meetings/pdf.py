"""PDF of minutes through WeasyPrint (Pango/HarfBuzz shape Devanagari correctly).

WeasyPrint needs Debian's pango at import time; where it is missing the import raises
``OSError``, and the pages offer no PDF instead of failing.
"""

from __future__ import annotations

import functools
import logging

logger = logging.getLogger(__name__)


@functools.cache
def _weasyprint():  # type: ignore[no-untyped-def]
    try:
        import weasyprint
    except (ImportError, OSError):
        logger.warning("WeasyPrint or its system libraries are missing: PDF export is off")
        return None
    return weasyprint


def pdf_available() -> bool:
    return _weasyprint() is not None


def html_to_pdf(html: str) -> bytes:
    """Render; the HTML must not reference remote resources (none are fetched)."""
    weasyprint = _weasyprint()
    if weasyprint is None:
        raise RuntimeError("PDF export is unavailable")

    def no_fetch(url: str, *args: object, **kwargs: object) -> dict:
        raise ValueError(f"remote resources are not fetched: {url[:40]}")

    return weasyprint.HTML(string=html, url_fetcher=no_fetch).write_pdf()
