"""Every subcommand, and every option that takes a value, given junk: one line on stderr
and exit 2 (argparse usage errors included), never a traceback or an internal error.
Where a command accepts the input, a control case shows the path that works."""

from __future__ import annotations

from pathlib import Path

from hostile.build import directory, net_json
from hostile.case import Case

E = r"^exactrelu: error: "
EP = E + r".*"  # after a file name
NET = net_json()  # 2 inputs, 1 output
PROPERTY = ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
            "(assert (<= X_0 1))\n(assert (>= X_0 -1))\n(assert (<= X_1 1))\n(assert (>= X_1 -1))\n"
            "(assert (>= Y_0 100))\n")
CEX = "sat\n((X_0 0) (X_1 0) (Y_0 1/2))\n"


def _certificate(where: Path) -> None:
    """A valid partition certificate of NET over [-1, 1]^2, written as c.json."""
    from exactrelu.certificate.partition import partition_certificate, write_certificate
    from exactrelu.domain.polytope import parse_box
    from exactrelu.graph.region_graph import adjacencies
    from exactrelu.io.native_json import loads
    from exactrelu.regions.walk import enumerate_regions

    part = enumerate_regions(loads(NET), parse_box("-1:1", 2))
    write_certificate(partition_certificate(part, adjacency=adjacencies(part)), where / "c.json")


FILES = {"m.json": NET}
WITH_PROP = {"m.json": NET, "p.vnnlib": PROPERTY}

# (command prefix, files, needs a domain)
COMMANDS = {
    "regions": (("regions", "{m.json}", "--box=-1:1"), FILES),
    "bounds": (("bounds", "{m.json}", "--box=-1:1"), FILES),
    "verify": (("verify", "{m.json}", "{p.vnnlib}", "--attack-seconds", "0"), WITH_PROP),
    "equiv": (("equiv", "{m.json}", "{m.json}", "--box=-1:1"), FILES),
    "compress": (("compress", "{m.json}", "--box=-1:1", "--out", "small.json"), FILES),
    "shallow": (("shallow", "{m.json}", "--box=-1:1"), FILES),
    "crosscheck": (("crosscheck", "{m.json}", "--box=-1:1", "--points", "20"), FILES),
}

# option -> (commands taking it, junk values with the message each must give)
COUNT = [("-1", r"expected an integer >= 1, got -1"), ("0", r"expected an integer >= 1, got 0"),
         ("x", r"expected an integer, got 'x'"), ("1.5", r"expected an integer, got '1\.5'"),
         ("9" * 40, r"9{20}\.\.\. \(40 digits\) is too large")]
NONNEG = [("-1", r"expected an integer >= 0, got -1"), ("x", r"expected an integer, got 'x'")]
SECS = [("nan", r"expected a finite number of seconds > 0, got 'nan'"),
        ("inf", r"expected a finite number of seconds > 0, got 'inf'"),
        ("-1", r"expected a finite number of seconds > 0, got '-1'"),
        ("0", r"expected a finite number of seconds > 0, got '0'"),
        ("soon", r"expected a number of seconds, got 'soon'")]
