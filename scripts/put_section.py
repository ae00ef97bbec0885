#!/usr/bin/env python3
"""Puts one generated section into BENCHMARKS.md between `<!-- NAME -->` and `<!-- /NAME -->`,
leaving the other sections (bench, layer, soak, fuzz) as they are.

usage: scripts/put_section.py NAME FILE CONTENT_FILE
"""
import re
import sys


def put_section(path, name, content):
    content = re.sub(r"\A# Benchmarks\s*\n", "", content.strip()) + "\n"
    block = f"<!-- {name} -->\n{content}<!-- /{name} -->"
    try:
        text = open(path, encoding="utf-8").read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    open(path, "w", encoding="utf-8").write(text)


if __name__ == "__main__":
    name, path, content_path = sys.argv[1:4]
    put_section(path, name, open(content_path, encoding="utf-8").read())
