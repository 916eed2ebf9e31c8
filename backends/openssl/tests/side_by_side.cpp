// Links tlspp-openssl and the system's libtls into one program and does a
// handshake with each: the two share no symbol, each call lands in its own
// library, and neither disturbs the other.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <string>

std::string run_ours(const std::string& cert, const std::string& key, std::string& version,
                     std::string& library);
std::string run_system(const std::string& cert, const std::string& key, std::string& version,
                       std::string& library);

namespace {

std::string pem_of(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

/// A throwaway self-signed P-256 certificate for localhost and its key.
bool make_identity(std::string& cert_pem, std::string& key_pem) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    const char* extensions[][2] = {{"subjectAltName", "DNS:localhost"},
                                   {"basicConstraints", "critical,CA:TRUE"}};
    for (const auto& ext : extensions) {
      X509_EXTENSION* e = X509V3_EXT_conf(nullptr, &v3, ext[0], ext[1]);
      ok = ok && e != nullptr && X509_add_ext(cert, e, -1) == 1;
      X509_EXTENSION_free(e);
    }
    ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
  }
  BIO* c = BIO_new(BIO_s_mem());
  BIO* k = BIO_new(BIO_s_mem());
  ok = ok && PEM_write_bio_X509(c, cert) == 1 &&
       PEM_write_bio_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (ok) {
    cert_pem = pem_of(c);
    key_pem = pem_of(k);
  }
  BIO_free(c);
  BIO_free(k);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace

int main() {
  std::string cert, key;
  if (!make_identity(cert, key)) {
    std::puts("FAIL: could not make a test certificate");
    return 1;
  }
  int failures = 0;
  std::string home[2];
  const char* names[2] = {"tlspp-openssl", "system libtls"};
  for (int i = 0; i < 2; ++i) {
    std::string version;
    const std::string failed =
        i == 0 ? run_ours(cert, key, version, home[i]) : run_system(cert, key, version, home[i]);
    std::printf("%s: %s, %s, tls_handshake from %s\n", names[i],
                failed.empty() ? "handshake ok" : failed.c_str(), version.c_str(), home[i].c_str());
    if (!failed.empty()) ++failures;
  }
  // Each tls_handshake must come from its own library: ours is linked in
  // statically, the system's is a shared object.
  if (home[0] == home[1] || home[1].find("libtls.so") == std::string::npos) {
    std::puts("FAIL: both calls did not land in their own library");
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}