OPTIONS = {
    "--max-regions": (("regions", "bounds", "verify", "equiv", "shallow", "crosscheck"), COUNT),
    "--time-limit": (("regions", "bounds", "verify", "equiv", "compress", "shallow", "crosscheck"), SECS),
    "--workers": (("regions", "bounds", "verify"), [("-1", r"expected an integer from 1 to 1024, got -1"),
                                                    ("0", r"expected an integer from 1 to 1024, got 0"),
                                                    ("x", r"expected an integer, got 'x'"),
                                                    ("100000", r"expected an integer from 1 to 1024, got 100000")]),
    "--checkpoint-every": (("regions",), SECS[:2]),
    "--output": (("bounds", "shallow"), NONNEG),
    "--samples": (("verify",), NONNEG),
    "--seed": (("verify", "crosscheck"), NONNEG),
    "--attack-seconds": (("verify",), [("-1", r"expected a finite number of seconds >= 0, got '-1'"),
                                       ("nan", r"expected a finite number of seconds >= 0, got 'nan'")]),
    "--max-terms": (("shallow",), COUNT[:2]),
    "--points": (("crosscheck",), COUNT[:3]),
    "--keep": (("crosscheck",), NONNEG),
    "--region-time": (("crosscheck",), SECS[:1]),
    "--method": (("shallow",), [("magic", r"argument --method: invalid choice: 'magic'")]),
    "--scheme": (("shallow",), [("magic", r"argument --scheme: invalid choice")]),
    "--onnx-dtype": (("shallow",), [("float16", r"argument --onnx-dtype: invalid choice: 'float16'")]),
    "--certificate-kind": (("shallow",), [("magic", r"invalid choice")]),
    "--relu": (("shallow",), [("sigmoid", r"argument --relu: invalid choice")]),
    "--decision": (("crosscheck",), [("argmedian", r"argument --decision: invalid choice")]),
    "--dask": (("regions", "bounds", "verify"), [("", r"argument --dask: expected a non-empty value")]),
}

def _expect(cmd: str, opt: str, message: str) -> str:
    return E + f"{cmd}: " + ("" if message.startswith("argument") else f"argument {opt}: ") + message


OPTION_CASES = [
    Case(f"cli/{cmd}/{opt.lstrip('-')}={value or 'empty'}", COMMANDS[cmd][1], (*COMMANDS[cmd][0], f"{opt}={value}"),
         2, _expect(cmd, opt, message))
    for opt, (cmds, junk) in OPTIONS.items() for cmd in cmds for value, message in junk
]

CONTROLS = [
    Case(f"cli/{cmd}/control", files, argv, code, msg)
    for cmd, (argv, files), code, msg in [
        ("regions", COMMANDS["regions"], 0, r"regions, .* complete"),
        ("bounds", COMMANDS["bounds"], 0, r"regions, .* s$"),
        ("verify", COMMANDS["verify"], 0, r"^holds$"),
        ("equiv", COMMANDS["equiv"], 0, r"^equivalent"),
        ("compress", COMMANDS["compress"], 0, r"equivalence on the domain: proved"),
        ("shallow", COMMANDS["shallow"], 0, r"regions: 4"),
        ("crosscheck", COMMANDS["crosscheck"], 0, r"\S"),
    ]
] + [
    Case("cli/regions/max-regions-limit-reached", FILES, (*COMMANDS["regions"][0], "--max-regions", "1"), 20,
         r"INCOMPLETE \(stopped by max_regions\)"),
    Case("cli/regions/workers-2-control", FILES, (*COMMANDS["regions"][0], "--workers", "2"), 0,
         r"regions, .* complete", seconds=60),
    Case("cli/info/control", FILES, ("info", "{m.json}"), 0, r"identity"),
    Case("cli/eval/control", FILES, ("eval", "{m.json}", "--point=0,0", "--json"), 0, r'"output": \["1/2"\]'),
    Case("cli/help", {}, ("--help",), 0, r"\S"),
    Case("cli/recheck/control", {"m.json": NET, "p.vnnlib": PROPERTY, "c.txt": CEX},
         ("recheck", "{m.json}", "{p.vnnlib}", "{c.txt}"), 1, r"real counterexample: NO"),
    Case("cli/check/control", {"c.json": _certificate}, ("check", "{c.json}"), 0, r"^valid: complete partition"),
]

