"""Every generated doc, rewritten: ``python -m optimizer.cli.docs [DOCS_FOLDER]``.

The command's reference (docs/cli-reference.md, from click) is made here, beside the
command it documents; the library's (inputs.md, the tables of outputs.md) by
optimizer.docs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer.cli.command import main as command
from optimizer.cli.serve import serve
from optimizer.docs import HEADER, render_inputs, render_outputs

DOCS = Path("docs")


def _help(command: click.Command, name: str) -> str:
    """``command``'s help, as click prints it (at 100 columns)."""
    context = click.Context(
        command,
        info_name=name,
        terminal_width=100,
        max_content_width=100,
        **command.context_settings,
    )
    return "```text\n" + command.get_help(context) + "\n```\n"


def render_cli() -> str:
    """docs/cli-reference.md: `optimize --help` and `optimize serve --help`, as click
    prints them."""
    return (
        HEADER.replace("optimizer/schema.py", "cli/command.py and cli/serve.py")
        + "\n# Command-line reference\n\nThe options of `optimize`, as `optimize --help` "
        "prints them. [cli.md](cli.md) says more about each, the exit codes and the output.\n\n"
        + _help(command, "optimize")
        + "\n## optimize serve\n\nThe calculator, as `optimize serve --help` prints it; "
        "[calculator.md](calculator.md) describes the page.\n\n" + _help(serve, "optimize serve")
    )


def render_all(docs: Path = DOCS) -> dict[str, str]:
    """Generated file (relative to docs/) -> its current text."""
    outputs = (docs / "outputs.md").read_text(encoding="utf-8")
    return {
        "inputs.md": render_inputs(),
        "outputs.md": render_outputs(outputs),
        "cli-reference.md": render_cli(),
    }


def main(argv: list[str]) -> int:
    docs = Path(argv[1]) if len(argv) > 1 else DOCS
    for name, text in render_all(docs).items():
        (docs / name).write_text(text, encoding="utf-8")
        print(f"wrote {docs / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
