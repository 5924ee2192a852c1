"""Command bodies: what one `distillscope` command does between its options and its printing.

Each module opens what its command works in (a Workspace, a runner over the store), calls the
library below it and writes the command's outputs: `generate.py` (generate), `audit.py` (audit,
similarity, rse, ice, indist: one Workspace, the results file, the HTML report), `distill.py`
(distill, distill sweep), `attribute.py` (attribute, attribute --zoo). The CLI imports them
inside its commands, so `distillscope --help` loads none of them; nothing below imports them.
"""
