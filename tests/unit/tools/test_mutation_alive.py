"""tools.mutation's run of the survivors alone: the verdicts it keeps, and its refusal when the mutated
sources changed since the run it takes the survivors of (mutmut would then number other mutants)."""

import json
import shutil

import pytest

from tools.mutation import runner
from tools.mutation.targets import target


def test_changed_sources_are_found_file_by_file(tmp_path):
    store = target("client.core.store")  # a folder of sources
    for source in store.sources:
        shutil.copytree(runner.ROOT / source, tmp_path / source)
    assert runner.changed_sources(store, tmp_path) == []
    edited = tmp_path / "client/core/store/keys.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    (tmp_path / "client/core/store/migrations.py").unlink()
    assert runner.changed_sources(store, tmp_path) == [
        "client/core/store/keys.py",
        "client/core/store/migrations.py",
    ]


def test_saved_verdicts_are_read_back_and_a_copy_without_a_run_has_none(tmp_path):
    assert runner.verdicts(tmp_path) == {}
    (tmp_path / runner.VERDICTS).write_text(json.dumps({"m1": "killed", "m2": "survived"}))
    assert runner.verdicts(tmp_path) == {"m1": "killed", "m2": "survived"}


def test_survivors_alone_need_an_earlier_run(tmp_path):
    with pytest.raises(ValueError, match="no earlier run"):
        runner.run(target("shared.uin"), workdir=tmp_path, alive_only=True)
