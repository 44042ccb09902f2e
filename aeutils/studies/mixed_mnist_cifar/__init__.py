"""Mixed MNIST + CIFAR-10 mean images (source report 2): notebook ``mixed_mnist_cifar`` and ``benchmarks/mixed.py``.

The source paired MNIST digits with CIFAR-10 images by index, averaged each pair and trained a
small strided conv autoencoder on the mean images. A package, as the study is more than 600 lines:

- ``pairs``: the pairing protocol (:func:`pair_indices`, :func:`mix_sets`, :class:`MixedSet`,
  :func:`mixed_train_test`: disjoint training and test pairs);
- ``protocol``: the notebook's parameter checks, training (properly, and the source's 50-step
  schedule), scoring on [0, 1] and the source's way, PCA at the same code size, unmixing, and the
  source's figures (:data:`SOURCE`);
- ``findings``: the notebook's claims (:func:`claims`: SSIM and PSNR thresholds, unmixer against
  the mixture), the note on PCA at the same code size (:func:`pca_note`) and the human column names
  of its tables (:data:`TABLE_LABELS`, :func:`labelled`).
"""

from aeutils.studies.mixed_mnist_cifar.findings import (
    TABLE_LABELS,
    TARGET_PSNR_DB,
    TARGET_SSIM,
    claims,
    data_note,
    labelled,
    pca_note,
)
from aeutils.studies.mixed_mnist_cifar.pairs import (
    PAIRINGS,
    MixedSet,
    mix_sets,
    mixed_train_test,
    pair_indices,
)
from aeutils.studies.mixed_mnist_cifar.protocol import (
    MODEL_RANGE,
    PARAMETERS,
    SOURCE,
    TABLE_COLUMNS,
    MixedData,
    check_parameters,
    from_model,
    headline,
    mixture_as_estimate,
    pca_reconstruction,
    prepare,
    score,
    source_row,
    source_schedule_losses,
    summary_row,
    table_rows,
    to_model,
    train_autoencoder,
    train_source_schedule,
    train_unmixer,
    unmix,
    unmix_scores,
    unmix_targets,
    with_ratios,
)

__all__ = [
    "MODEL_RANGE",
    "MixedData",
    "MixedSet",
    "PAIRINGS",
    "PARAMETERS",
    "SOURCE",
    "TABLE_COLUMNS",
    "TABLE_LABELS",
    "TARGET_PSNR_DB",
    "TARGET_SSIM",
    "check_parameters",
    "claims",
    "data_note",
    "from_model",
    "headline",
    "labelled",
    "mix_sets",
    "mixed_train_test",
    "mixture_as_estimate",
    "pair_indices",
    "pca_note",
    "pca_reconstruction",
    "prepare",
    "score",
    "source_row",
    "source_schedule_losses",
    "summary_row",
    "table_rows",
    "to_model",
    "train_autoencoder",
    "train_source_schedule",
    "train_unmixer",
    "unmix",
    "unmix_scores",
    "unmix_targets",
    "with_ratios",
]
