"""report.html's templates compiled once and kept between processes.

Compiling the templates is about 0.07 CPU s of each process that writes a report
(docs/performance.md, "Everything but the solve"). Jinja2's bytecode cache keeps the
compiled templates in its own folder for the user in the temporary directory (made
with mode 0700 and refused when another user owns it), one file a template, written
whole (a temporary file renamed over it: processes writing at once each leave a whole
file). A file is used only when it was compiled from the same template source, with
the same Jinja2 release, Python version and environment settings (all in its
checksum); anything else is compiled again and the file replaced. The cache is never
a reason for a report to fail: a folder that cannot be made, read or written, or a
file that cannot be read, means compiling as without it.
"""

from __future__ import annotations

import contextlib
from hashlib import sha1

import jinja2
from jinja2 import Environment, FileSystemBytecodeCache
from jinja2.bccache import Bucket

PATTERN = "capacity-optimizer-%s.cache"


class KeptTemplates(FileSystemBytecodeCache):
    """Jinja2's file system bytecode cache, keyed also by ``settings`` (the Jinja2
    release and the environment's settings), failing quietly."""

    def __init__(self, settings: str, directory: str | None = None) -> None:
        super().__init__(directory, PATTERN)
        self.settings = settings

    def get_source_checksum(self, source: str) -> str:
        return sha1(f"{self.settings}\0{source}".encode()).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a file cut short or not Jinja2's: compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # not writable, disk full: compiled again next time
            super().dump_bytecode(bucket)


def settings(environment: Environment) -> str:
    """What a compiled template depends on besides its source: the Jinja2 release and
    the environment's syntax, whitespace, escaping and finalising settings."""
    e = environment
    return repr(
        (
            jinja2.__version__,
            e.block_start_string,
            e.block_end_string,
            e.variable_start_string,
            e.variable_end_string,
            e.comment_start_string,
            e.comment_end_string,
            e.line_statement_prefix,
            e.line_comment_prefix,
            e.trim_blocks,
            e.lstrip_blocks,
            e.newline_sequence,
            e.keep_trailing_newline,
            e.autoescape if isinstance(e.autoescape, bool) else "function",
            e.finalize is not None,
            e.optimized,
            sorted(e.extensions),
        )
    )


def keep_compiled(environment: Environment, directory: str | None = None) -> None:
    """Give ``environment`` the kept templates (in ``directory``, else Jinja2's folder
    for the user); without them when that folder cannot be had."""
    try:
        environment.bytecode_cache = KeptTemplates(settings(environment), directory)
    except (OSError, RuntimeError):  # no temporary directory, or one another user owns
        environment.bytecode_cache = None
