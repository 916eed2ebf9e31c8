// SPDX-License-Identifier: ISC
// Errors, files, hex and time helpers, and tls_load_file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "internal.hpp"

namespace tlspp_openssl {
namespace {

std::string vformat(const char* fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n < 0) return fmt;
  std::string s(static_cast<std::size_t>(n), '\0');
  std::vsnprintf(s.data(), s.size() + 1, fmt, ap);
  return s;
}

/// Closes a file descriptor when it goes out of scope.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

/// Reads the whole of `fd` into `out`; false with errno set on failure.
bool read_all(int fd, bytes& out) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  if (st.st_size < 0 || st.st_size > INT_MAX) {
    errno = EFBIG;
    return false;
  }
  out.assign(static_cast<std::size_t>(st.st_size), 0);
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;  // shorter than fstat said
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void error_slot::setx(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_text(vformat(fmt, ap));
  va_end(ap);
}

void error_slot::set_errno(const char* fmt, ...) {
  const int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  std::string text = vformat(fmt, ap);
  va_end(ap);
  text.append(": ").append(std::strerror(saved));
  set_text(std::move(text));
}

std::string take_openssl_error(const char* fallback) {
  const unsigned long e = ERR_peek_last_error();
  std::string text = fallback;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text;
}

void settle(X509* cert) {
  if (cert != nullptr) X509_check_purpose(cert, -1, 0);
}

bio_ptr memory_bio(const void* data, std::size_t len) {
  if (len > INT_MAX) return nullptr;
  // Empty data may come without a pointer; OpenSSL wants one all the same.
  static const char nothing = 0;
  return bio_ptr{BIO_new_mem_buf(len == 0 ? &nothing : data, static_cast<int>(len))};
}

int load_file(error_slot& error, const char* what, const char* path, bytes& out) {
  out.clear();
  if (path == nullptr) {
    error.setx("no %s file given", what);
    return -1;
  }
  const fd_guard file{::open(path, O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    error.set_errno("failed to open %s file '%s'", what, path);
    return -1;
  }
  if (!read_all(file.fd, out)) {
    error.set_errno("failed to read %s file '%s'", what, path);
    out.clear();
    return -1;
  }
  return 0;
}

std::string hex(const unsigned char* p, std::size_t len) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(len * 2);
  for (std::size_t i = 0; i < len; ++i) {
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 0x0f]);
  }
  return s;
}

std::optional<std::string> cert_hash(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &len) != 1) return std::nullopt;
  return "SHA256:" + hex(digest, len);
}

std::time_t to_time_t(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return -1;
  return ::timegm(&tm);
}

int password_callback(char* buf, int size, int /*rwflag*/, void* password) {
  if (size <= 0) return 0;
  if (password == nullptr) {
    std::memset(buf, 0, static_cast<std::size_t>(size));
    return 0;
  }
  const std::size_t len = std::strlen(static_cast<const char*>(password));
  if (len >= static_cast<std::size_t>(size)) return 0;
  std::memcpy(buf, password, len + 1);
  return static_cast<int>(len);
}

namespace {

/// A copy of `len` bytes in memory the caller frees with tls_unload_file.
std::uint8_t* copy_out(const unsigned char* p, std::size_t len, size_t* out_len) {
  // malloc(0) may return null: always allocate at least one byte.
  auto* buf = static_cast<std::uint8_t*>(std::malloc(len == 0 ? 1 : len));
  if (buf == nullptr) return nullptr;
  if (len != 0) std::memcpy(buf, p, len);
  *out_len = len;
  return buf;
}

}  // namespace

}  // namespace tlspp_openssl

using namespace tlspp_openssl;

const char* tlspp_openssl_version(void) {
  static const std::string text = std::string{"tlspp-openssl "} + TLSPP_OPENSSL_VERSION +
                                  " over OpenSSL " + OpenSSL_version(OPENSSL_FULL_VERSION_STRING);
  return text.c_str();
}

std::uint8_t* tls_load_file(const char* name, size_t* len, char* password) {
  *len = 0;
  bytes data;
  {
    const fd_guard file{::open(name, O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0 || !read_all(file.fd, data)) return nullptr;
  }
  if (password == nullptr) return copy_out(data.data(), data.size(), len);

  // Decrypt the key, and hand back the same key unencrypted (PEM).
  const bio_ptr in = memory_bio(data.data(), data.size());
  if (!in) return nullptr;
  const pkey_ptr key{PEM_read_bio_PrivateKey(in.get(), nullptr, password_callback, password)};
  if (!key) {
    // A wrong password, or not a key: errno 0 tells it from a file error.
    ERR_clear_error();
    errno = 0;
    return nullptr;
  }
  const bio_ptr out{BIO_new(BIO_s_secmem())};
  if (!out ||
      PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  char* pem = nullptr;
  const long pem_len = BIO_get_mem_data(out.get(), &pem);
  if (pem_len <= 0) return nullptr;
  return copy_out(reinterpret_cast<unsigned char*>(pem), static_cast<std::size_t>(pem_len), len);
}

void tls_unload_file(std::uint8_t* buf, size_t len) {
  if (buf == nullptr) return;
  OPENSSL_cleanse(buf, len);
  std::free(buf);
}
