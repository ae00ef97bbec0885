// Helpers shared by the shim's files; not part of its interface.
#ifndef EAPM_INTERNAL_H
#define EAPM_INTERNAL_H

#include "eapm_shims.h"

#include <curl/curl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/// Makes room for `extra` more bytes; 0 when out of memory.
static inline int eapm_buffer_reserve(eapm_buffer *buffer, size_t extra) {
    if (extra <= buffer->capacity - buffer->count) return 1;
    if (extra > SIZE_MAX / 2 - buffer->count) return 0;
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->count + extra) capacity *= 2;
    uint8_t *bytes = realloc(buffer->bytes, capacity);
    if (!bytes) return 0;
    buffer->bytes = bytes;
    buffer->capacity = capacity;
    return 1;
}
/// Appends; 0 when out of memory.
static inline int eapm_buffer_append(eapm_buffer *buffer, const void *bytes, size_t count) {
    if (count == 0) return 1;
    if (!eapm_buffer_reserve(buffer, count)) return 0;
    memcpy(buffer->bytes + buffer->count, bytes, count);
    buffer->count += count;
    return 1;
}
/// Fills `error` and returns `code`.
static inline __attribute__((format(printf, 4, 5))) eapm_code eapm_fail(eapm_error *error, eapm_code code,
                                                                       int library_code, const char *format, ...) {
    error->code = code;
    error->library_code = library_code;
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    return code;
}

// MARK: - HTTP: http_client.c (the client, its loop), http_transfer.c (one request)
struct eapm_http_transfer {
    eapm_http_client *client;
    CURL *easy;
    uint64_t id;               // the caller's, for cancelling
    struct curl_slist *headers;
    size_t max_response;
    void *context;             // atomic: the caller waiting for the attempt's end, or ENDED
    // Submitted by the loop itself when this transfer's attempt ends with a 2xx answer.
    eapm_http_transfer *follow_up;
    long follow_up_timeout_ms;
    int claimed;               // atomic, as a follow-up: 1 once the loop or its caller submits it
    eapm_buffer body, header_lines;
    int body_too_large;
    CURLcode result;
    char error_text[CURL_ERROR_SIZE];
    eapm_http_transfer *next; // in at most one of the client's lists
};

// One curl multi handle driven by one loop thread. Other threads hand over attempts, cancellations
// and drops under `lock`, then wake the loop through `wake_fd`, which lives as long as the client:
// the loop alone calls curl on the multi and its easy handles (while attached), and may replace
// `multi`. Waking after the unlock matters on one CPU: the woken loop runs at once and would
// otherwise block on the lock at once, two context switches more per hand-over.
struct eapm_http_client {
    pthread_mutex_t lock;
    int wake_fd;               // an eventfd, in every curl_multi_poll of the loop
    eapm_http_transfer *submitted;
    eapm_buffer cancelled_ids; // uint64_t
    int drop_requested, stopped;
    // Reset handles of finished transfers: a new one costs a resolver (c-ares reads resolv.conf
    // and allocates its tables: ~25 us), a reused one nothing.
    CURL *idle_easies[8];
    int idle_count;
    long easies_made;
    // The loop thread's:
    CURLM *multi;
    CURLSH *share;             // TLS sessions, names; on an easy handle only while it runs
    eapm_http_transfer *queued; // taken, held back while a drop waits for `active` to end
    eapm_http_transfer *active;
    int dropping;
    long max_connections;
    STACK_OF(X509) *extra_cas;
    X509_STORE *trust_store;   // the bundle and the extra CAs, made on the first TLS connection
    char *ca_bundle_path;
    int verify_peer;
};

/// An idle or a new easy handle. Thread-safe.
CURL *eapm_http_take_easy(eapm_http_client *client);
/// Resets a finished transfer's handle and keeps it for the next. Thread-safe.
void eapm_http_give_back_easy(eapm_http_client *client, CURL *easy);
/// curl's SSL_CTX callback: trust the client's store.
CURLcode eapm_http_use_trust_store(CURL *easy, void *ssl_ctx, void *client);

#endif
