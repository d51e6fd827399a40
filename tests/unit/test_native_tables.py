"""The native extension's Unicode tables are this Python's (native/gen_tables.py)."""

from __future__ import annotations

import importlib.util
import unicodedata

from tests.conftest import ROOT


def test_the_committed_tables_are_what_this_python_says() -> None:
    spec = importlib.util.spec_from_file_location("gen_tables", ROOT / "native" / "gen_tables.py")
    assert spec is not None
    assert spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = (ROOT / "native" / "src" / "tables.rs").read_text(encoding="utf-8")
    assert f'UNIDATA_VERSION: &str = "{unicodedata.unidata_version}"' in committed
    assert gen.render() == committed, "run native/gen_tables.py and rebuild (make setup)"
