"""The catalogs: every string of the pages is extracted, translated to Chinese and compiled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "api" / "translations"
ZH = CATALOGS / "zh_Hans_CN" / "LC_MESSAGES"


def extracted_ids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(pot),
            "api/web",
            "api/templates/web",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_every_page_string_has_a_chinese_translation(tmp_path):
    with (ZH / "messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = extracted_ids(tmp_path) - translated
    assert not missing, f"run pybabel update and translate: {sorted(missing)}"


def test_the_compiled_catalog_matches_its_source():
    with (ZH / "messages.po").open("rb") as f:
        source = {m.id: m.string for m in read_po(f) if m.id}
    with (ZH / "messages.mo").open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == source, "run pybabel compile -d api/translations"
