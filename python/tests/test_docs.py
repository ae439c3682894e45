"""docs/python.md's worked example runs as a script (with scanpy, on kang-ifnb-sub2k) and does
what it says: every cell annotated with a learned label, well above chance on the test cells."""

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

CHECKS = '''
labels = set(model.labels)
assert len(labels) == 13, labels
assert adata.obs["c2s_label"].notna().all()
assert set(adata.obs["c2s_label"]) <= labels
assert list(adata.obs["c2s_label"].cat.categories) == model.labels
assert adata.obsm["X_c2s"].shape == (adata.n_obs, 64)
assert "X_umap" in adata.obsm and "X_c2s_umap" in adata.obsm
assert metrics["metrics"]["accuracy"] > 0.3, metrics["metrics"]["accuracy"]  # chance: 1/13
assert page.is_file() and "kang: c2s annotation" in page.read_text()
print("DOCS EXAMPLE OK")
'''


def test_worked_example_runs(binary, kang_path, tmp_path):
    pytest.importorskip("scanpy")
    text = (REPO / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    script = "\n".join(blocks)
    data_line = 'DATA = "../shared/data/kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad"'
    assert data_line in script
    script = script.replace(data_line, f"DATA = {str(kang_path)!r}")
    # c2s.umap is mentioned in prose; run it too.
    script += '\nc2s.umap(adata, use_rep="X_c2s", epochs=50)\n' + CHECKS
    (tmp_path / "example.py").write_text(script)
    env = dict(os.environ, MPLBACKEND="Agg", C2S_BIN=str(binary))
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "DOCS EXAMPLE OK" in done.stdout
    accuracy = re.search(r"test cells: 200, accuracy ([0-9.]+)", done.stdout)
    assert accuracy, done.stdout
