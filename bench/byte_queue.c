// SPDX-License-Identifier: ISC
#include "byte_queue.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"

ssize_t bq_read(struct byte_queue* q, void* buf, size_t len) {
  size_t n = q->tail - q->head;
  if (n == 0) return BQ_EMPTY;
  if (n > len) n = len;
  memcpy(buf, q->data + q->head, n);
  q->head += n;
  if (q->head == q->tail) q->head = q->tail = 0;
  return (ssize_t)n;
}

ssize_t bq_write(struct byte_queue* q, const void* buf, size_t len) {
  if (q->capacity - q->tail < len) {
    size_t used = q->tail - q->head;
    if (q->head > 0) {
      memmove(q->data, q->data + q->head, used);
      q->head = 0;
      q->tail = used;
    }
    if (q->capacity - used < len) {
      size_t capacity = q->capacity > 0 ? q->capacity : 4096;
      while (capacity - used < len) capacity *= 2;
      /* Page-aligned, as every implementation's queue is: where a buffer
       * sits within its page changes how fast memcpy and the cipher run
       * over it, and that must not differ between the implementations. */
      unsigned char* data = aligned_alloc(BENCH_PAGE, capacity);
      if (data == NULL) return -1;
      if (used > 0) memcpy(data, q->data, used);
      free(q->data);
      q->data = data;
      q->capacity = capacity;
    }
  }
  memcpy(q->data + q->tail, buf, len);
  q->tail += len;
  return (ssize_t)len;
}

void bq_clear(struct byte_queue* q) { q->head = q->tail = 0; }

void bq_free(struct byte_queue* q) {
  free(q->data);
  q->data = NULL;
  q->head = q->tail = q->capacity = 0;
}

size_t bq_size(const struct byte_queue* q) { return q->tail - q->head; }
