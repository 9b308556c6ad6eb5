"""Parameter sweeps: declare an experiment in a TOML file, run it anywhere, analyse it.

A model is a function from parameters to outcomes; the experiment (factors, design,
replications, seeds, outcomes) is declared separately in a sweep file (:mod:`.spec`),
expanded into runs (:mod:`.design`), handed to an executor (serial, local processes or a
Dask cluster, :mod:`.executors`) by the coordinator (:mod:`.coordinator`), which streams
every finished run to disk (:mod:`.store`); :mod:`.analysis` turns the results into tables
with confidence intervals, sensitivity indices and plots, and :mod:`.diagnostics` says how
much of them is seed noise and whether they have settled. :mod:`.rebuild` writes the scenario
file of any run, :mod:`.export` the tables as CSV. Nothing here runs at import.
"""

import importlib

__all__ = [
    "Evaluation",
    "ModelEvaluator",
    "RunSpec",
    "Sweep",
    "SweepError",
    "SweepReport",
    "common_seed",
    "iter_runs",
    "load_sweep",
    "make_design",
    "run_scenario",
    "run_seed",
    "run_sweep",
    "sweep_from_dict",
]

# Names are imported on first use, so the command line can register ``sweep`` and
# ``analyze`` (from ``.cli``) without importing numpy, pandas or the model.
_WHERE = {
    "Evaluation": "evaluate",
    "ModelEvaluator": "evaluate",
    "RunSpec": "design",
    "Sweep": "spec",
    "SweepError": "spec",
    "SweepReport": "coordinator",
    "common_seed": "design",
    "iter_runs": "design",
    "load_sweep": "spec",
    "make_design": "design",
    "run_scenario": "rebuild",
    "run_seed": "design",
    "run_sweep": "coordinator",
    "sweep_from_dict": "spec",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
