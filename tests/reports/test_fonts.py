from reports.fonts import REPORT_FONT_FAMILY, check_report_font, matched_font_family


def test_report_font_is_installed():
    assert matched_font_family(REPORT_FONT_FAMILY) == REPORT_FONT_FAMILY
    assert check_report_font() == []


def test_missing_font_warns():
    messages = check_report_font("No Such Family 0f3c")

    assert [message.id for message in messages] == ["reports.W001"]
    assert "'No Such Family 0f3c' is not installed" in messages[0].msg
    assert "fonts-dejavu-core" in messages[0].hint
