#include "internal.h"

static size_t on_body(char *data, size_t size, size_t count, void *user) {
    eapm_http_transfer *transfer = user;
    size_t bytes = size * count;
    if (transfer->body.count + bytes > transfer->max_response) {
        transfer->body_too_large = 1;
        return 0; // aborts the transfer with CURLE_WRITE_ERROR
    }
    return eapm_buffer_append(&transfer->body, data, bytes) ? bytes : 0;
}
static size_t on_header(char *data, size_t size, size_t count, void *user) {
    eapm_http_transfer *transfer = user;
    size_t bytes = size * count;
    // Each response (a 100 Continue, then the real one) starts with its status line: keep the last.
    if (bytes >= 5 && memcmp(data, "HTTP/", 5) == 0) transfer->header_lines.count = 0;
    if (transfer->header_lines.count + bytes > 64 * 1024) return 0;
    return eapm_buffer_append(&transfer->header_lines, data, bytes) ? bytes : 0;
}
eapm_http_transfer *eapm_http_transfer_create(eapm_http_client *client, uint64_t id, const char *method,
                                              const char *url, const uint8_t *body, size_t body_count,
                                              long connect_timeout_ms, size_t max_response_bytes, eapm_error *error) {
    eapm_http_transfer *transfer = calloc(1, sizeof *transfer);
    if (!transfer || !(transfer->easy = eapm_http_take_easy(client))) {
        free(transfer);
        eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for an HTTP transfer");
        return NULL;
    }
    transfer->client = client;
    transfer->id = id;
    transfer->max_response = max_response_bytes;
    CURL *easy = transfer->easy;
    CURLcode code = curl_easy_setopt(easy, CURLOPT_URL, url);
    if (code != CURLE_OK) {
        eapm_fail(error, EAPM_ERR_BAD_URL, code, "bad URL: %s", curl_easy_strerror(code));
        eapm_http_transfer_destroy(transfer);
        return NULL;
    }
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error_text);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    if (connect_timeout_ms > 0) curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, client->verify_peer ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, client->verify_peer ? 2L : 0L);
    if (client->extra_cas) {
        // Our store, not curl's: curl would otherwise parse the bundle for every new connection
        // (its own cache cannot hold extra CAs), about 20 ms each.
        curl_easy_setopt(easy, CURLOPT_CAINFO, NULL);
        curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
        curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 0L); // curl's cached store would replace ours
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, eapm_http_use_trust_store);
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, client);
    } else if (client->ca_bundle_path) {
        curl_easy_setopt(easy, CURLOPT_CAINFO, client->ca_bundle_path);
    }
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(method, "POST") != 0) curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
        // The size first: COPYPOSTFIELDS copies that many bytes (binary-safe).
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_count);
        curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body_count ? (const char *)body : "");
    }
    return transfer;
}
eapm_code eapm_http_transfer_add_header(eapm_http_transfer *transfer, const char *line, eapm_error *error) {
    if (strchr(line, '\r') || strchr(line, '\n'))
        return eapm_fail(error, EAPM_ERR_USAGE, 0, "a header line may not contain CR or LF");
    struct curl_slist *headers = curl_slist_append(transfer->headers, line);
    if (!headers) return eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for headers");
    transfer->headers = headers;
    return EAPM_OK;
}
eapm_code eapm_http_transfer_sign_aws(eapm_http_transfer *transfer, const char *access_key_id,
                                      const char *secret_access_key, const char *region, const char *service,
                                      eapm_error *error) {
    char provider[256];
    int length = snprintf(provider, sizeof provider, "aws:amz:%s:%s", region, service);
    if (length < 0 || (size_t)length >= sizeof provider)
        return eapm_fail(error, EAPM_ERR_USAGE, 0, "AWS region or service name too long");
    CURLcode code = curl_easy_setopt(transfer->easy, CURLOPT_AWS_SIGV4, provider);
    if (code == CURLE_OK) code = curl_easy_setopt(transfer->easy, CURLOPT_USERNAME, access_key_id);
    if (code == CURLE_OK) code = curl_easy_setopt(transfer->easy, CURLOPT_PASSWORD, secret_access_key);
    if (code != CURLE_OK) return eapm_fail(error, EAPM_ERR_CURL, code, "SigV4 setup: %s", curl_easy_strerror(code));
    return EAPM_OK;
}

// What Swift needs to tell failures apart (a retry is only for some); the rest is EAPM_ERR_CURL.
static const struct { CURLcode curl; eapm_code code; } code_map[] = {
    {CURLE_COULDNT_RESOLVE_HOST, EAPM_ERR_RESOLVE}, {CURLE_COULDNT_RESOLVE_PROXY, EAPM_ERR_RESOLVE},
    {CURLE_COULDNT_CONNECT, EAPM_ERR_CONNECT}, {CURLE_OPERATION_TIMEDOUT, EAPM_ERR_TIMEOUT},
    {CURLE_SSL_CONNECT_ERROR, EAPM_ERR_TLS}, {CURLE_PEER_FAILED_VERIFICATION, EAPM_ERR_TLS},
    {CURLE_SSL_CERTPROBLEM, EAPM_ERR_TLS}, {CURLE_SSL_CIPHER, EAPM_ERR_TLS}, {CURLE_SSL_CACERT_BADFILE, EAPM_ERR_TLS},
    {CURLE_SSL_ISSUER_ERROR, EAPM_ERR_TLS}, {CURLE_SSL_PINNEDPUBKEYNOTMATCH, EAPM_ERR_TLS},
    {CURLE_SSL_INVALIDCERTSTATUS, EAPM_ERR_TLS}, {CURLE_SSL_ENGINE_INITFAILED, EAPM_ERR_TLS},
    {CURLE_USE_SSL_FAILED, EAPM_ERR_TLS}, {CURLE_SEND_ERROR, EAPM_ERR_SEND}, {CURLE_RECV_ERROR, EAPM_ERR_RECV},
    {CURLE_GOT_NOTHING, EAPM_ERR_RECV}, {CURLE_PARTIAL_FILE, EAPM_ERR_RECV},
    {CURLE_URL_MALFORMAT, EAPM_ERR_BAD_URL}, {CURLE_UNSUPPORTED_PROTOCOL, EAPM_ERR_BAD_URL},
};

