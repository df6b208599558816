"""Scale: executors (inline, process pool, Dask; :mod:`.executor`), the worker side of a
parallel walk (:mod:`.worker`) and the parallel walk that merges results in preorder with
checkpoints (:mod:`.parallel`)."""
