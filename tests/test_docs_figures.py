"""Figures the docs pages quote from the code's presets and defaults, checked against the code.

A figure copied from a preset table or a default into prose stays the same when the code changes,
and a reader who finds one stale trusts none. Checked here where the check is cheap (no clip is
filmed, no model trained):

- docs/dataset.md, "Presets": each preset's row (subjects, lightings, repetitions, clip length,
  lr face box, hd ROI, scene and truth rates, RGB size) against
  :data:`evface.datasets.synth_plan.PRESETS` and the ROI :func:`evface.rig.geometry.rig_geometry`
  gives it;
- docs/dataset.md, "Benchmark": how many clips ``evface bench synth`` films of each preset, against
  the plan it films (:func:`evface.datasets.synth_plan.plan_clips` of one subject, one class);
- docs/results.md: how many training clips a ``make run`` classifier trains on, against the folds
  :func:`evface.tasks.stats.subject_parts` deals ``quick``'s subjects into;
- docs/representations.md, the table of transforms: each field's default against the transform's
  dataclass;
- docs/file-formats.md and docs/representations.md, "Speed": that the section names the date, the
  CPU (as ``lscpu`` names it) and the command of its figures.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

import evface
from evface.datasets import synth_plan
from evface.events import transforms
from evface.face.aus import DEFAULT_CLASSES
from evface.pipeline.stage_plan import PRESETS as RUN_PRESETS
from evface.rig.lighting import LIGHTING
from evface.rig.geometry import renderer_face_fraction, rig_geometry
from evface.tasks.configs import ClassifyConfig
from evface.tasks.stats import subject_parts

DOCS = Path(evface.__file__).parent.parent / "docs"


def _table(text: str, first_header: str) -> list[list[str]]:
    """The rows (cells) of the Markdown table whose first header cell is ``first_header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _preset_row(cells: list[str]) -> dict[str, object]:
    """What one row of dataset.md's preset table says, in the units of the code."""
    _, subjects, _, lightings, reps, clip, lr_face, roi, rates, rgb = cells
    scene, truth = re.fullmatch(r"(\d+) / (\d+) Hz", rates).groups()
    return {
        "subjects": int(subjects.split()[0]),
        "photo subject": "astronaut" in subjects,
        "lightings": lightings,
        "repetitions": int(reps),
        "duration_us": round(float(clip.removesuffix(" s")) * 1e6),
        "lr_face_px": float(lr_face.removesuffix(" px")),
        "roi": tuple(int(v) for v in roi.split("x")),
        "rates": (float(scene), float(truth)),
        "rgb_size": tuple(int(v) for v in re.match(r"(\d+)x(\d+)", rgb).groups()),
    }


def _code_row(preset: synth_plan.SynthPreset) -> dict[str, object]:
    """The same figures from the preset itself."""
    return {
        "subjects": preset.n_subjects,
        "photo subject": preset.builtin_photos,
        "repetitions": preset.repetitions,
        "duration_us": preset.timeline.duration_us,
        "lr_face_px": preset.rig.lr_face_px,
        "roi": rig_geometry(renderer_face_fraction(), preset.rig).roi[2:],
        "rates": (preset.rig.scene_rate_hz, preset.rig.truth_rate_hz),
        "rgb_size": preset.rig.rgb_size,
    }


DATASET_PAGE = (DOCS / "dataset.md").read_text(encoding="utf-8")
PRESET_ROWS = {cells[0].strip("`"): cells for cells in _table(DATASET_PAGE, "preset")
               if cells[0].strip("`") in synth_plan.PRESETS}


def test_the_preset_table_lists_every_preset():
    assert sorted(PRESET_ROWS) == sorted(synth_plan.PRESETS)


@pytest.mark.parametrize("name", sorted(synth_plan.PRESETS))
def test_the_preset_table_gives_the_presets_figures(name):
    said, preset = _preset_row(PRESET_ROWS[name]), synth_plan.PRESETS[name]
    lightings = said.pop("lightings")
    assert said == _code_row(preset)
    if lightings != "all four":
        assert [light for light in LIGHTING if light in lightings] == list(preset.lightings)
    else:
        assert sorted(preset.lightings) == sorted(LIGHTING)
    assert ("in turn" in lightings) == preset.rotate_lightings


def _bench_clips(name: str) -> int:
    """The clips ``evface bench synth`` films of preset ``name``: one subject (and the preset's photo
    subject), the first default class, every lighting and repetition of the plan."""
    preset = synth_plan.get_preset(name)
    subjects, _ = synth_plan.plan_subjects(preset, 0, n_subjects=1)
    label = next(iter(DEFAULT_CLASSES))
    return len(synth_plan.plan_clips(subjects, {label: DEFAULT_CLASSES[label]}, preset.lightings,
                                     preset.repetitions, preset.rotate_lightings))


