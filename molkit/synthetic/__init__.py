"""The synthetic micro-expression benchmark, in two tiers, both with exact ground truth.

- **The twin** (:mod:`.twin`, ``generate_twin`` or ``molkit synth --twin``): CASME II, SAMM,
  SMIC-HS or the MEGC 2019 composite, one sample per coded sample of the owners' sheets (their
  action units, laterality and intensity, frame numbers and frame rate), one identity per real
  subject at the dataset's face size, with head motion, blinks, illumination drift, noise and
  compression; laid out like the real copies. Calibrated once (``reports/benchmarks/twin.md``).
- **The easy tier** (below), the kit's positive control: every class one fixed movement.

``generate(out_dir, SynthConfig(...))`` (or ``molkit synth``) writes ``sub01/EP01_01/img1.jpg ...``
(colour JPEG, 200 "fps"), ``CASME2-coding-synthetic.xlsx`` with CASME II's columns, and
``ground_truth/`` (a real CASME II reader ignores it), read back through ``true_flow``,
``true_landmarks``, ``true_region_mask`` and ``sample_truth``.

- Faces (:mod:`.faces`): every subject a new identity, morphed from two of four sources (two
  public-domain photographs shipped by installed packages, scikit-image's astronaut and
  matplotlib's Grace Hopper, and their mirror images) with a random mixing weight, reshaped feature
  by feature from dlib's landmarks (thin-plate spline), re-placed and recoloured; real photographs
  keep dlib's detector and predictor working on every frame.
- Classes (:mod:`.action_units`): surprise AU1+2 (brows), happiness AU6+12 (cheeks, lip corners),
  disgust AU4+9 (glabella, nose), repression AU14 or AU15 with AU17 (lip corners, chin), others
  AU25 (mouth); each subject shows every class in turn. Each action unit is a few compact patches
  of skin placed from the 68 landmarks, rising from the onset to the apex and back by the offset,
  0.5-2 px at the apex on the aligned 128 px crop, divided by ``difficulty`` (1: as subtle as
  CASME II, the default; 1/3: obvious, 1.5-6 px). Larger movements move larger patches of skin,
  so the skin never folds.
- Nuisances in every class, drawn from their own random stream (so independent of the label):
  partial blinks, sub-pixel head motion, illumination flicker, sensor noise.
- Truth (:mod:`.motion`, :mod:`.truth`): the motion is an analytic map of the neutral face, so the
  flow between any two frames and the landmarks of every frame are exact; the class mask is the
  support of the class's patches, and nothing else label-dependent moves outside it.
"""

from molkit.data.truth import (
    has_ground_truth,
    list_samples,
    sample_truth,
    true_flow,
    true_landmarks,
    true_region_mask,
)
from molkit.synthetic.action_units import EMOTIONS, REGIONS, THREE_CLASS
from molkit.synthetic.generate import SynthConfig, generate
from molkit.synthetic.twin import TWINS, TwinConfig, TwinReport, generate_twin
from molkit.synthetic.twin_table import sheet_table, twin_samples

__all__ = [
    "EMOTIONS",
    "REGIONS",
    "THREE_CLASS",
    "SynthConfig",
    "TWINS",
    "TwinConfig",
    "TwinReport",
    "generate",
    "generate_twin",
    "has_ground_truth",
    "list_samples",
    "sample_truth",
    "sheet_table",
    "true_flow",
    "true_landmarks",
    "true_region_mask",
    "twin_samples",
]
