#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Every option `tlscat -h` lists is in the man page, and the man page lists
# no other: the two cannot drift apart. docs/tlscat.md names every option too.
#
#   check-man-options.sh TLSCAT MAN_PAGE DOC
set -euo pipefail
if (($# != 3)); then
  echo "usage: $0 TLSCAT MAN_PAGE DOC" >&2
  exit 2
fi
tlscat=$1 man_page=$2 doc=$3

# "  -h, --help   this text" and "  --ca FILE   ..." -> -h, --help, --ca
help_options() {
  "$tlscat" -h | sed -n 's/^  \(-[^ ,]*\(, --[^ ]*\)\{0,1\}\).*/\1/p' | tr -d ',' | tr ' ' '\n'
}

# ".It Fl h , Fl \-help" and ".It Fl \-ca Ar file" -> -h, --help, --ca
man_options() {
  sed -n 's/^\.It Fl //p' "$man_page" | sed 's/ Fl /\n/g' | sed 's/ .*//; s/\\-/-/g; s/^/-/'
}

help=$(help_options | sort -u)
man=$(man_options | sort -u)
[[ -n $help ]] || { echo "FAIL: no option in $tlscat -h" >&2; exit 1; }
status=0
if missing=$(comm -23 <(echo "$help") <(echo "$man")) && [[ -n $missing ]]; then
  echo "FAIL: in tlscat -h but not in ${man_page##*/}: $(tr '\n' ' ' <<<"$missing")" >&2
  status=1
fi
if extra=$(comm -13 <(echo "$help") <(echo "$man")) && [[ -n $extra ]]; then
  echo "FAIL: in ${man_page##*/} but not in tlscat -h: $(tr '\n' ' ' <<<"$extra")" >&2
  status=1
fi
for option in $help; do
  grep -qF -- "\`$option" "$doc" || {
    echo "FAIL: ${doc##*/} does not name $option" >&2
    status=1
  }
done
((status == 0)) && echo "PASS: $(wc -w <<<"$help") options, the same in tlscat -h, ${man_page##*/} and ${doc##*/}"
exit $status
