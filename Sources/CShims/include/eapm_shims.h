// Thin C over zlib and libcurl for what Swift cannot call directly (zlib's init macros, curl's
// variadic setopt) or should not drive itself (curl's multi loop). Knows nothing of APM.
// Every handle here is owned by exactly one Swift type that destroys it.
#ifndef EAPM_SHIMS_H
#define EAPM_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#pragma clang assume_nonnull begin

// MARK: - Errors
typedef enum {
    EAPM_OK = 0,
    EAPM_ERR_NOMEM,          // an allocation failed
    EAPM_ERR_USAGE,          // the caller broke a precondition (state, arguments)
    EAPM_ERR_CORRUPT,        // compressed input is not valid for its format
    EAPM_ERR_TRUNCATED,      // compressed input ends before its stream does
    EAPM_ERR_TOO_LARGE,      // output (inflated body, response body) would pass its cap
    EAPM_ERR_ZLIB,           // any other zlib failure
    EAPM_ERR_RESOLVE,        // host name did not resolve
    EAPM_ERR_CONNECT,        // connection refused or unreachable
    EAPM_ERR_TIMEOUT,        // connect or total timeout of an attempt
    EAPM_ERR_TLS,            // handshake, certificate or host-name verification failed
    EAPM_ERR_SEND,           // the connection broke while sending
    EAPM_ERR_RECV,           // the connection broke while receiving (reset, empty reply)
    EAPM_ERR_BAD_URL,        // the URL could not be used
    EAPM_ERR_CANCELLED,      // the attempt was cancelled, or the client shut down
    EAPM_ERR_CURL,           // any other libcurl failure
} eapm_code;

typedef struct {
    eapm_code code;
    int library_code; // zlib's Z_* or curl's CURLcode, 0 where none applies
    char message[256];
} eapm_error;

// MARK: - Growable byte buffer
typedef struct {
    uint8_t *_Nullable bytes;
    size_t count;
    size_t capacity;
} eapm_buffer;

/// Frees the buffer's storage and empties it.
static inline void eapm_buffer_free(eapm_buffer *buffer) {
    free(buffer->bytes);
    *buffer = (eapm_buffer){0};
}

// MARK: - Streaming gzip encoder
typedef struct eapm_gzip eapm_gzip;
/// A gzip (RFC 1952) encoder at `level` (0-9, -1 for zlib's default; the caller checks it). Null on
/// failure. zlib's state is made by the first write or finish, which report it failing.
eapm_gzip *_Nullable eapm_gzip_create(int level, eapm_error *error);
/// Compresses `count` bytes, appending whatever zlib emits to the encoder's output.
eapm_code eapm_gzip_write(eapm_gzip *gzip, const uint8_t *_Nullable bytes, size_t count, eapm_error *error);
/// Ends the stream (trailer included); the output is then a complete gzip member. Write no more.
eapm_code eapm_gzip_finish(eapm_gzip *gzip, eapm_error *error);
/// The compressed bytes produced since the last reset.
const uint8_t *_Nullable eapm_gzip_output(const eapm_gzip *gzip, size_t *count);
/// Starts a new stream, keeping zlib's state and the output's storage allocated.
eapm_code eapm_gzip_reset(eapm_gzip *gzip, eapm_error *error);
void eapm_gzip_destroy(eapm_gzip *_Nullable gzip);

// MARK: - Bounded inflater
typedef enum {
    EAPM_INFLATE_GZIP = 0,   // RFC 1952 (Content-Encoding: gzip)
    EAPM_INFLATE_ZLIB = 1,   // RFC 1950 (Content-Encoding: deflate, as HTTP means it)
    EAPM_INFLATE_RAW = 2,    // RFC 1951 (what some clients send as "deflate")
    EAPM_INFLATE_AUTO = 3,   // gzip or zlib, told apart by the header
} eapm_inflate_format;

typedef struct eapm_inflater eapm_inflater;
eapm_inflater *_Nullable eapm_inflater_create(eapm_error *error);
/// Inflates one whole stream of `format` into `output` (replacing its contents). Fails with
/// EAPM_ERR_TOO_LARGE as soon as the output would pass `max_output` (before allocating it), with
/// EAPM_ERR_TRUNCATED when the input ends early, EAPM_ERR_CORRUPT on bad data or trailing bytes.
eapm_code eapm_inflate(eapm_inflater *inflater, eapm_inflate_format format, const uint8_t *_Nullable input,
                       size_t count, size_t max_output, eapm_buffer *output, eapm_error *error);
void eapm_inflater_destroy(eapm_inflater *_Nullable inflater);

// MARK: - HTTP client over libcurl: one submit is one attempt; retries are the caller's
/// Once per process, before any other thread exists (curl_global_init is not thread-safe).
eapm_code eapm_http_global_init(eapm_error *error);

typedef struct {
    int verify_peer;                      // verify the server's certificate chain and host name
    const char *_Nullable extra_ca_pem;   // extra trusted CAs (PEM), added to the system roots
    const char *_Nullable ca_bundle_path; // a CA bundle file instead of libcurl's default
    long max_connections;                 // most connections kept alive at once
} eapm_http_client_options;

