"""matplotlib set-up shared by the charts: the Agg backend, and figures as inline PNG URIs."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["Figure", "plt", "png_data_uri"]


def png_data_uri(fig: Figure, dpi: int = 96) -> str:
    """Render a figure to an inline ``data:image/png;base64`` URI and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
