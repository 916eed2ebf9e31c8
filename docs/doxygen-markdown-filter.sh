#!/bin/sh
# SPDX-License-Identifier: ISC
# Doxygen input filter for the Markdown pages (docs/Doxyfile.in). Doxygen
# 1.9 gives headings no GitHub-style ids, so a link to a heading of the same
# page, [text](#some-heading), would be an unresolvable reference: keep its
# text and drop the link. Lines stay where they are, so warnings point at
# the right line.
exec sed -E 's/\[([^]]*)\]\(#[^)]*\)/\1/g' "$1"
