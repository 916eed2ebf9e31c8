#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# A shared libtlspp exports its API and nothing else: no tlspp::detail symbol
# (unless listed below, with why a public inline needs it) and nothing of
# the libtls backend inside it (tls_*, tlspp_openssl_*, OpenSSL's own).
# Usage: check-symbols.sh LIBTLSPP_SO
set -euo pipefail
lib=$1
fail() { echo "check-symbols: $*" >&2; exit 1; }

# detail:: symbols a public inline function or template needs from the
# library, as a regex on demangled names. None today.
allowed_detail='^$'

exported=$(nm -D --defined-only "$lib" | cut -d' ' -f3-)
demangled=$(nm -D --defined-only -C "$lib" | cut -d' ' -f3-)
[ -n "$exported" ] || fail "$lib exports nothing"

# What the headers mark TLSPP_API is there (so an empty mark cannot pass).
for api in 'tlspp::version()' 'tlspp::error_category()' \
  'tlspp::client::client(tlspp::config const&)' 'tlspp::memory_transport::commit_received(unsigned long)' \
  'typeinfo for tlspp::error'; do
  grep -qxF "$api" <<<"$demangled" || fail "$lib does not export $api"
done

detail=$(grep -E 'tlspp::([A-Za-z0-9_]+::)*detail::' <<<"$demangled" | grep -Ev "$allowed_detail" || true)
[ -z "$detail" ] || fail "$lib exports internals:"$'\n'"$detail"
backend=$(grep -E '^(tls_|tlspp_openssl_|(SSL|SSL_CTX|EVP|X509|BIO|ERR|OPENSSL|CRYPTO|PEM|OCSP|ASN1)_)' <<<"$exported" || true)
[ -z "$backend" ] || fail "$lib exports its libtls backend's symbols:"$'\n'"$backend"
echo "check-symbols: ok: $(wc -l <<<"$exported") symbols exported by $lib, none internal"
