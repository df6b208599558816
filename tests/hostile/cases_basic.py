"""Basic unusable model files (the seed of the corpus; other areas have their own ``cases_*.py``)."""

from __future__ import annotations

from exactrelu.io import load_model

from hostile.case import Case

CASES = [
    Case("model/empty-json", {"m.json": ""}, ("info", "{m.json}"), 2, r"^exactrelu: error: ",
         "ModelFormatError", api=lambda p: load_model(p["m.json"])),
    Case("model/missing-file", {}, ("info", "nope.json"), 2, r"^exactrelu: error: .*nope\.json"),
    Case("model/json-array", {"m.json": "[1, 2]"}, ("info", "{m.json}"), 2, r"^exactrelu: error: ",
         "ModelFormatError", api=lambda p: load_model(p["m.json"])),
]
