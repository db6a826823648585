from pathlib import Path

from integrations.fakes import FakeVendors


def test_fakes_remove_key_files_on_stop():
    with FakeVendors() as fakes:
        bundle = Path(fakes.ca_bundle)
        assert bundle.is_file()

    assert not bundle.parent.exists()
