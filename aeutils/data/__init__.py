"""Loading image sets and preparing them for autoencoders.

Import the package and use its names (``from aeutils import data as D;
D.load("embedded:mnist5000")``); every name lives in one module:

* :mod:`~aeutils.data.imageset` — :class:`ImageSet` (float32 images in [0, 1],
  ``(N, H, W, C)``, with labels and provenance), :class:`DataError`,
  :func:`image_names` and the shape helpers :func:`as_nhwc`, :func:`as_hw`;
* :mod:`~aeutils.data.sources` — :func:`load`, the one entry point (tfds names,
  ``npz:PATH``, image folders, ``embedded:NAME``), the loaders :func:`load_npz`,
  :func:`load_folder`, :func:`load_tfds`, :func:`load_square_images` (photos of
  any size, centre-cropped square), :func:`read_image` (one file, faithful to its bit depth),
  :func:`read_image_files`, :func:`resolve_path`;
* :mod:`~aeutils.data.embedded` — the offline sets pip packages ship, in one
  registry :data:`EMBEDDED` (:func:`load_embedded`, :func:`register_embedded`,
  :func:`embedded_photos`; each named for a reader by :func:`reader_name`), among them
  the stereo motorcycle tiles as photographed and in simulated low light
  (:func:`motorcycle_light_pair`, :func:`tile_image`);
* :mod:`~aeutils.data.transforms` — value ranges (:func:`to_unit_range`,
  :func:`scale`, :func:`unscale`), :func:`to_grayscale`, :func:`resize`,
  :func:`center_crop_square`, :func:`harmonise`, :func:`mix`,
  :func:`simulate_low_light`;
* :mod:`~aeutils.data.patches` — :func:`extract_patches` / :func:`stitch_patches`
  and :func:`random_crops`;
* :mod:`~aeutils.data.splits` — :func:`subsample` (the one seeded subsample),
  :func:`split_indices`, :func:`split`, :func:`holdout_indices`,
  :func:`split_keeping_test`, the group-aware :func:`group_split` (near-duplicate groups
  declared per set: :func:`register_near_duplicate_groups`);
* :mod:`~aeutils.data.pipelines` — ``tf.data``: :func:`make_dataset`,
  :func:`folder_dataset`, :func:`random_crop_dataset`;
* :mod:`~aeutils.data.streaming` — folders larger than memory: :class:`FileImages` (a lazy
  array decoded by :func:`read_image`), :func:`open_folder`, :func:`load_or_open` (in memory
  within a budget, else on disk), :class:`PatchStream` / :func:`patch_stream` (``tf.data``
  batches in :func:`make_dataset`'s order), :func:`parse_bytes`;

``tf.image`` and ``tf.data`` make the data layer TensorFlow-only.
"""

from aeutils.data.embedded import (
    EMBEDDED,
    LOW_LIGHT_DEFAULTS,
    READER_NAMES,
    SKIMAGE_COLOUR_PHOTOS,
    SKLEARN_COLOUR_PHOTOS,
    embedded_photos,
    light_pair,
    load_embedded,
    motorcycle_light_pair,
    reader_name,
    register_embedded,
    tile_image,
    tile_position,
)
from aeutils.data.imageset import DataError, ImageSet, as_hw, as_nhwc, image_names
from aeutils.data.patches import check_crop_input, extract_patches, random_crops, stitch_patches
from aeutils.data.pipelines import folder_dataset, make_dataset, random_crop_dataset
from aeutils.data.sources import (
    BASE_DIR_ENV,
    DATA_DIR_ENV,
    IMAGE_SUFFIXES,
    TFDS_OFFLINE_HINT,
    folder_labels,
    folder_set,
    image_files,
    image_shape,
    load,
    load_folder,
    load_npz,
    load_square_images,
    load_tfds,
    looked_in,
    offline_npz_hint,
    read_image,
    read_image_files,
    resolve_path,
    search_dirs,
)
from aeutils.data.splits import (
    OVERLAPPING_GROUPS,
    group_split,
    group_split_parts,
    groups_on_both_sides,
    holdout_indices,
    near_duplicate_groups,
    register_near_duplicate_groups,
    split,
    split_indices,
    split_keeping_test,
    subsample,
)
from aeutils.data.streaming import (
    DEFAULT_MEMORY_BUDGET,
    FileImages,
    PatchStream,
    fits,
    load_or_open,
    open_folder,
    parse_bytes,
    patch_rows,
    patch_stream,
)
from aeutils.data.transforms import (
    INTEGER_RANGES,
    RANGE_TOLERANCE,
    center_crop_square,
    check_finite,
    harmonise,
    mix,
    resize,
    scale,
    simulate_low_light,
    to_grayscale,
    to_unit_range,
    unscale,
)

__all__ = [
    "BASE_DIR_ENV",
    "DATA_DIR_ENV",
    "EMBEDDED",
    "IMAGE_SUFFIXES",
    "LOW_LIGHT_DEFAULTS",
    "OVERLAPPING_GROUPS",
    "READER_NAMES",
    "SKIMAGE_COLOUR_PHOTOS",
    "SKLEARN_COLOUR_PHOTOS",
    "TFDS_OFFLINE_HINT",
    "DataError",
    "ImageSet",
    "as_hw",
    "as_nhwc",
    "center_crop_square",
    "check_crop_input",
    "embedded_photos",
    "extract_patches",
    "folder_dataset",
    "harmonise",
    "holdout_indices",
    "image_names",
    "load",
    "load_embedded",
    "load_folder",
    "load_npz",
    "load_square_images",
    "load_tfds",
    "make_dataset",
    "mix",
    "motorcycle_light_pair",
    "random_crop_dataset",
    "random_crops",
    "read_image",
    "read_image_files",
    "reader_name",
    "register_embedded",
    "resize",
    "looked_in",
    "offline_npz_hint",
    "resolve_path",
    "search_dirs",
    "scale",
    "simulate_low_light",
    "split",
    "split_indices",
    "split_keeping_test",
    "stitch_patches",
    "subsample",
    "tile_image",
    "tile_position",
    "light_pair",
    "group_split",
    "group_split_parts",
    "groups_on_both_sides",
    "near_duplicate_groups",
    "register_near_duplicate_groups",
    "to_grayscale",
    "to_unit_range",
    "check_finite",
    "RANGE_TOLERANCE",
    "INTEGER_RANGES",
    "unscale",
    "DEFAULT_MEMORY_BUDGET",
    "FileImages",
    "PatchStream",
    "fits",
    "folder_labels",
    "folder_set",
    "image_files",
    "image_shape",
    "load_or_open",
    "open_folder",
    "parse_bytes",
    "patch_rows",
    "patch_stream",
]
