"""``evface faces OUT.png``: a contact sheet of synthetic faces and action units."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from evface.errors import FormatError, ParameterError, where


def _parse_aus(text: str) -> dict[int, float]:
    out = {}
    for part in filter(None, (p.strip() for p in text.replace("+", ",").split(","))):
        try:
            au, _, w = part.partition(":")
            out[int(au.upper().removeprefix("AU"))] = float(w) if w else 1.0
        except ValueError:
            raise ParameterError(f"--aus: cannot read {part!r}; expected e.g. '12', '6+12' or '12:0.5'") from None
    return out


def register(app: typer.Typer) -> None:
    """Add ``evface faces`` to ``app``."""

    @app.command("faces")
    def faces(
        out: Path = typer.Argument(..., help="PNG file to write."),
        seeds: str = typer.Option("0-5", help="Procedural identity seeds: '0-5' or '1,4,9'."),
        aus: list[str] = typer.Option(["1+2", "4", "6+12", "9", "14", "15", "17", "45"],
                                      "--aus", help="Columns after the neutral one: '12', '6+12', '12:0.5'."),
        size: int = typer.Option(192, help="Tile size in pixels."),
        photo: list[Path] = typer.Option([], help="Frontal face photo(s) to add as rows."),
        astronaut: bool = typer.Option(False, help="Add scikit-image's astronaut photo identity."),
        diff: float = typer.Option(0.0, help="Show |AU - neutral| x DIFF instead of the AU image (0 = off)."),
    ) -> None:
        """Render neutral and AU apex (intensity 1 = strong micro-expression) for several faces."""
        import cv2

        from evface.face.identity import builtin_photo_identities, photo_identity, procedural_identity  # lazy: cv2 stays out of CLI start-up
        from evface.face.preview import contact_sheet  # lazy: cv2 and the renderer stay out of CLI start-up

        try:
            if "-" in seeds:
                a, b = seeds.split("-")
                seed_list = list(range(int(a), int(b) + 1))
            else:
                seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        except ValueError:
            raise ParameterError(f"--seeds: cannot read {seeds!r}; expected '0-5' or '1,4,9'") from None
        idents = [procedural_identity(s) for s in seed_list]
        for p in photo:
            bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if bgr is None:
                raise FormatError(where(p, "cannot read the image"))
            idents.append(photo_identity(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), p.stem, source=str(p)))
        if astronaut:
            idents.extend(builtin_photo_identities())
        sheet = contact_sheet(idents, [{}] + [_parse_aus(a) for a in aus], size=size, difference_gain=diff)
        ok, buf = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        if not ok:
            raise FormatError(where(out, "PNG encoding failed"))
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_bytes(buf.tobytes())
        os.replace(tmp, out)
        print(f"wrote {out} ({len(idents)} faces x {len(aus) + 1} columns)")
