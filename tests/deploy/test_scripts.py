"""shellcheck on every shell script under deploy/."""

from __future__ import annotations

import shutil

import pytest

from tests.deploy.conftest import DEPLOY, run

SCRIPTS = sorted([*DEPLOY.rglob("*.sh"), DEPLOY / "bin/kiosk"])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(DEPLOY)))
def test_shellcheck(script) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (Debian package shellcheck)")
    # -x -P SCRIPTDIR: follow `. lib.sh` next to the script.
    result = run(["shellcheck", "-x", "-P", "SCRIPTDIR", script])
    assert result.returncode == 0, result.stdout
