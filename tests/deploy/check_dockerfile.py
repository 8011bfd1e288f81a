#!/usr/bin/env python3
"""A dry run of the Dockerfile's dependency layer, where no image can be built.

The build stage copies the workspace's manifests, writes stub sources and builds the dependencies
alone. A workspace member added without its manifest copied, or a target without its stub, breaks
that layer only in a real image build; this copies what the stage copies into an empty directory,
runs the stage's first RUN with `cargo metadata --locked --offline` in place of the build, and
fails as that build would. Exits 1 with the reason.

    python3 tests/deploy/check_dockerfile.py    # from the repository's root
"""

import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = "cargo build --release --locked --package tenantry"
DRY_RUN = "cargo metadata --locked --offline --filter-platform x86_64-unknown-linux-gnu --format-version 1 >/dev/null"


def instructions(text):
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"^\s*#.*\n", "", text, flags=re.M)
    text = text.replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip()]


def main():
    steps = instructions((ROOT / "Dockerfile").read_text())
    stage = next(i for i, step in enumerate(steps) if re.match(r"FROM \S+ AS build$", step))
    work = Path(tempfile.mkdtemp())
    try:
        for step in steps[stage + 1 :]:
            if step.startswith("WORKDIR"):
                continue
            if step.startswith("COPY"):
                *sources, target = shlex.split(step)[1:]
                for source in sources:
                    destination = work / target
                    if target.endswith("/"):
                        destination.mkdir(parents=True, exist_ok=True)
                        destination = destination / Path(source).name
                    shutil.copy(ROOT / source, destination)
                continue
            if step.startswith("RUN"):
                command = step[len("RUN") :].strip()
                if BUILD not in command:
                    sys.exit(f"dockerfile check: the first RUN does not build with `{BUILD}`")
                dry = subprocess.run(
                    ["sh", "-ec", command.replace(BUILD, DRY_RUN)], cwd=work
                )
                if dry.returncode != 0:
                    sys.exit("dockerfile check: the dependency layer would not build (above)")
                print("the Dockerfile's dependency layer resolves the workspace with its stubs")
                return
            sys.exit(f"dockerfile check: unexpected step before the dependency build: {step}")
        sys.exit("dockerfile check: no RUN in the build stage")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
