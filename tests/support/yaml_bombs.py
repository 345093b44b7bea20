"""Hostile YAML for the limit and fuzz tests (issue 11): each body follows a header line."""

from __future__ import annotations

HEADER = "apiVersion: trainops/v1\nkind: Model\nmetadata: {name: bomb}\n"


def billion_laughs(head: str = "") -> str:
    """The 800-byte classic: nine levels of nine aliases each, 9**9 values once expanded."""
    lines = [head + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\nspec: *i\n"


BOMBS = {
    "laughs": billion_laughs(),
    "recursive": "spec: &a [*a]\n",
    "deep_flow": "spec: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "deep_block": "spec:\n" + "".join(" " * (i + 1) + "-\n" for i in range(1000)),
    "deep_aliases": "".join(
        f"k{i}: &a{i} [" + (f"*a{i - 1}" if i else "1") + "]\n" for i in range(100)
    ),
    "many_values": "spec: [" + ",".join(["1"] * 200_000) + "]\n",
}