USAGE_CASES = [
    Case("cli/no-command", {}, (), 2, E + r"the following arguments are required: command \(see exactrelu --help\)$"),
    Case("cli/unknown-command", {}, ("frobnicate",), 2, E + r"argument command: invalid choice: 'frobnicate'"),
    Case("cli/unknown-option", FILES, ("info", "{m.json}", "--frobnicate"), 2,
         E + r"unrecognized arguments: --frobnicate"),
    Case("cli/unknown-format-flag", FILES, ("info", "{m.json}", "--format=onnx"), 2,
         E + r"unrecognized arguments: --format=onnx"),
    Case("cli/info/missing-model", {}, ("info",), 2, E + r"info: the following arguments are required: model"),
    Case("cli/info/empty-model-name", {}, ("info", ""), 2, E + r"cannot read a file: the file name is empty"),
    Case("cli/info/two-models", FILES, ("info", "{m.json}", "{m.json}"), 2, E + r"unrecognized arguments"),
    Case("cli/eval/point-missing", FILES, ("eval", "{m.json}"), 2,
         E + r"eval: the following arguments are required: --point"),
    Case("cli/eval/point-without-value", FILES, ("eval", "{m.json}", "--point"), 2,
         E + r"eval: argument --point: expected one argument"),
    Case("cli/verify/missing-property", FILES, ("verify", "{m.json}"), 2,
         E + r"verify: the following arguments are required: property"),
    Case("cli/equiv/missing-model-b", FILES, ("equiv", "{m.json}", "--box=-1:1"), 2,
         E + r"equiv: the following arguments are required: model_b"),
    Case("cli/compress/missing-out", FILES, ("compress", "{m.json}", "--box=-1:1"), 2,
         E + r"compress: the following arguments are required: --out"),
    Case("cli/recheck/missing-counterexample", WITH_PROP, ("recheck", "{m.json}", "{p.vnnlib}"), 2,
         E + r"recheck: the following arguments are required: counterexample"),
    Case("cli/check/missing-certificate", {}, ("check",), 2, E + r"check: the following arguments are required"),
]

