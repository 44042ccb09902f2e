"""The mixed study's claims, the PCA note and the human column names of its tables.

The notebook states four claims, all computed from the run's own per-image scores
(:func:`claims`): the autoencoder's reconstructions of the mean images reach SSIM ≥ 0.90 and
PSNR ≥ 28 dB on [0, 1] (data range 1), and the unmixer beats "the mixture as both" for each
source image on paired per-image PSNR. PCA at the same code size is not a claim but a note
(:func:`pca_note`): it is the better reconstruction here, and the page says why.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from aeutils import claims as C
from aeutils import data as D
from aeutils.plotting import metric_table
from aeutils.studies.mixed_mnist_cifar.protocol import SOURCE

#: The thresholds of claims 1 and 2 (the benchmark's targets), on [0, 1] with data range 1.
TARGET_SSIM = 0.90
TARGET_PSNR_DB = 28.0

#: Human names (with units) for the columns of the study's tables.
TABLE_LABELS = {
    "run": "run",
    "ssim": "SSIM",
    "ssim_std": "SSIM sd",
    "psnr_db": "PSNR (dB)",
    "psnr_std": "PSNR sd (dB)",
    "ssim_source_way": "SSIM, source's way",
    "psnr_source_way_db": "PSNR, source's way (dB)",
    "mse": "MSE on [0, 1]",
    "test_loss_pm1": "test MSE on [-1, 1]",
    "ssim_over_source": "SSIM / source's",
    "psnr_db_over_source": "PSNR / source's",
    "ssim_source_way_over_source": "SSIM source's way / source's",
    "psnr_source_way_db_over_source": "PSNR source's way / source's",
    "train_s": "training (s)",
    "convention": "convention",
    "metric": "metric",
    "mean": "mean",
    "std": "sd",
    "median": "median",
    "p05": "5th percentile",
    "p95": "95th percentile",
    "ci95_low": "95% CI low",
    "ci95_high": "95% CI high",
    "n": "images",
}

_PCA_WHY = (
    "a linear basis of {k:,} of the image's {d:,} values keeps nearly all of a smooth mean image "
    "(the mean of a digit and a photo has little energy in the components PCA drops), and the "
    "source's small model (83,619 parameters, no output activation, {epochs} epochs) is not built "
    "to beat it; its job here is to show what proper training gives, not to beat the linear optimum"
)


def _fmt_db(x) -> str:
    return "–" if x is None else f"{x:.2f} dB"


def claims(
    ae_scores: Mapping,
    unmixed: Mapping | None = None,
    mixture: Mapping | None = None,
    *,
    names: tuple[str, str] = ("MNIST", "CIFAR-10"),
) -> list[dict]:
    """The notebook's four claims from per-image scores (:func:`aeutils.studies.mixed_mnist_cifar.score`).

    1. the autoencoder's mean SSIM on [0, 1] (data range 1) is at least :data:`TARGET_SSIM`, the
       95% interval of the per-image mean wholly above it;
    2. the same for PSNR and :data:`TARGET_PSNR_DB`;
    3. the unmixer beats "the mixture as both" for the first source image on paired per-image PSNR;
    4. the same for the second source image.

    The source's figures (computed the source's way, see :data:`SOURCE`) go beside claims 1 and 2.

    Args:
        ae_scores: per-image scores of the autoencoder's reconstructions of the test mean images.
        unmixed: ``{"first": scores, "second": scores}`` of the unmixer's estimates
            (:func:`aeutils.studies.mixed_mnist_cifar.unmix_scores`); ``None`` when the unmixer was
            not run (claims 3 and 4 then do not hold, with a note saying so).
        mixture: the same for the baseline that takes the mixture as both images.
        names: display names of the first and second source.

    Returns:
        Four claim dicts (:mod:`aeutils.claims`).

    Example:
    >>> s = {"ssim": np.full(4, 0.95), "psnr": np.array([30.0, 31.0, 32.0, 33.0])}
    >>> [c["holds"] for c in claims(s)]
    [True, True, False, False]
    """
    ssim = np.asarray(ae_scores["ssim"], dtype=np.float64)
    psnr = np.asarray(ae_scores["psnr"], dtype=np.float64)
    source_note = "the source's figure was computed the source's way (per-image data range on [-1, 1])"
    out = [
        C.beats(
            f"the autoencoder's reconstructions of the mixed test images reach SSIM ≥ {TARGET_SSIM:.2f} "
            "([0, 1], data range 1)",
            float(ssim.mean()),
            TARGET_SSIM,
            per_image=(ssim, np.full_like(ssim, TARGET_SSIM)),
            source=SOURCE["ssim"],
            note=f"interval of the per-image mean minus the threshold; {source_note}",
        ),
        C.beats(
            f"the autoencoder's reconstructions reach PSNR ≥ {TARGET_PSNR_DB:.0f} dB ([0, 1], data range 1)",
            float(psnr.mean()),
            TARGET_PSNR_DB,
            unit="dB",
            per_image=(psnr, np.full_like(psnr, TARGET_PSNR_DB)),
            source=SOURCE["psnr_db"],
            note=f"interval of the per-image mean minus the threshold; {source_note}",
        ),
    ]
    for part, name in zip(("first", "second"), names):
        text = f"the unmixer recovers the {name} image better than taking the mixture as both (PSNR)"
        if unmixed is None or mixture is None:
            out.append(C.check(text, False, unit="dB", note="not evaluated: the unmixer was not run (unmix_epochs 0)"))
            continue
        ours, base = (np.asarray(s[part]["psnr"], dtype=np.float64) for s in (unmixed, mixture))
        out.append(
            C.beats(
                text,
                float(ours.mean()),
                float(base.mean()),
                unit="dB",
                per_image=(ours, base),
                note="paired per-image PSNR on [0, 1] against the true source image",
            )
        )
    return out


def pca_note(ae_psnr_db: float, pca_psnr_db: float, *, k: int, d: int, epochs: int) -> str:
    """A sentence stating the gap to PCA at the same code size, and why PCA is better here.

    Example:
    >>> pca_note(37.47, 43.18, k=1024, d=3072, epochs=30)[:60]
    'PCA with 1,024 components (the latent size) reaches 43.18 dB'
    """
    gap = pca_psnr_db - ae_psnr_db
    if gap > 0:
        verdict = f"{gap:.2f} dB above the autoencoder's {ae_psnr_db:.2f} dB: " + _PCA_WHY.format(
            k=k, d=d, epochs=epochs
        )
    else:
        verdict = f"{-gap:.2f} dB below the autoencoder's {ae_psnr_db:.2f} dB"
    return f"PCA with {k:,} components (the latent size) reaches {_fmt_db(pca_psnr_db)}, {verdict}."


def labelled(rows, *, index: str | None = None, precision: int = 4) -> pd.DataFrame:
    """Rows (dicts or a DataFrame) as a DataFrame with :data:`TABLE_LABELS` column names, rounded.

    Columns with no value in any row are dropped, other missing values show as "–"; unknown columns
    keep their names.

    Example:
    >>> list(labelled([{"run": "a", "psnr_db": 30.123456, "mse": None}], index="run").columns)
    ['PSNR (dB)']
    """
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))  # dropna copies it
    return metric_table(df.dropna(axis=1, how="all"), index=index, precision=precision, labels=TABLE_LABELS)


def data_note(first: str, second: str, info: Mapping) -> str:
    """A plain sentence on the data actually used (saying "stand-in for CIFAR-10" for the embedded photos).

    Args:
        first: the notebook's ``first`` source.
        second: the notebook's ``second`` source.
        info: the report of :func:`aeutils.studies.mixed_mnist_cifar.mixed_train_test`.

    Example:
    >>> info = {"n_train": 10, "n_test": 5, "pairing": "shuffle: seeded"}
    >>> "stand-in for CIFAR-10" in data_note("embedded:mnist5000", "embedded:photo_patches", info)
    True
    """
    digits = D.reader_name(first) or f"digits from {first}"
    digits = digits[0].upper() + digits[1:]
    photos = D.reader_name(second) or f"images from {second}"
    if second == "embedded:photo_patches":
        photos += " (not CIFAR-10; whole photos are held out for the test pairs)"
    return (
        f"{digits}, resized to 32x32 and repeated to 3 channels, averaged pixel by pixel with {photos}; "
        f"{info['n_train']:,} training and {info['n_test']:,} test pairs from disjoint images, "
        f"pairing {info['pairing'].split(':')[0]}."
    )
