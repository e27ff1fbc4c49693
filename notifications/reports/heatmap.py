"""The heat map of an internal-control plan: its points on the S × K risk matrix (matplotlib).

The matrix is ``size`` × ``size`` cells, likelihood (*sannolikhet*) 1…size to the right and
consequence (*konsekvens*) 1…size upwards. Each cell is coloured by its risk band, the band
the rule's own decision table gives for that cell (``internkontroll.risk``'s ``riskband``, so
the picture follows an installation's bands); each point is a circle with its number in its
cell. Written as PNG and SVG; in the SVG every cell is a group ``ruta-K-S`` and every point a
group ``punkt-N``, so a reader (or a test) can find them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BAND_COLOURS", "CELL_INCHES", "DPI", "MapPoint", "figure_inches", "write_heatmap"]

BAND_COLOURS = {"grön": "#5cb85c", "gul": "#f2d024", "orange": "#f0932b", "röd": "#d64541"}
OTHER_COLOUR = "#cfd4da"
CELL_INCHES = 0.9
MARGIN_INCHES = (1.3, 0.5, 1.0, 0.7)  # left, right, bottom, top
DPI = 120


@dataclass(frozen=True)
class MapPoint:
    nr: int
    consequence: int
    likelihood: int


def figure_inches(size: int) -> tuple[float, float]:
    """The figure's (width, height) in inches for a ``size`` × ``size`` matrix."""
    left, right, bottom, top = MARGIN_INCHES
    return (size * CELL_INCHES + left + right, size * CELL_INCHES + bottom + top)


def write_heatmap(points: Sequence[MapPoint], size: int, band_of: Callable[[int, int], str],
                  out_base: Path, title: str = "",
                  consequence_labels: dict[str, str] | None = None,
                  likelihood_labels: dict[str, str] | None = None) -> tuple[Path, Path]:
    """Write ``<out_base>.png`` and ``<out_base>.svg``; ``band_of(consequence, likelihood)``
    gives a cell's band."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Circle, Rectangle

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "bevaka",
                                "font.family": "DejaVu Sans"})
    width, height = figure_inches(size)
    left, right, bottom, top = MARGIN_INCHES
    fig = plt.figure(figsize=(width, height), dpi=DPI)
    ax = fig.add_axes((left / width, bottom / height, size * CELL_INCHES / width,
                       size * CELL_INCHES / height))
    for k in range(1, size + 1):
        for s in range(1, size + 1):
            band = band_of(k, s)
            ax.add_patch(Rectangle((s - 0.5, k - 0.5), 1, 1, facecolor=BAND_COLOURS.get(band, OTHER_COLOUR),
                                   edgecolor="white", linewidth=2, gid=f"ruta-{k}-{s}"))
            ax.text(s + 0.42, k - 0.42, str(k * s), ha="right", va="bottom", fontsize=7,
                    color="#333333")
    cells: dict[tuple[int, int], list[MapPoint]] = {}
    for p in sorted(points, key=lambda p: p.nr):
        cells.setdefault((p.consequence, p.likelihood), []).append(p)
    for (k, s), here in cells.items():
        n = len(here)
        per_row = 1 if n == 1 else 2 if n <= 4 else 3
        rows = (n + per_row - 1) // per_row
        radius = 0.3 if n == 1 else 0.17 if n <= 4 else 0.12
        for i, p in enumerate(here):
            col, row = i % per_row, i // per_row
            x = s + (col - (per_row - 1) / 2) * 2.3 * radius
            y = k + ((rows - 1) / 2 - row) * 2.3 * radius
            marker = Circle((x, y), radius, facecolor="white", edgecolor="#111111", linewidth=1.2,
                            gid=f"punkt-{p.nr}", zorder=3)
            ax.add_patch(marker)
            ax.text(x, y, str(p.nr), ha="center", va="center", zorder=4,
                    fontsize=11 if n == 1 else 8, fontweight="bold", gid=f"punkt-{p.nr}-nr")
    ax.set_xlim(0.5, size + 0.5)
    ax.set_ylim(0.5, size + 0.5)
    ax.set_aspect("equal")
    labels_s = likelihood_labels or {}
    labels_k = consequence_labels or {}
    ax.set_xticks(range(1, size + 1),
                  [f"{s}\n{labels_s.get(str(s), '')}".rstrip() for s in range(1, size + 1)], fontsize=7)
    ax.set_yticks(range(1, size + 1),
                  [f"{labels_k.get(str(k), '')} {k}".strip() for k in range(1, size + 1)], fontsize=7)
    ax.set_xlabel("Sannolikhet", fontsize=9)
    ax.set_ylabel("Konsekvens", fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.25 / height)
    out_base.parent.mkdir(parents=True, exist_ok=True)
    png, svg = out_base.with_suffix(".png"), out_base.with_suffix(".svg")
    fig.savefig(png, dpi=DPI)
    fig.savefig(svg, metadata={"Date": None})
    plt.close(fig)
    return png, svg