RUNTIME_CASES = [
    # files to write that cannot be written (the error comes after the computation, still one line)
    Case("cli/regions/graph-in-missing-directory", FILES, (*COMMANDS["regions"][0], "--graph", "nodir/g.graphml"), 2,
         EP + r"nodir/g\.graphml: No such file or directory"),
    Case("cli/regions/certificate-into-directory", {"m.json": NET, "out": directory("out")},
         (*COMMANDS["regions"][0], "--certificate", "{out}"), 2, EP + r"Is a directory"),
    Case("cli/regions/stream-in-missing-directory", FILES, (*COMMANDS["regions"][0], "--stream", "nodir/s.jsonl"), 2,
         EP + r"nodir/s\.jsonl: No such file or directory"),
    Case("cli/regions/stream-and-graph", FILES, (*COMMANDS["regions"][0], "--stream", "s.jsonl", "--graph", "g.json"),
         2, EP + r"--stream writes a stream certificate with bounded memory"),
    Case("cli/regions/resume-without-stream", FILES, (*COMMANDS["regions"][0], "--resume"), 2,
         EP + r"--resume continues a --stream run"),
    Case("cli/regions/dask-junk-address", FILES, (*COMMANDS["regions"][0], "--dask", "junk"), 2,
         EP + r"cannot reach the Dask scheduler at junk", note="was a raw ValueError"),
    Case("cli/regions/dask-unknown-scheme", FILES, (*COMMANDS["regions"][0], "--dask", "foo://bar:1"), 2,
         EP + r"cannot reach the Dask scheduler at foo://bar:1: unknown address scheme"),
    Case("cli/bounds/output-out-of-range", FILES, (*COMMANDS["bounds"][0], "--output", "5"), 2,
         EP + r"--output 5: the network has 1 outputs", note="was an IndexError"),
    Case("cli/shallow/output-out-of-range", FILES, (*COMMANDS["shallow"][0], "--output", "1"), 2,
         EP + r"--output 1: the network has 1 outputs"),
    Case("cli/compress/out-unknown-extension", FILES, ("compress", "{m.json}", "--box=-1:1", "--out", "small.txt"), 2,
         EP + r"small\.txt: cannot tell the format from the extension"),
    Case("cli/compress/out-in-missing-directory", FILES, ("compress", "{m.json}", "--box=-1:1", "--out",
                                                          "nodir/small.json"), 2, EP + r"cannot write"),
    Case("cli/crosscheck/unknown-backend", FILES, (*COMMANDS["crosscheck"][0], "--backend", "abacus"), 2,
         EP + r"unknown backend 'abacus'"),
    Case("cli/crosscheck/unknown-strategy", FILES, (*COMMANDS["crosscheck"][0], "--strategies", "guess"), 2,
         EP + r"unknown strategy guess"),
    Case("cli/crosscheck/report-extension", FILES, (*COMMANDS["crosscheck"][0], "--report", "r.txt"), 2,
         EP + r"report file must end in \.html or \.png"),
    Case("cli/crosscheck/box-and-vnnlib", WITH_PROP, ("crosscheck", "{m.json}", "--box=-1:1", "--vnnlib", "{p.vnnlib}"),
         2, EP + r"give one of --box, --domain and --vnnlib"),
    Case("cli/verify/property-missing-file", FILES, ("verify", "{m.json}", "nope.vnnlib"), 2, EP + r"nope\.vnnlib"),
    Case("cli/verify/property-binary", {"m.json": NET, "p.vnnlib": bytes(range(256))},
         ("verify", "{m.json}", "{p.vnnlib}"), 2, EP + r"not a text file"),
    Case("cli/verify/property-over-size-limit", WITH_PROP, ("verify", "{m.json}", "{p.vnnlib}"), 2,
         EP + r"larger than the limit of 100 bytes", env={"EXACTRELU_MAX_INPUT_BYTES": "100"}),
    Case("cli/recheck/counterexample-binary", {"m.json": NET, "p.vnnlib": PROPERTY, "c.txt": b"\xff\xfe\x00"},
         ("recheck", "{m.json}", "{p.vnnlib}", "{c.txt}"), 2, EP + r"not a text file"),
    Case("cli/recheck/counterexample-directory", {"m.json": NET, "p.vnnlib": PROPERTY, "c": directory("c")},
         ("recheck", "{m.json}", "{p.vnnlib}", "{c}"), 2, EP + r"is a directory"),
    Case("cli/recheck/counterexample-wrong-length", {"m.json": NET, "p.vnnlib": PROPERTY,
                                                     "c.txt": "((X_0 0) (X_1 0) (X_2 0))"},
         ("recheck", "{m.json}", "{p.vnnlib}", "{c.txt}"), 2, EP + r"X_2 but the network has 2"),
    Case("cli/equiv/different-inputs", {"m.json": NET, "one.json": net_json(lambda d: {
        "format": "exactrelu-network", "version": 1, "inputs": 1,
        "layers": [{"activation": "identity", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1"]]}]}]})},
         ("equiv", "{m.json}", "{one.json}", "--box=-1:1"), 2, EP + r"the networks have 2 and 1 inputs"),
    Case("cli/demo/out-is-a-file", {"f": "x"}, ("demo", "--out", "{f}", "--quiet"), 2, EP + r"File exists"),
    Case("cli/check/pin-missing-model", {"c.json": _certificate}, ("check", "{c.json}", "--model", "nope.json"), 2,
         r"^(exactrelu: error: |.*)nope\.json"),
    Case("cli/check/pin-box-junk", {"c.json": _certificate}, ("check", "{c.json}", "--box", "a:b"), 2,
         r"malformed number 'a'"),
    Case("cli/env/limit-junk", FILES, ("info", "{m.json}"), 2,
         EP + r"environment variable EXACTRELU_MAX_MODEL_BYTES='-5': expected a positive number", env={
             "EXACTRELU_MAX_MODEL_BYTES": "-5"}),
]

CASES = OPTION_CASES + CONTROLS + USAGE_CASES + RUNTIME_CASES