static eapm_code map_curl_code(const eapm_http_transfer *transfer, CURLcode result, eapm_error *error) {
    const char *detail = transfer->error_text[0] ? transfer->error_text : curl_easy_strerror(result);
    eapm_code code = EAPM_ERR_CURL;
    if (result == CURLE_OK) return EAPM_OK;
    if (result == CURLE_ABORTED_BY_CALLBACK) // what the loop sets on a cancelled attempt
        return eapm_fail(error, EAPM_ERR_CANCELLED, result, "the request was cancelled");
    if (result == CURLE_WRITE_ERROR && transfer->body_too_large)
        return eapm_fail(error, EAPM_ERR_TOO_LARGE, result, "response body exceeds %zu bytes", transfer->max_response);
    if (result == CURLE_WRITE_ERROR) return eapm_fail(error, EAPM_ERR_NOMEM, result, "storing the response failed: %s", detail);
    for (size_t i = 0; i < sizeof code_map / sizeof *code_map; i++)
        if (code_map[i].curl == result) code = code_map[i].code;
    return eapm_fail(error, code, result, code == EAPM_ERR_TLS ? "TLS: %s" : "%s", detail);
}
static int64_t info_us(CURL *easy, CURLINFO info) {
    curl_off_t value = 0; // microseconds, or Retry-After's seconds (curl parses both of its forms)
    curl_easy_getinfo(easy, info, &value);
    return (int64_t)value;
}
eapm_code eapm_http_transfer_result(const eapm_http_transfer *transfer, eapm_http_result *result, eapm_error *error) {
    // Acquires what the transport thread wrote before it released the attempt's result.
    CURLcode code = __atomic_load_n(&transfer->result, __ATOMIC_ACQUIRE);
    memset(result, 0, sizeof *result);
    CURL *easy = transfer->easy;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &result->status);
    result->body = transfer->body.bytes;
    result->body_count = transfer->body.count;
    result->headers = (const char *)transfer->header_lines.bytes;
    result->headers_count = transfer->header_lines.count;
    result->name_lookup_us = info_us(easy, CURLINFO_NAMELOOKUP_TIME_T);
    result->connect_us = info_us(easy, CURLINFO_CONNECT_TIME_T);
    result->tls_us = info_us(easy, CURLINFO_APPCONNECT_TIME_T);
    result->first_byte_us = info_us(easy, CURLINFO_STARTTRANSFER_TIME_T);
    result->total_us = info_us(easy, CURLINFO_TOTAL_TIME_T);
    result->retry_after_seconds = (long)info_us(easy, CURLINFO_RETRY_AFTER);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &result->new_connections);
    return map_curl_code(transfer, code, error);
}
// `context` is the waiting caller, or ENDED once the loop handed the attempt back: a follow-up's
// caller may start waiting before or after that, from another thread.
static char ended_marker;
#define ENDED ((void *)&ended_marker)
void eapm_http_transfer_set_context(eapm_http_transfer *transfer, void *context) {
    __atomic_store_n(&transfer->context, context, __ATOMIC_RELEASE);
}
void *eapm_http_transfer_take_context(eapm_http_transfer *transfer) {
    void *waiter = __atomic_exchange_n(&transfer->context, ENDED, __ATOMIC_ACQ_REL);
    return waiter == ENDED ? NULL : waiter;
}
int eapm_http_transfer_wait(eapm_http_transfer *transfer, void *waiter) {
    void *expected = NULL;
    return __atomic_compare_exchange_n(&transfer->context, &expected, waiter, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
void eapm_http_transfer_set_follow_up(eapm_http_transfer *transfer, eapm_http_transfer *follow_up, long timeout_ms) {
    transfer->follow_up = follow_up;
    transfer->follow_up_timeout_ms = timeout_ms;
}
int eapm_http_transfer_claim(eapm_http_transfer *transfer) {
    return __atomic_exchange_n(&transfer->claimed, 1, __ATOMIC_ACQ_REL) == 0;
}
int eapm_http_transfer_claimed(const eapm_http_transfer *transfer) {
    return __atomic_load_n(&transfer->claimed, __ATOMIC_ACQUIRE);
}

void eapm_http_transfer_destroy(eapm_http_transfer *transfer) {
    if (!transfer) return;
    if (transfer->easy) eapm_http_give_back_easy(transfer->client, transfer->easy);
    curl_slist_free_all(transfer->headers);
    eapm_buffer_free(&transfer->body);
    eapm_buffer_free(&transfer->header_lines);
    free(transfer);
}
