// SPDX-License-Identifier: ISC
// Detail of tlspp::asio::stream: the guard of the flavour-included headers.
//
// stream_impl.hpp, stream_core.hpp, io_op.hpp and shutdown_op.hpp are
// written once for both Asios and included once per flavour, by
// <tlspp/asio/stream.hpp> (standalone Asio) and <tlspp/boost_asio/stream.hpp>
// (Boost.Asio), each of which has #pragma once. They have no include guard
// of their own, open `namespace tlspp::TLSPP_ASIO_FLAVOUR`, and find there
// what the flavour header defined in its detail namespace: `net` (the Asio
// namespace), `error_code`, `system_error`, `to_error_code()`, and the
// macro TLSPP_ASIO_HAS_CANCELLATION.
#ifndef TLSPP_ASIO_FLAVOUR
#error "include <tlspp/asio/stream.hpp> or <tlspp/boost_asio/stream.hpp>, not a detail header"
#endif
