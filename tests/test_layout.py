"""One import namespace from the top-level folders, in editable and regular installs."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_namespace_maps_top_level_folders():
    import tilewright.cosim.runner
    import tilewright.flows.generate
    import tilewright.gen.mac_lane
    import tilewright.golden.mac_lane
    for module, folder in ((tilewright.gen.mac_lane, "gen"), (tilewright.golden.mac_lane, "golden"),
                           (tilewright.cosim.runner, "cosim"), (tilewright.flows.generate, "flows")):
        assert Path(module.__file__).resolve().parent.name in (folder, folder.split("/")[-1])


def test_regular_wheel_contains_every_package(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True)
    wheel, = tmp_path.glob("tilewright-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for member in ("tilewright/cli.py", "tilewright/gen/mac_lane.py",
                   "tilewright/golden/mac_lane.py", "tilewright/cosim/tb_mac_lane.py",
                   "tilewright/flows/generate.py", "tilewright/presets/acceltran-edge.toml"):
        assert member in names
