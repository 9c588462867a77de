#!/usr/bin/env python3
"""Checks every relative link in README.md, CONTRIBUTING.md and docs/*.md: the file exists and, for file#anchor,
the anchor is one of that Markdown file's headings (GitHub's slugs). usage: tests/check_links.py [repo root]"""
import glob
import os
import re
import sys


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)  # GitHub drops punctuation but keeps hyphens and underscores
    return s.replace(" ", "-")


def anchors(path):
    text = re.sub(r"```.*?```", "", open(path, encoding="utf-8").read(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.*)$", text, re.M)}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)
    pages = ["README.md", "CONTRIBUTING.md"] + sorted(glob.glob("docs/*.md"))
    bad, count = [], 0
    for page in pages:
        text = re.sub(r"```.*?```", "", open(page, encoding="utf-8").read(), flags=re.S)
        text = re.sub(r"^    .*$", "", text, flags=re.M)  # indented code (formulas such as S[f](x))
        text = re.sub(r"`[^`]*`", "", text)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or not re.search(r"[./#]", target):
                continue  # http(s), mailto: not checked offline; f[x](t) in a formula is no link
            count += 1
            path, _, anchor = target.partition("#")
            file = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(file):
                bad.append(f"{page}: ({target}): no file {file}")
            elif anchor and file.endswith(".md") and anchor not in anchors(file):
                bad.append(f"{page}: ({target}): no heading #{anchor} in {file}")
    for b in bad:
        print(b)
    print(f"check_links: {count} links in {len(pages)} pages, {len(bad)} broken")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
