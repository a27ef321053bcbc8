"""Claims of the docs pages that can be checked against the code or against themselves.

**Signatures.** A function quoted with its parameters' names, ``where(path, message)``, names
parameters the function has, in its order: a renamed parameter leaves a page that sends a reader
to a keyword the function refuses. Checked: every inline code span ``name(a, b, c=...)`` or
``Class.method(a, ...)`` whose first item is a parameter's name in lower case (a call with a value
first, ``read_clip("c.h5")``, ``synthesize(OUT, ...)``, ``iter_events_file(..., sort=True)``, is
an example, not a signature), where ``name`` is a function, class or method defined in ``evface``
(any of that name; one taking ``**kwargs`` takes any other name). reliability.md is left out: its
calls give bad values on purpose, named for what they hold (``Denoise(size, nan)``).

**Paired differences.** The docs pages mark a paired difference bold exactly where its 95 %
interval excludes 0. The project's rule: a difference is claimed only where its interval excludes zero, and then it is
shown bold. Checked on every docs page's tables of paired differences. A table is one when a
header cell or a row's label is a difference, ``A − B`` (a minus sign U+2212 between spaces), or a
header says ``(paired)``:

- a first header cell that is a difference (``A − B``, ``CVAE − method``) makes every row a
  difference: every column holds claims but those of :data:`NOT_CLAIMS` and those whose header
  sets two scores side by side (``CVAE / UNet SSIM``: a ``/``, not a ``−``);
- otherwise only the columns headed by a difference (``hd − lr, face``) or ``(paired)``, and the
  rows whose label is a difference (``CVAE − UNet``), hold claims.

Every ``value [lo, hi]`` or ``[lo, hi]`` in a claim cell is bold if and only if both bounds have
one sign (a bound printed ``+0.0``, ``0.000`` or ``−0.0`` is zero, so the interval includes 0),
and a row's label is never bold (bold means a claim, and the label holds no interval). Tables of
scores (one method's value with its interval) name no difference and are not checked: their
intervals are not claims of a difference. The two-level tables' "subjects" column and verdict are
left out: the verdict follows the interval over subjects and seeds (or trainings), so the narrower
subject interval beside it is not a claim.

**Physical defaults.** docs/camera-models.md and docs/dataset.md print each physical default of the
models (a DVS preset's thresholds, an RGB preset's full well, a lighting's lux, a timeline's blink
rate) beside its source. A default changed in the code and not on the page leaves the page's
source beside a number the code no longer uses. Checked: for each default of :data:`DEFAULTS`, the
first numbers of its table cell (the row named by its first cell, the column by its header) are the
code's values in the units the page prints, and each threshold's contrast in parentheses is its
log value, ``θ = ln(1 + C)``.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest

import evface

ROOT = Path(evface.__file__).parent.parent
DOCS = ROOT / "docs"
PAGES_WITH_PAIRED_TABLES = ("classification.md", "reconstruction.md", "camera-models.md")
"""The pages that hold tables of paired differences (every docs page is checked)."""
NUMBER = r"[+\-−]?\d+(?:\.\d+)?"
INTERVAL = re.compile(rf"(?:{NUMBER} )?\[({NUMBER}), ({NUMBER})\]")
DIFFERENCE = " − "
NOT_CLAIMS = {"subjects", "verdict"}
"""Column headers of the two-level tables whose intervals the verdict does not rest on."""


def _value(text: str) -> float:
    """A printed number as a float (the pages print a minus sign as U+2212)."""
    return float(text.replace("−", "-"))


def _cells(line: str) -> list[str]:
    """The cells of one Markdown table row."""
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(lines: list[str]):
    """Each Markdown table as (header cells, [(line number, row cells)])."""
    number = 0
    while number < len(lines):
        if lines[number].startswith("|") and number + 1 < len(lines) and "---" in lines[number + 1]:
            header, rows = _cells(lines[number]), []
            number += 2
            while number < len(lines) and lines[number].startswith("|"):
                rows.append((number + 1, _cells(lines[number])))
                number += 1
            yield header, rows
        number += 1


def _claim_columns(header: list[str]) -> tuple[set[int], set[int]]:
    """The columns holding a difference in every row, and those holding none in any row."""
    scores = {i for i, h in enumerate(header) if i == 0 or h in NOT_CLAIMS or " / " in h}
    if DIFFERENCE in header[0]:
        return set(range(len(header))) - scores, scores
    return {i for i, h in enumerate(header) if DIFFERENCE in h or "(paired)" in h}, scores


def _claim_cells(lines: list[str]):
    """Each row of a paired table as (line number, label, [cells holding claims])."""
    for header, rows in _tables(lines):
        columns, scores = _claim_columns(header)
        for number, cells in rows:
            label = cells[0]
            if DIFFERENCE in label.replace("**", ""):
                claims = [c for i, c in enumerate(cells) if i not in scores]
            elif columns:
                claims = [c for i, c in enumerate(cells) if i in columns]
            else:
                continue
            yield number, label, claims


def _intervals(cell: str):
    """Each interval of a cell as (printed text, low, high, bold); bold spans ``**`` pairs."""
    for index, part in enumerate(cell.split("**")):
        for match in INTERVAL.finditer(part):
            yield match[0], _value(match[1]), _value(match[2]), index % 2 == 1


def _wrong_cells(lines: list[str]) -> list[str]:
    """Every cell of a paired table whose boldness disagrees with its interval, as 'line: cell'."""
    wrong = []
    for number, label, claims in _claim_cells(lines):
        if "**" in label:
            wrong.append(f"{number}: label {label!r} is bold")
        for cell in claims:
            for text, low, high, bold in _intervals(cell):
                if (low * high > 0) != bold:
                    wrong.append(f"{number}: {text!r}" + (" (bold)" if bold else ""))
    return wrong


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_a_paired_difference_is_bold_exactly_where_its_interval_excludes_zero(page):
    wrong = _wrong_cells((DOCS / page).read_text(encoding="utf-8").splitlines())
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("page", PAGES_WITH_PAIRED_TABLES)
def test_the_pages_paired_tables_are_found(page):
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    assert any(INTERVAL.search(" ".join(claims)) for _, _, claims in _claim_cells(lines))


@pytest.mark.parametrize(
    ("table", "wrong"),
    [
        (["| A − B | all | McNemar |", "| a − b | +1.0 [+0.3, +2.4] | p = 1 |"], True),
        (["| A − B | all | McNemar |", "| a − b | **+1.0 [+0.3, +2.4]** | p = 1 |"], False),
        (["| A − B | all | McNemar |", "| a − b | **+1.0 [−0.3, +2.4]** | p = 1 |"], True),
        (["| A − B | all | McNemar |", "| a − b | +1.2 [+0.0, +2.7] | p = 1 |"], False),
        (["| A − B | all | McNemar |", "| a − b | +1.2 [−0.0, +2.7] | p = 1 |"], False),
        (["| A − B | all | McNemar |", "| **a − b** | +1.0 [−0.3, +2.4] | p = 1 |"], True),
        (["| A − B | all | McNemar |", "| a − b | +1.0 | p = 1 |"], False),
        # bold over two intervals of one cell, "face / active": each is bold
        (["| A − B | all |", "| a − b | **+1.0 [+0.3, +2.4] / +0.4 [−0.1, +0.9]** |"], True),
        (["| A − B | all |", "| a − b | **+1.0 [+0.3, +2.4]** / +0.4 [−0.1, +0.9] |"], False),
        # a difference named by the first header cell: every column but a score pair ("/")
        (["| CVAE − UNet | bright | CVAE / UNet |", "| seed 1 | +0.01 [+0.00, +0.02] | 0.8 |"], False),
        (["| CVAE − UNet | bright | CVAE / UNet |", "| seed 1 | +0.01 [+0.01, +0.02] | 0.8 |"], True),
        (["| CVAE − UNet | bright | CVAE / UNet |", "| mean | +0.01 | 0.8 [0.7, 0.9] / 0.8 |"], False),
        # a difference named by a column's header: that column only
        (["| method | face | hd − lr |", "| CVAE | 0.8 [0.7, 0.9] | +0.08 [+0.07, +0.09] |"], True),
        (["| method | face | hd − lr |", "| CVAE | 0.8 [0.7, 0.9] | **+0.08 [+0.07, +0.09]** |"], False),
        # a difference named by a row's label: that row only
        (["| | face |", "| CVAE | **0.98 [0.97, 0.99]** |", "| CVAE − UNet | **−0.1 [−0.2, +0.1]** |"], True),
        (["| | face |", "| CVAE | **0.98 [0.97, 0.99]** |", "| CVAE − UNet | −0.1 [−0.2, +0.1] |"], False),
        # scores only: not a paired table
        (["| method | face |", "| CVAE | 0.98 [0.97, 0.99] |"], False),
    ],
)
def test_the_check_tells_a_claim_from_none(table, wrong):
    separator = "|" + "---|" * len(_cells(table[0]))
    assert bool(_wrong_cells([table[0], separator, *table[1:]])) is wrong


SIGNATURE = re.compile(r"(?<!`)`((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)\(([^()`]*)\)`(?!`)")
"""An inline code span of one call, ``module.name(...)`` or ``Class.method(...)``, not inside ``double``."""
PARAMETER = re.compile(r"^([a-z_][a-z0-9_]*)(?:=.*)?$")
"""An item of a quoted signature: a parameter's name, with or without a default."""
CALLS_ON_PURPOSE = {"reliability.md"}
"""Pages whose calls give bad values on purpose (variables named for what they hold)."""


