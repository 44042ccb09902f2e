"""Dataset comparison by cross-reconstruction (source report 1): do two image sets share one structure?

The protocol, for two image sets A and B of the same kind of object:

1. Each set is split at random (seeded) into training and held-out images.
   Autoencoder A is trained on A's training images, autoencoder B on B's
   (step 1); a merged autoencoder on both (step 2). All three have the same
   architecture and training budget. Large photos are reduced first
   (grayscale, resize) and fed to the models as equal patches; a patch-wise
   reconstruction is stitched back and scored per image.
2. Every held-out image is reconstructed by every model (step 3, the cross
   reconstructions ``L(a, g_B(f_B(a)))`` and ``L(b, g_A(f_A(b)))``). Only
   held-out images are ever scored. The loss is the per-image MSE on [0, 1].
3. The decision is a family of four two-sample tests on held-out images:

   * *model A*: A's held-out errors under model A (within) against B's
     held-out errors under model A (cross), Mann-Whitney, two-sided;
   * *model B*: the same with the roles swapped;
   * *preference*: ``d = log L_B(x) - log L_A(x)`` (how much better model A
     fits an image than model B) for A's held-out images against B's,
     Mann-Whitney, one-sided (A's images prefer model A more);
   * *codes*: the held-out images' codes under both trained encoders
     (``f_A(x)`` and ``f_B(x)`` side by side), A's against B's, MMD with a
     permutation p-value (the trained-autoencoder embedding test of "Failing
     Loudly"). It catches shifts that both models reconstruct equally well but
     encode differently, such as new viewpoints of the same objects.

   If A and B come from one distribution, the held-out images of both sets are
   exchangeable given the trained models (neither model saw them), so each
   test's null distribution is the Mann-Whitney permutation distribution
   (scipy uses its exact form for small samples, the normal approximation
   otherwise) whatever the models learned, and Holm's correction keeps the family at
   level ``alpha`` whatever their dependence. The preference test needs no
   assumption about which model trained better: a uniformly worse model shifts
   ``d`` for all images alike; the codes test permutes images, not models.
   The unit is the image, never the patch: patches
   of one image are not independent.

The verdict ("same" / "different") comes with its Holm-adjusted p-value and
effect sizes (cross/within error ratios per direction, AUCs), and with a null
control: two random halves of one set put through the same protocol, which
must come out "same". Groups (e.g. viewing angle) get the same tests per
group, Holm-adjusted across groups.

The baseline two-sample tests of Rabanser et al., "Failing Loudly" (NeurIPS
2019) — MMD with a Gaussian kernel and per-feature Kolmogorov-Smirnov with
Bonferroni (:mod:`aeutils.stats`), on a PCA or untrained-encoder embedding
(:func:`pca_codes`, :func:`random_encoder_codes`) — are re-exported here too,
for the benchmark in ``benchmarks/compare_power.py``.

The package, one concept per module (every public name is re-exported here):

* :mod:`~aeutils.compare.sets`: the two sets (:class:`PreparedSet`,
  :func:`prepare_set`, :func:`image_groups`, :func:`check_pair`, :func:`split_heldout`,
  :func:`set_overlap`);
* :mod:`~aeutils.compare.model`: the autoencoder, patches, per-image errors and codes;
* :mod:`~aeutils.compare.decision`: the tests, Holm-adjusted (:func:`decision_tests`,
  :func:`group_breakdown`, :func:`verdict_text`);
* :mod:`~aeutils.compare.result`: :class:`Comparison` (tables, JSON, :func:`summary_text`);
* :mod:`~aeutils.compare.protocol`: :func:`compare`, the whole protocol;
* :mod:`~aeutils.compare.figures`: the figures (``plot_*``).

``python -m aeutils compare A B`` runs the protocol from the command line (the
command and its HTML page: :mod:`aeutils.studies.dataset_comparison`).
"""

from aeutils.compare.decision import decision_tests, group_breakdown, verdict_text
from aeutils.compare.figures import (
    plot_error_histograms,
    plot_error_matrix,
    plot_groups,
    plot_outliers,
    plot_reconstructions,
)
from aeutils.compare.model import (
    build_compare_autoencoder,
    heldout_codes,
    image_codes,
    image_errors,
    pca_codes,
    random_encoder_codes,
    reconstruct,
    to_patches,
)
from aeutils.compare.protocol import compare
from aeutils.compare.result import ERROR_KEYS, Comparison, summary_text
from aeutils.compare.sets import (
    AUTO_PATCH_ABOVE,
    MIN_HELDOUT,
    MIN_TRAIN,
    PreparedSet,
    check_pair,
    check_source,
    image_groups,
    overlap_warning,
    prepare_set,
    resolve_patch,
    set_overlap,
    split_heldout,
)
from aeutils.stats import holm, ks_test, mann_whitney, mmd_test, robust_outliers, size_adjusted_power

__all__ = [
    "AUTO_PATCH_ABOVE",
    "ERROR_KEYS",
    "MIN_HELDOUT",
    "MIN_TRAIN",
    "Comparison",
    "PreparedSet",
    "build_compare_autoencoder",
    "check_pair",
    "check_source",
    "compare",
    "decision_tests",
    "group_breakdown",
    "heldout_codes",
    "holm",
    "image_codes",
    "image_errors",
    "image_groups",
    "ks_test",
    "mann_whitney",
    "mmd_test",
    "overlap_warning",
    "pca_codes",
    "plot_error_histograms",
    "plot_error_matrix",
    "plot_groups",
    "plot_outliers",
    "plot_reconstructions",
    "prepare_set",
    "random_encoder_codes",
    "reconstruct",
    "resolve_patch",
    "robust_outliers",
    "set_overlap",
    "size_adjusted_power",
    "split_heldout",
    "summary_text",
    "to_patches",
    "verdict_text",
]
