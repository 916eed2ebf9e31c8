// SPDX-License-Identifier: ISC
// TLSPP_API: what a shared libtlspp exports; TLSPP_LOCAL: what it keeps.
//
// tlspp is built with hidden visibility (-fvisibility=hidden
// -fvisibility-inlines-hidden): a shared libtlspp exports the classes and
// functions its headers mark TLSPP_API, and nothing else, so that its
// internals (tlspp::detail, the libtls backend inside it) are no part of its
// ABI. Inline functions and templates are not marked: each program compiles
// its own copy. TLSPP_LOCAL hides a member of an exported class that only
// the library calls (a constructor taking tlspp::detail state, a private
// helper), so that it stays out of the ABI too.
//
// The mark is the same whether tlspp is static or shared, and whether it is
// being built or used: default visibility is what a static library and its
// users have anyway. A program that links the static libtlspp.a into a
// shared library of its own, and does not want to re-export tlspp from it,
// defines TLSPP_API to nothing before including any tlspp header (e.g.
// -DTLSPP_API=).
#pragma once

#ifndef TLSPP_API
#if defined(__GNUC__) || defined(__clang__)
#define TLSPP_API [[gnu::visibility("default")]]
#else
#define TLSPP_API
#endif
#endif

#ifndef TLSPP_LOCAL
#if defined(__GNUC__) || defined(__clang__)
#define TLSPP_LOCAL [[gnu::visibility("hidden")]]
#else
#define TLSPP_LOCAL
#endif
#endif
