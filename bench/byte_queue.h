// SPDX-License-Identifier: ISC
/* One direction of an in-memory pipe, in plain C: what one side wrote and
 * the other has not read yet. Every implementation of the memory-pipe
 * benchmarks moves its ciphertext through these same queues. */
#ifndef TLSPP_BENCH_BYTE_QUEUE_H
#define TLSPP_BENCH_BYTE_QUEUE_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* bq_read's answer when the queue is empty: libtls's TLS_WANT_POLLIN. */
#define BQ_EMPTY ((ssize_t)-2)

struct byte_queue {
  unsigned char* data;
  size_t head; /* first unread byte */
  size_t tail; /* one past the last written byte */
  size_t capacity;
};

/* Copies up to `len` queued bytes into `buf`; BQ_EMPTY when there are none. */
ssize_t bq_read(struct byte_queue* q, void* buf, size_t len);
/* Appends all `len` bytes (the queue grows as needed); -1 when out of memory. */
ssize_t bq_write(struct byte_queue* q, const void* buf, size_t len);
/* Drops queued bytes, keeps the buffer. */
void bq_clear(struct byte_queue* q);
/* Frees the buffer. */
void bq_free(struct byte_queue* q);
size_t bq_size(const struct byte_queue* q);

#ifdef __cplusplus
}
#endif

#endif
