// SPDX-License-Identifier: ISC
#include "cipher_ceiling.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define TAG_SIZE 16

static const unsigned char key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

const char* ceiling_cipher_for(const char* tls_cipher) {
  if (tls_cipher == NULL) return NULL;
  if (strstr(tls_cipher, "AES_128_GCM") || strstr(tls_cipher, "AES128-GCM")) return "AES-128-GCM";
  if (strstr(tls_cipher, "AES_256_GCM") || strstr(tls_cipher, "AES256-GCM")) return "AES-256-GCM";
  if (strstr(tls_cipher, "CHACHA20")) return "ChaCha20-Poly1305";
  return NULL;
}

static const EVP_CIPHER* cipher_named(const char* name) {
  if (strcmp(name, "AES-128-GCM") == 0) return EVP_aes_128_gcm();
  if (strcmp(name, "AES-256-GCM") == 0) return EVP_aes_256_gcm();
  if (strcmp(name, "ChaCha20-Poly1305") == 0) return EVP_chacha20_poly1305();
  return NULL;
}

int ceiling_init(struct ceiling* c, const char* name, size_t record_size) {
  memset(c, 0, sizeof *c);
  const EVP_CIPHER* cipher = cipher_named(name);
  if (cipher == NULL) return -1;
  c->name = name;
  c->record_size = record_size;
  c->record = calloc(1, record_size + TAG_SIZE);
  c->seal = EVP_CIPHER_CTX_new();
  c->open = EVP_CIPHER_CTX_new();
  if (c->record == NULL || c->seal == NULL || c->open == NULL ||
      EVP_EncryptInit_ex(c->seal, cipher, NULL, key, NULL) != 1 ||
      EVP_DecryptInit_ex(c->open, cipher, NULL, key, NULL) != 1) {
    ceiling_free(c);
    return -1;
  }
  return 0;
}

void ceiling_free(struct ceiling* c) {
  EVP_CIPHER_CTX_free(c->seal);
  EVP_CIPHER_CTX_free(c->open);
  free(c->record);
  memset(c, 0, sizeof *c);
}

/* One TLS record: a fresh nonce, the 5-byte header as additional data. */
static int seal_and_open(struct ceiling* c, unsigned long long seq) {
  unsigned char nonce[12] = {0};
  unsigned char header[5] = {23, 3, 3, 0, 0};
  unsigned char tag[TAG_SIZE];
  int len = 0, final_len = 0;
  const int size = (int)c->record_size;
  memcpy(nonce + 4, &seq, sizeof seq);
  header[3] = (unsigned char)((size + TAG_SIZE) >> 8);
  header[4] = (unsigned char)(size + TAG_SIZE);
  if (EVP_EncryptInit_ex(c->seal, NULL, NULL, NULL, nonce) != 1 ||
      EVP_EncryptUpdate(c->seal, NULL, &len, header, sizeof header) != 1 ||
      EVP_EncryptUpdate(c->seal, c->record, &len, c->record, size) != 1 ||
      EVP_EncryptFinal_ex(c->seal, c->record + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(c->seal, EVP_CTRL_AEAD_GET_TAG, TAG_SIZE, tag) != 1) {
    return -1;
  }
  if (EVP_DecryptInit_ex(c->open, NULL, NULL, NULL, nonce) != 1 ||
      EVP_DecryptUpdate(c->open, NULL, &len, header, sizeof header) != 1 ||
      EVP_DecryptUpdate(c->open, c->record, &len, c->record, size) != 1 ||
      EVP_CIPHER_CTX_ctrl(c->open, EVP_CTRL_AEAD_SET_TAG, TAG_SIZE, tag) != 1 ||
      EVP_DecryptFinal_ex(c->open, c->record + len, &final_len) != 1) {
    return -1;
  }
  return 0;
}

int ceiling_run(struct ceiling* c, size_t total) {
  static unsigned long long seq;
  for (size_t done = 0; done < total; done += c->record_size) {
    if (seal_and_open(c, ++seq) != 0) return -1;
  }
  return 0;
}
