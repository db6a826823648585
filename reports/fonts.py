"""The report's font, and a system check that fontconfig, which WeasyPrint uses, has it."""

from django.core import checks

# The font family the report stylesheet names. A machine without it renders the report
# in a fallback font, or in boxes when it has no fonts at all: install fonts-dejavu-core.
REPORT_FONT_FAMILY = "DejaVu Sans"

# FcMatchPattern in fontconfig's FcMatchKind enum.
_FC_MATCH_PATTERN = 0


def matched_font_family(family: str) -> str:
    """Return the family fontconfig picks for a request of `family`.

    NOTE: this uses the fontconfig bindings inside WeasyPrint (weasyprint.text.ffi,
    version 70), which are not a public API and may change in a later release.
    """
    from weasyprint.text.ffi import ffi, fontconfig

    config = fontconfig.FcInitLoadConfigAndFonts()
    pattern = fontconfig.FcPatternCreate()
    try:
        fontconfig.FcPatternAddString(pattern, b"family", family.encode())
        fontconfig.FcConfigSubstitute(config, pattern, _FC_MATCH_PATTERN)
        fontconfig.FcDefaultSubstitute(pattern)
        result = ffi.new("FcResult *")
        match = fontconfig.FcFontMatch(config, pattern, result)
        if match == ffi.NULL:
            return ""
        try:
            name = ffi.new("FcChar8 **")
            if fontconfig.FcPatternGetString(match, b"family", 0, name) != 0:
                return ""
            return ffi.string(name[0]).decode()
        finally:
            fontconfig.FcPatternDestroy(match)
    finally:
        fontconfig.FcPatternDestroy(pattern)
        fontconfig.FcConfigDestroy(config)


def check_report_font(family: str = REPORT_FONT_FAMILY) -> list[checks.CheckMessage]:
    matched = matched_font_family(family)
    if matched.casefold() == family.casefold():
        return []
    fallback = repr(matched) if matched else "no font at all"
    return [
        checks.Warning(
            f"Font {family!r} is not installed, so PDF reports fall back to {fallback}.",
            hint="Install the fonts-dejavu-core package (Debian and Ubuntu).",
            id="reports.W001",
        )
    ]


@checks.register(checks.Tags.compatibility)
def report_font_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when the machine lacks the font the reports name."""
    return check_report_font()