typedef struct eapm_http_client eapm_http_client;
typedef struct eapm_http_transfer eapm_http_transfer;
/// Null on failure (bad CA PEM included).
eapm_http_client *_Nullable eapm_http_client_create(const eapm_http_client_options *options, eapm_error *error);
/// The loop, run by the client's one loop thread: hands each transfer whose attempt ended
/// (completed, failed or cancelled) to `completed`; returns once the client is stopped.
void eapm_http_client_run(eapm_http_client *client, void (*completed)(eapm_http_transfer *transfer));
/// Makes `run` return. Thread-safe.
void eapm_http_client_stop(eapm_http_client *client);
/// After `run` has returned, with no transfer submitted.
void eapm_http_client_destroy(eapm_http_client *_Nullable client);
/// How many curl handles the client has made (transfers hand theirs back for reuse). Thread-safe.
long eapm_http_client_easies_made(eapm_http_client *client);
/// Closes every kept-alive connection, forgets TLS sessions and resolved names, as soon as no
/// attempt runs; attempts submitted meanwhile wait for that. Thread-safe.
void eapm_http_client_drop_connections(eapm_http_client *client);

/// A new request for `client` (which must outlive it), named `id` (unique in the client) for
/// `eapm_http_client_cancel`. `body` is copied; `connect_timeout_ms` bounds each connect (0: none).
eapm_http_transfer *_Nullable eapm_http_transfer_create(
    eapm_http_client *client, uint64_t id, const char *method, const char *url, const uint8_t *_Nullable body,
    size_t body_count, long connect_timeout_ms, size_t max_response_bytes, eapm_error *error);
/// Adds a request header line, "Name: value".
eapm_code eapm_http_transfer_add_header(eapm_http_transfer *transfer, const char *line, eapm_error *error);
/// Signs with AWS SigV4 for `region`/`service` (a session token is a header of the caller's).
eapm_code eapm_http_transfer_sign_aws(eapm_http_transfer *transfer, const char *access_key_id,
                                      const char *secret_access_key, const char *region, const char *service,
                                      eapm_error *error);
/// Queues one attempt, bounded by `timeout_ms` (0: none). Thread-safe. The client owns the
/// transfer until `run` hands it to `completed`; submit it again to retry.
eapm_code eapm_http_client_submit(eapm_http_client *client, eapm_http_transfer *transfer, long timeout_ms,
                                  eapm_error *error);
/// Ends the attempt of transfer `id` if it is submitted or running: `run` hands it over failed
/// with EAPM_ERR_CANCELLED. Any other id is ignored. Thread-safe.
void eapm_http_client_cancel(eapm_http_client *client, uint64_t id);
typedef struct {
    long status;                   // 0 when no response arrived
    const uint8_t *_Nullable body;
    size_t body_count;
    const char *_Nullable headers; // raw header lines of the last response, "\r\n"-separated
    size_t headers_count;
    long retry_after_seconds;      // the answer's Retry-After, 0 when none
    int64_t name_lookup_us, connect_us, tls_us, first_byte_us, total_us; // curl's, from the start
    long new_connections;          // 0: the attempt reused a kept-alive connection
} eapm_http_result;
/// The outcome of the last attempt. Pointers live until the next submit or the destroy.
eapm_code eapm_http_transfer_result(const eapm_http_transfer *transfer, eapm_http_result *result, eapm_error *error);
/// The caller waiting for the submitted attempt's end (set before submitting it).
void eapm_http_transfer_set_context(eapm_http_transfer *transfer, void *_Nullable context);
/// In `completed`: the waiting caller, if one waits yet; the attempt counts as ended from here on.
void *_Nullable eapm_http_transfer_take_context(eapm_http_transfer *transfer);

/// Has `run` submit `follow_up` (a transfer of the same client, bounded by `timeout_ms`) the
/// moment `transfer`'s attempt ends with a 2xx answer, before handing `transfer` back: the next
/// request goes out without a round trip through the caller. Null detaches. Whoever submits the
/// follow-up claims it first (`eapm_http_transfer_claim`), so it goes once.
void eapm_http_transfer_set_follow_up(eapm_http_transfer *transfer, eapm_http_transfer *_Nullable follow_up,
                                      long timeout_ms);
/// 1: the caller may submit the transfer (no loop has, or will); 0: a loop submitted it as a
/// follow-up, and the caller waits for that attempt instead (`eapm_http_transfer_wait`).
int eapm_http_transfer_claim(eapm_http_transfer *transfer);
/// Whether the transfer was claimed, without claiming it.
int eapm_http_transfer_claimed(const eapm_http_transfer *transfer);
/// For a follow-up the loop submitted: 1 if `waiter` now waits for its attempt's end, 0 if that
/// attempt has already ended.
int eapm_http_transfer_wait(eapm_http_transfer *transfer, void *waiter);
/// Frees the transfer; its curl handle goes back to its client for the next transfer.
void eapm_http_transfer_destroy(eapm_http_transfer *_Nullable transfer);
#pragma clang assume_nonnull end

#endif