def _parameters(node: ast.FunctionDef | ast.ClassDef) -> tuple[list[str], bool]:
    """A function's parameters in order (``self`` and ``cls`` left out; a class's ``__init__``'s, or
    a dataclass's fields) and whether it takes ``**kwargs``."""
    if isinstance(node, ast.ClassDef):
        init = next((b for b in node.body if isinstance(b, ast.FunctionDef) and b.name == "__init__"), None)
        if init is not None:
            return _parameters(init)
        return [b.target.id for b in node.body if isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name)], False
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.arg not in ("self", "cls")]
    return names, args.kwarg is not None


def _signatures() -> dict[str, list[tuple[list[str], bool]]]:
    """Every function, class and method of ``evface`` by name (a method also as ``Class.method``)."""
    found: dict[str, list[tuple[list[str], bool]]] = {}
    for path in sorted((ROOT / "evface").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                found.setdefault(node.name, []).append(_parameters(node))
            if isinstance(node, ast.ClassDef):
                for method in (b for b in node.body if isinstance(b, ast.FunctionDef)):
                    for name in (method.name, f"{node.name}.{method.name}"):
                        found.setdefault(name, []).append(_parameters(method))
    return found


SIGNATURES = _signatures()


def _fits(names: list[str], parameters: list[str], kwargs: bool) -> bool:
    """Whether ``names`` are parameters of a function of ``parameters`` (and ``**kwargs``), in its order."""
    at = -1
    for name in names:
        if name not in parameters:
            if not kwargs:
                return False
            continue
        if parameters.index(name) < at:
            return False
        at = parameters.index(name)
    return True


def wrong_signatures(text: str, signatures: dict = SIGNATURES) -> list[str]:
    """Each signature quoted in ``text`` that no function of its name has, as 'line: span'."""
    wrong = []
    for match in SIGNATURE.finditer(text):
        owner = match[1].rstrip(".").split(".")[-1]
        name = f"{owner}.{match[2]}" if owner[:1].isupper() else match[2]
        items = [PARAMETER.match(item.strip()) for item in " ".join(match[3].split()).split(",")]
        if name not in signatures or not all(items) or "=" in match[3].split(",")[0]:
            continue  # not evface's, or a call with values
        if not any(_fits([item[1] for item in items], *found) for found in signatures[name]):
            wrong.append(f"{text.count(chr(10), 0, match.start()) + 1}: {match[0]}")
    return wrong


@pytest.mark.parametrize("page", sorted(p.name for p in [*DOCS.glob("*.md"), ROOT / "README.md"]
                                        if p.name not in CALLS_ON_PURPOSE))
def test_a_quoted_signature_names_the_functions_parameters(page):
    path = ROOT / "README.md" if page == "README.md" else DOCS / page
    wrong = wrong_signatures(path.read_text(encoding="utf-8"))
    assert not wrong, f"{page} quotes parameters the function does not have:\n" + "\n".join(wrong)


def test_the_signature_check_tells_a_signature_from_a_call():
    signatures = {"where": [(["path", "message"], False)], "Lighting.lux_at": [(["t_us"], False)],
                  "preset": [(["name"], True)], "read_clip": [(["path", "sensors", "frames"], False)]}
    assert wrong_signatures("`where(path, msg)` and `Lighting.lux_at(t)`", signatures) == [
        "1: `where(path, msg)`", "1: `Lighting.lux_at(t)`"]
    assert wrong_signatures("`where(message, path)`", signatures) == ["1: `where(message, path)`"]
    assert wrong_signatures("`where(path, message)`, `evface.errors.where(path)`, `where(path,\nmessage)`",
                            signatures) == []
    assert wrong_signatures('`read_clip("c.h5")`, `read_clip(OUT, frames=True)`, `read_clip(..., sort=True)`, '
                            "`read_clip(frames=[...])`, ``read_clip(clip)``, `other(x)`", signatures) == []
    assert wrong_signatures("`preset(name, field=value)`, `read_clip(path, frames=True)`", signatures) == []


def _defaults():
    """Each documented default as (page, row label, column header, [code's values in the page's units])."""
    from evface.rig.lighting import LIGHTING
    from evface.rig.timeline_draw import TimelineParams
    from evface.sim.dvs_noise import V2E_NOISY
    from evface.sim.dvs_params import PRESETS
    from evface.sim.rgb import RGB_PRESETS
    from evface.sim.sensors import SENSORS

    rows = []
    for sensor in ("davis346", "evk4"):
        p, column = PRESETS[sensor], f"`{sensor}`"
        rows += [("camera-models.md", label, column, values) for label, values in [
            ("array", list(SENSORS[sensor].size)),
            ("`threshold_on_log`", [p.threshold_on_log]),
            ("`threshold_off_log`", [p.threshold_off_log]),
            ("`threshold_*_sigma_log`", [p.threshold_on_sigma_log]),
            ("`threshold_*_sigma_log`", [p.threshold_off_sigma_log]),
            ("`cutoff_hz` / `bandwidth_ref_lux`", [p.cutoff_hz, p.bandwidth_ref_lux]),
            ("`refractory_us`", [p.refractory_us]),
            ("`leak_rate_hz`", [p.leak_rate_hz]),
            ("`leak_jitter`", [p.leak_jitter]),
            ("`shot_noise_rate_hz` @ `noise_ref_lux`", [p.shot_noise_rate_hz, p.noise_ref_lux]),
            ("`shot_noise_max_factor`", [p.shot_noise_max_factor]),
            ("`threshold_min_log`", [p.threshold_min_log]),
            ("`lin_log_lux`", [p.lin_log_lux]),
            ("`substep_fraction`", [p.substep_fraction]),
        ]]
        rows.append(("camera-models.md", f"`{sensor}`", "limit", [SENSORS[sensor].max_event_rate_hz / 1e6]))
    rows.append(("camera-models.md", "`noisy`", "leak", [V2E_NOISY["leak_rate_hz"], V2E_NOISY["leak_jitter"]]))
    rows.append(("camera-models.md", "`noisy`", "shot noise", [V2E_NOISY["shot_noise_rate_hz"], V2E_NOISY["noise_ref_lux"]]))
    for name in ("webcam30", "highspeed200"):
        p, column = RGB_PRESETS[name], f"`{name}`"
        rows += [("camera-models.md", label, column, values) for label, values in [
            ("`fps`", [p.fps]),
            ("`f_number`, `transmission`", [p.f_number, p.transmission]),
            ("`qe` (per channel, filter included)", [p.qe]),
            ("`full_well_e`", [p.full_well_e]),
            ("`read_noise_e`", [p.read_noise_e]),
            ("`max_gain`", [p.max_gain]),
            ("`exposure_samples`", [p.exposure_samples]),
            ("`ae_target`", [p.ae_target]),
            ("`prnu`, `dsnu_e`", [p.prnu * 100, p.dsnu_e]),
            ("`antiflicker_hz`", [p.antiflicker_hz]),
        ]]
    for name, light in LIGHTING.items():
        values = [light.lux] + ([light.flicker_depth * 100, light.flicker_hz] if light.flicker_hz else [])
        rows.append(("dataset.md", f"`{name}`", "illuminance on the face", values))
    t = TimelineParams()
    rows += [("dataset.md", label, "default", values) for label, values in [
        ("total duration (onset → offset of the first AU)", [t.total_us_median / 1000, t.total_log_sd]),
        ("onset phase (onset → apex)", [*t.onset_fraction_beta, t.onset_fraction_beta[0] / sum(t.onset_fraction_beta),
                                        *(v / 1000 for v in t.onset_us_range)]),
        ("apex hold", [v / 1000 for v in t.apex_hold_us_range]),
        ("per-AU asynchrony", [0, t.au_lag_us_max / 1000]),
        ("apex intensity", [*t.intensity_range, t.au_intensity_log_sd]),
        ("one-sided AUs", [dict(t.unilateral)[14]]),
        ("blinks (AU45)", [t.blink_rate_hz, round(t.blink_rate_hz * 60)]),
        ("blink duration", [*(v / 1000 for v in t.blink_duration_us_range), t.blink_close_fraction * 100]),
        ("head yaw, pitch", [t.yaw_deg_range, t.pitch_deg_range, t.rotation_wobble_deg, *t.wobble_hz_range]),
        ("drift", [t.drift_per_s * 100]),
        ("wobble", [t.wobble_amplitude * 100, *t.wobble_hz_range, t.roll_deg_amplitude]),
        ("breathing", [*t.breathing_hz_range, t.breathing_amplitude * 100, t.breathing_amplitude * 50]),
        ("gaze", [*t.gaze_range_deg, t.saccade_rate_hz, t.saccade_amplitude_deg_mean, 2 * t.gaze_range_deg[0]]),
    ]]
    return rows


DEFAULTS = _defaults()
"""Every physical default whose table cell the pages print, with the code's values."""
PRINTED_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?: \d{3})+(?![\d.])|(?<![\w.])\d+(?:\.\d+)?")
"""A number as the pages print it: ``0.134``, ``3000``, ``40 000`` (thin groups of three), not a part
of a name (``davis346``, ``AU45``)."""


