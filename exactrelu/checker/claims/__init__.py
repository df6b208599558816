"""The checker's claim modules (standard library only; each uses only public names of
:mod:`exactrelu.checker.checker`): :mod:`.outputs` (``equivalence``, ``bounds``,
``property``, ``counterexample``), :mod:`.prune` with :mod:`.relaxation` (the pruned cells
of a ``property`` certificate), :mod:`.lattice` (``lattice``) :mod:`.adjacency` (the
adjacency evidence of every tree) and :mod:`.farkas` (the Farkas and Motzkin tests they share). They are put together
in :mod:`exactrelu.checker.registry`; importing them registers nothing."""
