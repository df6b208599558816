"""The exact network model: an immutable feed-forward ReLU DAG (:mod:`.network`), exact affine
maps (:mod:`.affine`, the one encoding of an affine form here), its exact
and float evaluation (:mod:`.evaluation`), the integer-scaled affine forms the enumerator
computes with (:mod:`.intnet`), function-preserving transformations (:mod:`.transform`) and
reproducible random networks (:mod:`.random_nets`)."""
