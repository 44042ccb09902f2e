"""The autoencoder family and its applications (source report 5): notebook ``autoencoder_family`` and
``benchmarks/family.py``.

Each ``run_*`` function trains what it needs on a :class:`FamilyData` split and
returns a result dict: ``rows`` (a table: the method beside its baseline),
``headline`` (a few numbers) and arrays for the figures. Models come from
:mod:`aeutils.models` (:func:`~aeutils.models.build_encoder_decoder` and the
variants built on it), scores and baselines from :mod:`aeutils.applications`.

A package, as the study is more than 600 lines:

- ``protocol``: :class:`FamilyData` and :func:`prepare` (the 80/10/10 split),
  :class:`FamilyConfig`, :func:`train`, :func:`seeded`, the notebook's
  :func:`check_parameters`, :func:`config`, :func:`selected_sections` (the ``sections`` parameter),
  :func:`describe_data` and :func:`headline`;
- ``variants``: :func:`run_plain`, :func:`run_denoising`, :func:`run_sparse`
  (codes summarised by :func:`aeutils.models.code_activity`), :func:`run_contractive` (with
  :func:`jacobian_norms`), :func:`run_beta_sweep`;
- ``findings``: :func:`claims` (every claim of the notebook from the section results; issue 16's
  :data:`GOALS` where :func:`goal_settings` says the run is at their size), with
  :func:`auroc_difference` (DeLong), :func:`active_units`, :func:`collapse_claims`, :func:`kl_falls`
  and :func:`anomaly_claims` (:func:`mean_auroc_claims` over several normal classes);
- ``applications``: :func:`run_anomaly` (one normal class), :func:`run_anomaly_classes` (each of
  :func:`normal_classes` in turn), :func:`run_inpainting`,
  :func:`run_super_resolution`, :func:`run_probes`, :func:`run_code_sizes`.

Every name is importable from the package: ``from aeutils.studies import autoencoder_family as F``.
"""

from aeutils.studies.autoencoder_family.applications import (
    ANOMALY_BASELINES,
    ANOMALY_SCORES,
    ANOMALY_SHORT,
    normal_classes,
    run_anomaly,
    run_anomaly_classes,
    run_code_sizes,
    run_inpainting,
    run_probes,
    run_super_resolution,
)
from aeutils.studies.autoencoder_family.findings import (
    GOALS,
    MIN_NORMAL_TEST,
    active_units,
    anomaly_claims,
    auroc_difference,
    claims,
    collapse_claims,
    goal_settings,
    kl_falls,
    mean_auroc_claims,
)
from aeutils.studies.autoencoder_family.protocol import (
    CHOICES,
    NEEDS_PLAIN,
    PARAMETERS,
    SECTIONS,
    SR_LOSSES,
    TABLE_LABELS,
    FamilyConfig,
    FamilyData,
    anomaly_fractions,
    check_parameters,
    config,
    describe_data,
    headline,
    plain_ticks,
    prepare,
    psnr_values,
    score_row,
    seeded,
    seeded_autoencoder,
    selected_sections,
    skipped,
    table,
    train,
)
from aeutils.studies.autoencoder_family.variants import (
    jacobian_norms,
    run_beta_sweep,
    run_contractive,
    run_denoising,
    run_plain,
    run_sparse,
)

__all__ = [
    "ANOMALY_BASELINES",
    "ANOMALY_SCORES",
    "ANOMALY_SHORT",
    "CHOICES",
    "NEEDS_PLAIN",
    "SECTIONS",
    "GOALS",
    "MIN_NORMAL_TEST",
    "active_units",
    "anomaly_fractions",
    "anomaly_claims",
    "auroc_difference",
    "claims",
    "collapse_claims",
    "goal_settings",
    "kl_falls",
    "mean_auroc_claims",
    "normal_classes",
    "plain_ticks",
    "psnr_values",
    "PARAMETERS",
    "SR_LOSSES",
    "TABLE_LABELS",
    "FamilyConfig",
    "FamilyData",
    "check_parameters",
    "config",
    "describe_data",
    "headline",
    "jacobian_norms",
    "prepare",
    "run_anomaly",
    "run_anomaly_classes",
    "run_beta_sweep",
    "run_code_sizes",
    "run_contractive",
    "run_denoising",
    "run_inpainting",
    "run_plain",
    "run_probes",
    "run_sparse",
    "run_super_resolution",
    "score_row",
    "seeded",
    "seeded_autoencoder",
    "selected_sections",
    "skipped",
    "table",
    "train",
]
