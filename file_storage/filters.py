"""``--include`` / ``--exclude`` path filters with rclone's glob rules.

Patterns are matched against a path relative to the root of the operation (the folder or prefix
a command was given), written with ``/`` and no leading ``/``:

- ``*`` matches any run of characters except ``/``; ``**`` matches any run including ``/``;
  ``?`` one character except ``/``; ``[a-z]`` / ``[!a-z]`` a character class; ``{a,b}`` one of
  the alternatives; ``\\x`` the character ``x`` itself.
- A pattern starting with ``/`` is anchored at the root; any other pattern matches the end of the
  path at a name boundary (``file.jpg`` matches ``file.jpg`` and ``dir/file.jpg``, not
  ``afile.jpg``).
- A pattern ending with ``/`` names a folder: excluding ``dir/`` excludes everything below it
  (like ``dir/**``); including ``dir/`` includes no file by itself (use ``dir/**``).

As in rclone, all include rules are tried first, then all exclude rules, in the order given; the
first rule that matches decides. When any include rule is given, a final rule excludes every
other path. Mixing both kinds is allowed but, as rclone warns, rarely what one wants:
:attr:`PathFilter.mixed` says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["FilterError", "PathFilter", "glob_to_regex"]


class FilterError(ValueError):
    """A pattern that cannot be understood (an unclosed ``[`` or ``{``)."""


@dataclass(frozen=True, slots=True)
class _Rule:
    include: bool
    pattern: str
    regex: re.Pattern[str]


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Translate one rclone glob into a compiled regular expression over relative paths.

    Raises:
        FilterError: The pattern has an unclosed ``[`` or ``{``, or a nested ``{``.
    """
    anchored = pattern.startswith("/")
    body = pattern[1:] if anchored else pattern
    if body.endswith("/"):
        body += "**"  # rclone >= 1.54: excluding dir/ excludes its content
    out = ["^" if anchored else "(?:^|/)"]
    i = 0
    in_braces = False
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
            continue
        if char == "*":
            if body.startswith("**", i):
                out.append(".*")
                i += 2
            else:
                out.append("[^/]*")
                i += 1
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            end = body.find("]", i + 2 if body.startswith(("[!", "[^"), i) else i + 1)
            if end < 0:
                raise FilterError(f"unclosed '[' in filter pattern {pattern!r}")
            inner = body[i + 1 : end]
            negate = inner[:1] in ("!", "^")
            inner = inner[1:] if negate else inner
            out.append(("[^/" if negate else "[") + inner.replace("\\", "\\\\") + "]")
            i = end + 1
            continue
        elif char == "{":
            if in_braces:
                raise FilterError(f"nested '{{' in filter pattern {pattern!r}")
            in_braces = True
            out.append("(?:")
        elif char == "," and in_braces:
            out.append("|")
        elif char == "}" and in_braces:
            in_braces = False
            out.append(")")
        else:
            out.append(re.escape(char))
        i += 1
    if in_braces:
        raise FilterError(f"unclosed '{{' in filter pattern {pattern!r}")
    out.append("$")
    return re.compile("".join(out))


class PathFilter:
    """Decide which relative paths an operation includes.

    Args:
        include: ``--include`` patterns, in command-line order.
        exclude: ``--exclude`` patterns, in command-line order.

    Raises:
        FilterError: A pattern cannot be understood.
    """

    def __init__(self, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
        self.rules = [_Rule(True, p, glob_to_regex(p)) for p in include]
        self.rules += [_Rule(False, p, glob_to_regex(p)) for p in exclude]
        self.implicit_exclude = bool(include)
        self.mixed = bool(include) and bool(exclude)

    @property
    def active(self) -> bool:
        """Whether any rule was given (an empty filter includes everything)."""
        return bool(self.rules)

    def includes(self, relative_path: str) -> bool:
        """Tell whether ``relative_path`` (``/``-separated, no leading ``/``) is included."""
        path = relative_path.lstrip("/")
        for rule in self.rules:
            if rule.regex.search(path):
                return rule.include
        return not self.implicit_exclude

    def shows_folder(self, relative_folder: str) -> bool:
        """Whether a listing shows this folder: hidden only when an exclude rule matches it.

        A folder may hold included files whatever its own name, so the implicit "everything
        else" exclusion of include rules does not hide it (``ls --include '*.mp4'`` still shows
        the folders to descend into).
        """
        path = relative_folder.strip("/") + "/"
        for rule in self.rules:
            if rule.regex.search(path):
                return rule.include
        return True

    def select(self, paths: Iterable[str], root: str = "") -> list[str]:
        """Keep the store paths below ``root`` whose path relative to ``root`` is included."""
        return [path for path in paths if self.includes(relative_to(path, root))]


def relative_to(path: str, root: str) -> str:
    """``path`` relative to the folder ``root`` (``""`` is the store's root)."""
    root = root.strip("/")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :].lstrip("/") or path.rsplit("/", 1)[-1]
    return path
