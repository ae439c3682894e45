"""The binary: where it is found, its version, and how its errors arrive."""

import os
import re
import shutil
from pathlib import Path

import pytest

import c2s
from c2s import _binary

from conftest import REPO


def test_version_agrees_with_binary_and_swift_source(binary):
    swift = (REPO / "Sources" / "Mechanics" / "Version.swift").read_text()
    swift_version = re.search(r'static let string = "([^"]+)"', swift).group(1)
    assert c2s.__version__ == swift_version
    assert c2s.binary_version() == swift_version


def test_c2s_bin_is_used_first(binary, tmp_path, monkeypatch):
    link = tmp_path / "my-c2s"
    link.symlink_to(binary)
    monkeypatch.setenv("C2S_BIN", str(link))
    assert c2s.find_binary() == link
    assert c2s.binary_version() == c2s.__version__


def test_c2s_bin_that_is_not_a_binary_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("C2S_BIN", str(tmp_path / "missing"))
    with pytest.raises(c2s.BinaryNotFoundError, match="C2S_BIN=.*missing.*make build"):
        c2s.find_binary()


def test_path_then_repository_build(binary, tmp_path, monkeypatch):
    monkeypatch.delenv("C2S_BIN", raising=False)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(binary, bindir / "c2s")
    monkeypatch.setenv("PATH", str(bindir))
    assert c2s.find_binary() == bindir / "c2s"
    # Nothing on PATH: the repository's .build/release/c2s when the package runs from a checkout.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    repo_binary = _binary._repository_binary()
    if Path(c2s.__file__).resolve().is_relative_to(REPO):
        assert repo_binary == REPO / ".build" / "release" / "c2s"
    else:
        assert repo_binary is None  # installed into site-packages
    fake = tmp_path / "repo-c2s"
    shutil.copy(binary, fake)
    monkeypatch.setattr(_binary, "_repository_binary", lambda: fake)
    assert c2s.find_binary() == fake


def test_no_binary_anywhere_says_how_to_build(tmp_path, monkeypatch):
    monkeypatch.delenv("C2S_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(_binary, "_repository_binary", lambda: tmp_path / ".build/release/c2s")
    with pytest.raises(c2s.BinaryNotFoundError) as info:
        c2s.find_binary()
    assert "make build" in str(info.value) and "C2S_BIN" in str(info.value)


def test_binary_error_is_c2s_error_with_its_message_and_code(binary, tmp_path):
    missing = tmp_path / "no-such-file.h5ad"
    with pytest.raises(c2s.C2SError) as info:
        c2s.convert(missing, tmp_path / "out")
    error = info.value
    assert error.returncode == 2
    assert "no-such-file.h5ad" in error.message
    assert "no such file" in error.message
    assert str(error).startswith("c2s convert failed (exit code 2): ")
    assert "no-such-file.h5ad" in str(error)
    assert error.command[0] == str(binary) and error.command[1] == "convert"
    assert not (tmp_path / "out").exists()


def test_failed_run_leaves_no_temporary_folder(binary, tmp_path, monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(c2s.C2SError):
        c2s.convert(tmp_path / "missing.h5ad")
    with pytest.raises(c2s.C2SError):
        c2s.report(training_log=tmp_path / "missing.jsonl", display=False)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_bad_command_line_is_exit_code_64(binary, tmp_path):
    with pytest.raises(c2s.C2SError) as info:
        c2s.convert(tmp_path / "x.h5ad", tmp_path / "out", extra_args=["--no-such-flag"])
    assert info.value.returncode == 64
    assert str(info.value).startswith("c2s convert failed (exit code 64)")
    assert "--no-such-flag" in info.value.message


def test_data_wrong_for_the_task_is_exit_code_3(sim, tmp_path):
    # Readable data, but the filters leave nothing to convert.
    with pytest.raises(c2s.C2SError) as info:
        c2s.convert(sim.path, tmp_path / "none", min_genes=100000)
    assert info.value.returncode == 3, info.value
    assert "nothing to convert" in info.value.message


def test_selection_of_no_cells_names_the_file(sim):
    with pytest.raises(c2s.C2SError) as info:
        c2s.reconstruct(sim.sentences, where={"cell_type": "no such type"})
    assert info.value.returncode == 2
    assert "cells.jsonl" in info.value.message and "no line" in info.value.message


def test_run_returns_stdout_and_streams_stderr(sim):
    lines = []
    text = c2s.run(["inspect", sim.sentences])
    assert "cells" in text and os.fspath(sim.sentences.path.name) in text
    c2s.run(["reconstruct", sim.sentences, "-o", sim.root / "r.h5ad", "--overwrite"],
            progress=lines.append)
    assert any(l.startswith("400 sentences -> ") for l in lines), lines


def test_progress_true_writes_the_lines_to_stderr(sim, capsys):
    c2s.reconstruct(sim.sentences, progress=True)
    assert "400 sentences -> " in capsys.readouterr().err


def test_interrupt_stops_the_binary(sim, tmp_path):
    import time

    def interrupt(line):
        if line.startswith("training: step"):
            raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        c2s.train(sim.prompts, tmp_path / "model", new_model="gpt_neox", tokenizer=sim.tokenizer,
                  hidden_size=32, layers=1, heads=2, context=96, max_steps=1_000_000,
                  batch_size=16, log_every=1, progress=interrupt)
    assert time.monotonic() - start < 60  # a million steps were not run
    assert not (tmp_path / "model" / "model.safetensors").exists()
