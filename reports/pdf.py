"""HTML to PDF with WeasyPrint, fetching only the report's own static files.

By default WeasyPrint fetches every URL or file a document names: images, stylesheets,
`@import`, attachments. A report contains user text, so it is rendered with
`ReportURLFetcher`, which serves the files listed in REPORT_ASSETS and raises for any
other URL, whatever its scheme (http, https, file, data, ftp).
"""

import logging
import mimetypes
from pathlib import Path

import weasyprint
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

ASSET_SCHEME = "report-asset"

# Static files a report may load, by their staticfiles name.
REPORT_ASSETS = frozenset({"reports/report.css"})


class ReportAssetError(ValueError):
    """A document asked for a URL that the report renderer does not serve."""


def asset_url(name: str) -> str:
    """Return the URL a report template uses for one of REPORT_ASSETS."""
    if name not in REPORT_ASSETS:
        raise ReportAssetError(f"{name!r} is not a report asset: add it to REPORT_ASSETS.")
    return f"{ASSET_SCHEME}:{name}"


class ReportURLFetcher(URLFetcher):
    """Serve REPORT_ASSETS from the project's static files and raise for any other URL.

    A document only names an asset. The staticfiles finders decide which file that is,
    so no URL in a document reaches the network or the file system.
    """

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        name = url.removeprefix(f"{ASSET_SCHEME}:")
        if name == url or name not in REPORT_ASSETS:
            logger.warning("Blocked a report resource: %.200s", url)
            raise ReportAssetError(f"Reports load no external resource: {url[:200]!r}.")

        path = finders.find(name)
        if path is None:
            raise ReportAssetError(f"Report asset {name!r} is missing from the static files.")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, Path(path).read_bytes(), headers={"Content-Type": content_type}
        )


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes with ReportURLFetcher.

    The document has no base URL, so relative links resolve to nothing.
    """
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=ReportURLFetcher())
    return document.write_pdf()
