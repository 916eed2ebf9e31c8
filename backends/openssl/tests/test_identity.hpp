// SPDX-License-Identifier: ISC
// A throwaway self-signed P-256 certificate for "localhost", made with
// OpenSSL, for the backend's own tests.
#pragma once

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <string>

namespace tlspp_openssl_test {

inline std::string pem_of(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

/// A throwaway self-signed P-256 certificate for localhost (and
/// alias.localhost) and its key.
inline bool make_identity(std::string& cert_pem, std::string& key_pem) {
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
    const char* extensions[][2] = {{"subjectAltName", "DNS:localhost,DNS:alias.localhost"},
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

/// A good OCSP response (DER) for the self-signed `cert_pem`, signed with
/// its own key (the certificate is its own issuer and responder).
inline std::string make_ocsp_good(const std::string& cert_pem, const std::string& key_pem) {
  BIO* c = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* k = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  X509* cert = PEM_read_bio_X509(c, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(k, nullptr, nullptr, nullptr);
  OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
  OCSP_CERTID* id = cert != nullptr ? OCSP_cert_to_id(EVP_sha1(), cert, cert) : nullptr;
  ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, 3600);
  std::string der;
  if (key != nullptr && basic != nullptr && id != nullptr &&
      OCSP_basic_add1_status(basic, id, V_OCSP_CERTSTATUS_GOOD, 0, nullptr, now, next) != nullptr &&
      OCSP_basic_sign(basic, cert, key, EVP_sha256(), nullptr, 0) == 1) {
    OCSP_RESPONSE* response = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic);
    unsigned char* out = nullptr;
    const int len = response != nullptr ? i2d_OCSP_RESPONSE(response, &out) : -1;
    if (len > 0) der.assign(reinterpret_cast<const char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    OCSP_RESPONSE_free(response);
  }
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  OCSP_CERTID_free(id);
  OCSP_BASICRESP_free(basic);
  EVP_PKEY_free(key);
  X509_free(cert);
  BIO_free(c);
  BIO_free(k);
  return der;
}

}  // namespace tlspp_openssl_test
