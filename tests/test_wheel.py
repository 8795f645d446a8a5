"""`make wheel`: the file a teacher hands out carries MNIST and the metrics' classifiers
beside the code, so once installed (its dependencies come from PyPI) it trains offline."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_the_code_the_data_and_the_classifiers(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    [wheel] = tmp_path.glob("gankit-*-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for part in ("gankit/exercises.py", "gankit/errors_fr.py", "gankit/cli.py",
                 "gankit/assets/mnist/train-images-idx3-ubyte.gz",
                 "gankit/assets/mnist/t10k-labels-idx1-ubyte.gz",
                 "gankit/assets/classifiers/mnist.safetensors",
                 "gankit/assets/classifiers/fashion-mnist.safetensors"):
        assert part in names, part
    assert not any(name.startswith(("tests/", "notebooks/", "docs/")) for name in names)