def _cell(lines: list[str], label: str, column: str) -> str | None:
    """The cell of the row whose first cell is ``label`` in the column headed ``column`` (first table)."""
    for header, rows in _tables(lines):
        if column in header:
            for _, cells in rows:
                if cells[0] == label and len(cells) == len(header):
                    return cells[header.index(column)]
    return None


def _numbers(cell: str) -> list[float]:
    """The numbers of a cell in order (``40 000`` is one number)."""
    return [float(n.replace(" ", "")) for n in PRINTED_NUMBER.findall(cell.replace("**", ""))]


def wrong_default(lines: list[str], label: str, column: str, values: list[float]) -> str | None:
    """Why the page's cell disagrees with the code's ``values``, or None where its first numbers are them."""
    cell = _cell(lines, label, column)
    if cell is None:
        return f"no row {label!r} with a column {column!r}"
    printed = _numbers(cell)[:len(values)]
    if len(printed) < len(values) or not all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                                             for a, b in zip(printed, values, strict=True)):
        return f"{label} / {column}: the page prints {cell!r}, the code has {[float(v) for v in values]}"
    return None


@pytest.mark.parametrize(("page", "label", "column", "values"), DEFAULTS,
                         ids=[f"{page}:{label}:{column}" for page, label, column, _ in DEFAULTS])
