// SPDX-License-Identifier: ISC
// tlspp: libtls for C++20. Include this, or the one header you need.
#pragma once

/// \namespace tlspp
/// libtls for C++20: configs (tlspp::config), contexts (tlspp::client,
/// tlspp::server) and their connections (tlspp::connection), over any
/// transport (tlspp::transport, tlspp::memory_transport, two callables, or
/// a socket). The coroutine helpers are in tlspp::coro, the Asio streams in
/// tlspp::asio and tlspp::boost_asio.

#include "tlspp/client.hpp"
#include "tlspp/config.hpp"
#include "tlspp/connection.hpp"
#include "tlspp/connection_info.hpp"
#include "tlspp/error.hpp"
#include "tlspp/features.hpp"
#include "tlspp/io_result.hpp"
#include "tlspp/memory_transport.hpp"
#include "tlspp/protocols.hpp"
#include "tlspp/server.hpp"
#include "tlspp/transport.hpp"
#include "tlspp/version.hpp"