def test_the_benchmark_section_counts_the_clips_bench_synth_films():
    section = DATASET_PAGE[DATASET_PAGE.index("## Benchmark"):]
    said = re.search(r"(\d+), (\d+) and (\d+) clips", section)
    assert said, "dataset.md, Benchmark: no 'A, B and C clips' for quick, full and paper"
    assert [int(v) for v in said.groups()] == [_bench_clips(name) for name in ("quick", "full", "paper")]


def test_results_count_the_clips_a_make_run_classifier_trains_on():
    quick = synth_plan.PRESETS["quick"]
    rows = [{"subject": f"s{s:03d}"} for s in range(quick.n_subjects) for _ in DEFAULT_CLASSES]
    parts = subject_parts(rows, RUN_PRESETS["quick"]["classify_folds"], ClassifyConfig().val_fraction, 0.0)
    sizes = sorted(len(part["train"]) for part in parts)
    said = re.search(r"on (\d+)-(\d+) training clips", (DOCS / "results.md").read_text(encoding="utf-8"))
    assert said, "results.md: no 'on N-M training clips'"
    assert (int(said[1]), int(said[2])) == (sizes[0], sizes[-1])


def _said_defaults(fields: str) -> dict[str, object]:
    """The defaults a transform table's fields cell gives (``dt_us=10_000``), read as a signature;
    a value that is no literal describes a field's form (``roi=(x0, y0, w, h)``) and is left out."""
    code = re.match(r"`([^`]*)`", fields)
    signature = ast.parse(f"def f({code[1] if code else ''}): pass").body[0].args
    said = {}
    with_defaults = signature.args[len(signature.args) - len(signature.defaults):]
    for arg, default in zip(with_defaults, signature.defaults, strict=True):
        try:
            said[arg.arg] = ast.literal_eval(default)
        except ValueError:
            continue
    return said


TRANSFORM_ROWS = [cells for cells in _table((DOCS / "representations.md").read_text(encoding="utf-8"),
                                            "transform")]


def test_the_transform_table_is_found():
    assert len(TRANSFORM_ROWS) >= 10


@pytest.mark.parametrize("cells", TRANSFORM_ROWS, ids=[cells[0] for cells in TRANSFORM_ROWS])
def test_the_transform_table_gives_each_fields_default(cells):
    for name in re.findall(r"`(\w+)`", cells[0]):
        fields = {f.name: f.default for f in dataclasses.fields(getattr(transforms, name))}
        said = _said_defaults(cells[2])
        assert set(said) <= set(fields), f"{name}: {sorted(set(said) - set(fields))} are no fields"
        for field, value in said.items():
            assert fields[field] is not dataclasses.MISSING, f"{name}.{field} has no default"
            assert value == fields[field], f"{name}.{field}: the page says {value!r}, the code {fields[field]!r}"


SPEED_PAGES = ("file-formats.md", "representations.md")
"""Pages whose "Speed" section quotes events/s figures."""
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
LSCPU = re.compile(r'Model name "[^"]+", CPU\s+family \d+, model \d+, \d+ cores')


def _speed_section(text: str) -> str:
    """The lines of the page's ``## Speed`` section, up to the next ``## `` heading."""
    lines = text.splitlines()
    start = lines.index("## Speed")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end])


def speed_section_gaps(text: str) -> list[str]:
    """What a page's speed section leaves out of date, CPU (as ``lscpu`` names it) and command."""
    section = _speed_section(text)
    gaps = [] if DATE.search(section) else ["a date"]
    gaps += [] if LSCPU.search(section) else ['the CPU as lscpu names it (Model name "...", CPU family, model, cores)']
    return gaps + ([] if "evface bench io" in section else ["the command, evface bench io"])


@pytest.mark.parametrize("page", SPEED_PAGES)
def test_a_speed_section_names_its_date_cpu_and_command(page):
    """The guide's rule: every speed figure with the CPU it was measured on, and when and how."""
    assert speed_section_gaps((DOCS / page).read_text(encoding="utf-8")) == []


def test_the_speed_check_tells_a_figure_without_its_date_or_cpu():
    done = ('## Speed\n\n`evface bench io` on 2026-12-07 (`lscpu`: Model name "AMD EPYC", CPU family 25, '
            "model 17, 2 cores): 39 M events/s\n\n## Next\n2026-11-26")
    assert speed_section_gaps(done) == []
    assert speed_section_gaps(done.replace("2026-12-07", "a day")) == ["a date"]  # the next section's date is not its
    assert len(speed_section_gaps("## Speed\n\nOn the 2-core AMD EPYC development machine: 39 M events/s")) == 3