def test_a_documented_default_is_the_codes(page, label, column, values):
    wrong = wrong_default((DOCS / page).read_text(encoding="utf-8").splitlines(), label, column, values)
    assert wrong is None, wrong


@pytest.mark.parametrize("sensor", ["`davis346`", "`evk4`"])
@pytest.mark.parametrize("label", ["`threshold_on_log`", "`threshold_off_log`"])
def test_a_thresholds_contrast_is_its_log_value(sensor, label):
    """``0.134 (14.3 %)``: the printed contrast converts to the printed log threshold (θ = ln(1 + C))."""
    cell = _cell((DOCS / "camera-models.md").read_text(encoding="utf-8").splitlines(), label, sensor)
    log_value, percent = _numbers(cell)[:2]
    assert abs(math.log1p(percent / 100) - log_value) <= 0.001, cell  # both printed to 3 digits


@pytest.mark.parametrize(("preset", "column"), [("webcam30", "at f/2.0, T 0.9"), ("highspeed200", "at f/1.4, T 0.9")])
def test_the_evk4_focal_plane_reading_is_the_rigs_lens(preset, column):
    """camera-models.md's focal-plane reading of the ``evk4`` values (rejected there, kept in its table)
    is Prophesee's 1 klux and 0.1 lux on the pixels seen through the RGB preset's lens
    (``E_fp = I T / (4 N²)``), to the digits printed."""
    from evface.sim.dvs_params import PRESETS
    from evface.sim.rgb import RGB_PRESETS

    lens = RGB_PRESETS[preset]
    scene_per_focal = 4 * lens.f_number ** 2 / lens.transmission
    lines = (DOCS / "camera-models.md").read_text(encoding="utf-8").splitlines()
    assert f"f/{lens.f_number:.1f}" in column and f"T {lens.transmission:g}" in column
    ref = _numbers(_cell(lines, "`bandwidth_ref_lux`", column))[0]
    lin_log = _numbers(_cell(lines, "`lin_log_lux`", column))[0]
    assert abs(ref - PRESETS["evk4"].bandwidth_ref_lux * scene_per_focal) <= 50  # printed to 100 lux
    assert abs(lin_log - 0.1 * scene_per_focal) <= 0.05
    assert _numbers(_cell(lines, "`bandwidth_ref_lux`", "now")) == [PRESETS["evk4"].bandwidth_ref_lux]
    assert _numbers(_cell(lines, "`lin_log_lux`", "now")) == [PRESETS["evk4"].lin_log_lux]


def test_the_documented_saccade_duration_is_the_codes():
    """The gaze row's main sequence (``21 ms + 2.2 ms per degree``, ``365°/s for 10°``) is ``saccade_duration_us``'s."""
    from evface.rig.timeline_draw import saccade_duration_us

    cell = _cell((DOCS / "dataset.md").read_text(encoding="utf-8").splitlines(), "gaze", "source")
    assert "21 ms + 2.2 ms per degree" in cell and "365°/s for 10°" in cell, cell
    assert (saccade_duration_us(0.0), saccade_duration_us(1.0)) == (21_000, 23_200)
    assert round(math.pi / 2 * 10.0 / (saccade_duration_us(10.0) * 1e-6)) == 365


def test_the_default_check_tells_a_changed_default():
    lines = ["| field | `a` | source |", "| --- | --- | --- |",
             "| `full_well_e` | 40 000 e⁻ (about [K]) | [K] |", "| `f_number`, `transmission` | f/1.4, 0.9 | x |",
             "| `refractory_us` | 500 | v2e 0.5 ms |"]
    assert wrong_default(lines, "`full_well_e`", "`a`", [40000.0]) is None
    assert wrong_default(lines, "`f_number`, `transmission`", "`a`", [1.4, 0.9]) is None
    assert wrong_default(lines, "`refractory_us`", "`a`", [500]) is None
    assert "the code has [4000.0]" in wrong_default(lines, "`full_well_e`", "`a`", [4000.0])
    assert wrong_default(lines, "`f_number`, `transmission`", "`a`", [1.4, 0.8]) is not None
    assert wrong_default(lines, "`refractory_us`", "`a`", [500, 0.5]) is not None  # the source's 0.5 is not the cell's
    assert wrong_default(lines, "`refractory_us`", "`a`", [100]) is not None
    assert wrong_default(lines, "`gain`", "`a`", [1]) == "no row '`gain`' with a column '`a`'"
    assert _numbers("346 × 260, AU45 at 0.43 Hz (26 blinks/min), davis346") == [346, 260, 0.43, 26]
