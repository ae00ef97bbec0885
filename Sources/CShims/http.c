#include "eapm_shims.h"
#include "internal.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// One client = one curl multi handle driven by one loop thread (the caller of
// eapm_http_client_run). Other threads only hand transfers over through a mutex-guarded list
// and wake the loop; all curl calls on the multi and its easy handles happen on the loop thread.

struct eapm_http_transfer {
    eapm_http_client *client;
    CURL *easy;
    struct curl_slist *headers;
    long timeout_ms;
    uint64_t deadline_ms;
    size_t max_response;
    eapm_retry_policy retry;
    void *context;

    eapm_buffer body;
    eapm_buffer header_lines;
    int body_too_large;
    int attempts;
    long retry_delays_ms[8];
    uint64_t not_before_ms;   // when a waiting retry may start
    CURLcode result;
    int deadline_exceeded;
    int signed_aws;
    char error_text[CURL_ERROR_SIZE];
    eapm_http_transfer *next; // in exactly one of the client's lists at a time
};

struct eapm_http_client {
    CURLM *multi;
    CURLSH *share;
    pthread_mutex_t lock;          // guards `submitted`, `stopped` and the idle handles
    eapm_http_transfer *submitted; // handed over by any thread, not yet started
    int stopped;
    // Easy handles of finished transfers, reset, for the next ones: a new handle costs a resolver
    // (c-ares reads resolv.conf and allocates its tables: ~25 us), a reused one nothing.
    CURL *idle_easies[8];
    int idle_count;
    long easies_made;
    // Loop thread only:
    eapm_http_transfer *active;    // in the multi handle
    eapm_http_transfer *waiting;   // retries waiting for their delay
    eapm_http_transfer *done;      // completed, not yet returned by run
    STACK_OF(X509) *extra_cas;
    X509_STORE *trust_store;       // the bundle and the extra CAs, parsed on the first TLS connection
    char *ca_bundle_path;
    int verify_peer;
    uint64_t random_state;
};

uint64_t eapm_monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

eapm_code eapm_http_global_init(eapm_error *error) {
    CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) return eapm_fail(error, EAPM_ERR_CURL, code, "curl_global_init: %s", curl_easy_strerror(code));
    return EAPM_OK;
}

// MARK: - Lists

static void push(eapm_http_transfer **list, eapm_http_transfer *transfer) {
    transfer->next = *list;
    *list = transfer;
}

static void push_back(eapm_http_transfer **list, eapm_http_transfer *transfer) {
    transfer->next = NULL;
    while (*list) list = &(*list)->next;
    *list = transfer;
}

static void unlink_transfer(eapm_http_transfer **list, eapm_http_transfer *transfer) {
    for (; *list; list = &(*list)->next) {
        if (*list == transfer) {
            *list = transfer->next;
            transfer->next = NULL;
            return;
        }
    }
}

// MARK: - Client

static eapm_code load_extra_cas(eapm_http_client *client, const char *pem, eapm_error *error) {
    BIO *bio = BIO_new_mem_buf(pem, -1);
    if (!bio) return eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory reading the CA PEM");
    client->extra_cas = sk_X509_new_null();
    X509 *certificate;
    while ((certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) sk_X509_push(client->extra_cas, certificate);
    BIO_free(bio);
    unsigned long last = ERR_peek_last_error();
    ERR_clear_error();
    // Running out of PEM blocks is how the loop ends; anything else means a malformed block.
    if (sk_X509_num(client->extra_cas) == 0)
        return eapm_fail(error, EAPM_ERR_TLS, 0, "the CA PEM holds no certificate");
    if (last && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE))
        return eapm_fail(error, EAPM_ERR_TLS, 0, "the CA PEM has a malformed certificate");
    return EAPM_OK;
}

eapm_http_client *eapm_http_client_create(const eapm_http_client_options *options, eapm_error *error) {
    eapm_http_client *client = calloc(1, sizeof *client);
    if (!client) {
        eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for the HTTP client");
        return NULL;
    }
    pthread_mutex_init(&client->lock, NULL);
    client->verify_peer = options->verify_peer;
    client->random_state = eapm_monotonic_ms() * 6364136223846793005ull + (uint64_t)(uintptr_t)client;
    client->multi = curl_multi_init();
    client->share = curl_share_init();
    if (!client->multi || !client->share) {
        eapm_fail(error, EAPM_ERR_NOMEM, 0, "curl_multi_init or curl_share_init failed");
        eapm_http_client_destroy(client, NULL);
        return NULL;
    }
    // The multi handle pools connections; the share handle adds TLS session and DNS reuse.
    curl_share_setopt(client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(client->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS, options->max_connections > 0 ? options->max_connections : 8L);
    if (options->ca_bundle_path) client->ca_bundle_path = strdup(options->ca_bundle_path);
    if (options->extra_ca_pem && load_extra_cas(client, options->extra_ca_pem, error) != EAPM_OK) {
        eapm_http_client_destroy(client, NULL);
        return NULL;
    }
    return client;
}

void eapm_http_client_stop(eapm_http_client *client) {
    pthread_mutex_lock(&client->lock);
    client->stopped = 1;
    pthread_mutex_unlock(&client->lock);
    curl_multi_wakeup(client->multi);
}

static void cancel_list(eapm_http_client *client, eapm_http_transfer *_Nullable list,
                        void (*_Nullable cancelled)(eapm_http_transfer *)) {
    while (list) {
        eapm_http_transfer *next = list->next;
        if (client->multi) curl_multi_remove_handle(client->multi, list->easy);
        list->result = CURLE_ABORTED_BY_CALLBACK;
        list->next = NULL;
        if (cancelled) cancelled(list);
        else eapm_http_transfer_destroy(list);
        list = next;
    }
}

void eapm_http_client_destroy(eapm_http_client *client, void (*cancelled)(eapm_http_transfer *)) {
    if (!client) return;
    pthread_mutex_lock(&client->lock);
    client->stopped = 1; // transfers destroyed from here on free their handles
    pthread_mutex_unlock(&client->lock);
    cancel_list(client, client->submitted, cancelled);
    cancel_list(client, client->active, cancelled);
    cancel_list(client, client->waiting, cancelled);
    cancel_list(client, client->done, cancelled);
    // Before the share handle, which a handle keeps a reference to even after a reset.
    for (int i = 0; i < client->idle_count; i++) curl_easy_cleanup(client->idle_easies[i]);
    if (client->multi) curl_multi_cleanup(client->multi);
    if (client->share) curl_share_cleanup(client->share);
    if (client->extra_cas) sk_X509_pop_free(client->extra_cas, X509_free);
    if (client->trust_store) X509_STORE_free(client->trust_store);
    free(client->ca_bundle_path);
    pthread_mutex_destroy(&client->lock);
    free(client);
}

// MARK: - Transfer setup

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

// The bundle and the extra CAs in one store, parsed once and shared by every TLS connection of
// the client (a store is reference-counted and safe to share between SSL_CTXs).
static X509_STORE *_Nullable make_trust_store(eapm_http_client *client) {
    X509_STORE *store = X509_STORE_new();
    if (!store) return NULL;
    if (client->ca_bundle_path ? !X509_STORE_load_file(store, client->ca_bundle_path) : !X509_STORE_set_default_paths(store)) {
        X509_STORE_free(store);
        ERR_clear_error();
        return NULL;
    }
    for (int i = 0; i < sk_X509_num(client->extra_cas); i++) X509_STORE_add_cert(store, sk_X509_value(client->extra_cas, i));
    ERR_clear_error(); // a certificate already in the bundle is not a failure
    return store;
}

// Runs on the loop thread for each new TLS connection: trust the client's store. curl loads no
// CA file itself for these transfers (CAINFO unset), so nothing is parsed again per connection.
static CURLcode use_trust_store(CURL *easy, void *ssl_ctx, void *user) {
    (void)easy;
    eapm_http_client *client = user;
    if (!client->trust_store) client->trust_store = make_trust_store(client);
    if (!client->trust_store) return CURLE_SSL_CACERT_BADFILE;
    SSL_CTX_set1_cert_store((SSL_CTX *)ssl_ctx, client->trust_store);
    return CURLE_OK;
}

static CURL *_Nullable take_easy(eapm_http_client *client) {
    pthread_mutex_lock(&client->lock);
    CURL *easy = client->idle_count > 0 ? client->idle_easies[--client->idle_count] : NULL;
    if (!easy) client->easies_made++;
    pthread_mutex_unlock(&client->lock);
    return easy ? easy : curl_easy_init();
}

// A finished transfer's handle, reset to no options (its resolver and share handle stay).
static void give_back_easy(eapm_http_client *client, CURL *easy) {
    curl_easy_reset(easy);
    pthread_mutex_lock(&client->lock);
    int kept = !client->stopped && client->idle_count < (int)(sizeof client->idle_easies / sizeof *client->idle_easies);
    if (kept) client->idle_easies[client->idle_count++] = easy;
    pthread_mutex_unlock(&client->lock);
    if (!kept) curl_easy_cleanup(easy);
}

long eapm_http_client_easies_made(eapm_http_client *client) {
    pthread_mutex_lock(&client->lock);
    long made = client->easies_made;
    pthread_mutex_unlock(&client->lock);
    return made;
}

eapm_http_transfer *eapm_http_transfer_create(eapm_http_client *client, const char *method, const char *url,
                                              const uint8_t *body, size_t body_count, long timeout_ms,
                                              long connect_timeout_ms, uint64_t deadline_ms,
                                              size_t max_response_bytes, eapm_retry_policy retry,
                                              eapm_error *error) {
    eapm_http_transfer *transfer = calloc(1, sizeof *transfer);
    if (!transfer || !(transfer->easy = take_easy(client))) {
        free(transfer);
        eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for an HTTP transfer");
        return NULL;
    }
    transfer->client = client;
    transfer->timeout_ms = timeout_ms;
    transfer->deadline_ms = deadline_ms;
    transfer->max_response = max_response_bytes;
    transfer->retry = retry;
    if (transfer->retry.max_attempts < 1) transfer->retry.max_attempts = 1;

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
                                      const char *secret_access_key, const char *session_token, const char *region,
                                      const char *service, eapm_error *error) {
    char provider[256];
    int length = snprintf(provider, sizeof provider, "aws:amz:%s:%s", region, service);
    if (length < 0 || (size_t)length >= sizeof provider)
        return eapm_fail(error, EAPM_ERR_USAGE, 0, "AWS region or service name too long");
    CURLcode code = curl_easy_setopt(transfer->easy, CURLOPT_AWS_SIGV4, provider);
    if (code == CURLE_OK) code = curl_easy_setopt(transfer->easy, CURLOPT_USERNAME, access_key_id);
    if (code == CURLE_OK) code = curl_easy_setopt(transfer->easy, CURLOPT_PASSWORD, secret_access_key);
    if (code != CURLE_OK) return eapm_fail(error, EAPM_ERR_CURL, code, "SigV4 setup: %s", curl_easy_strerror(code));
    transfer->signed_aws = 1;
    if (session_token && *session_token) {
        size_t size = strlen(session_token) + 32;
        char *line = malloc(size);
        if (!line) return eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for headers");
        snprintf(line, size, "X-Amz-Security-Token: %s", session_token);
        eapm_code added = eapm_http_transfer_add_header(transfer, line, error);
        free(line);
        return added;
    }
    return EAPM_OK;
}

eapm_code eapm_http_client_submit(eapm_http_client *client, eapm_http_transfer *transfer, eapm_error *error) {
    CURL *easy = transfer->easy;
    // curl would otherwise wait up to a second for "100 Continue" before sending larger bodies.
    // Not on signed requests: curl would sign the empty header it then leaves out.
    if (!transfer->signed_aws && eapm_http_transfer_add_header(transfer, "Expect:", error) != EAPM_OK) return error->code;
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_easy_setopt(easy, CURLOPT_SHARE, client->share);
    curl_easy_setopt(easy, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, client->verify_peer ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, client->verify_peer ? 2L : 0L);
    if (client->extra_cas) {
        // Our store, not curl's: curl would otherwise parse the bundle for every new connection
        // (its own cache cannot hold extra CAs), about 20 ms each.
        curl_easy_setopt(easy, CURLOPT_CAINFO, NULL);
        curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
        curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 0L); // curl's cached store would replace ours
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, use_trust_store);
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, client);
    } else if (client->ca_bundle_path) {
        curl_easy_setopt(easy, CURLOPT_CAINFO, client->ca_bundle_path);
    }
    pthread_mutex_lock(&client->lock);
    int stopped = client->stopped;
    if (!stopped) push_back(&client->submitted, transfer);
    pthread_mutex_unlock(&client->lock);
    if (stopped) return eapm_fail(error, EAPM_ERR_CANCELLED, 0, "the HTTP client is shut down");
    curl_multi_wakeup(client->multi);
    return EAPM_OK;
}

// MARK: - The loop

static void finish(eapm_http_client *client, eapm_http_transfer *transfer, CURLcode result) {
    transfer->result = result;
    push_back(&client->done, transfer);
}

static void start_attempt(eapm_http_client *client, eapm_http_transfer *transfer) {
    uint64_t now = eapm_monotonic_ms();
    long timeout = transfer->timeout_ms;
    if (transfer->deadline_ms) {
        if (now >= transfer->deadline_ms) {
            transfer->deadline_exceeded = 1;
            finish(client, transfer, CURLE_OPERATION_TIMEDOUT);
            return;
        }
        long left = (long)(transfer->deadline_ms - now);
        if (timeout <= 0 || left < timeout) timeout = left;
    }
    curl_easy_setopt(transfer->easy, CURLOPT_TIMEOUT_MS, timeout > 0 ? timeout : 0L);
    transfer->body.count = 0;
    transfer->header_lines.count = 0;
    transfer->body_too_large = 0;
    transfer->error_text[0] = 0;
    transfer->attempts++;
    CURLMcode code = curl_multi_add_handle(client->multi, transfer->easy);
    if (code != CURLM_OK) {
        snprintf(transfer->error_text, sizeof transfer->error_text, "curl_multi_add_handle: %s", curl_multi_strerror(code));
        finish(client, transfer, CURLE_FAILED_INIT);
        return;
    }
    push(&client->active, transfer);
}

static double next_random_unit(eapm_http_client *client) {
    // xorshift64*: jitter only, no need for a strong generator.
    uint64_t x = client->random_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    client->random_state = x;
    return (double)((x * 2685821657736338717ull) >> 11) / (double)(1ull << 53);
}

/// Failures where the request never got an answer, so a new attempt cannot duplicate data.
static int failed_before_response(eapm_http_transfer *transfer, CURLcode result) {
    switch (result) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return 1;
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected = 0;
        curl_easy_getinfo(transfer->easy, CURLINFO_CONNECT_TIME_T, &connected);
        return connected == 0; // a connect timeout; a server that hangs after accepting is not retried
    }
    default:
        return 0;
    }
}

static void completed(eapm_http_client *client, eapm_http_transfer *transfer, CURLcode result) {
    unlink_transfer(&client->active, transfer);
    curl_multi_remove_handle(client->multi, transfer->easy);
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    int retryable = (result == CURLE_OK && transfer->retry.retry_unavailable && (status == 429 || status == 503)) ||
                    (result != CURLE_OK && status == 0 && failed_before_response(transfer, result));
    if (!retryable || transfer->attempts >= transfer->retry.max_attempts) {
        finish(client, transfer, result);
        return;
    }
    double delay = (double)transfer->retry.initial_delay_ms;
    for (int i = 1; i < transfer->attempts; i++) delay *= 2;
    if (transfer->retry.max_delay_ms > 0 && delay > (double)transfer->retry.max_delay_ms)
        delay = (double)transfer->retry.max_delay_ms;
    delay *= 1.0 + transfer->retry.jitter * (2.0 * next_random_unit(client) - 1.0);
    curl_off_t retry_after = 0; // seconds; curl parses both of the header's forms
    if (result == CURLE_OK) curl_easy_getinfo(transfer->easy, CURLINFO_RETRY_AFTER, &retry_after);
    if (retry_after > 0 && (double)retry_after * 1000.0 > delay) delay = (double)retry_after * 1000.0;
    uint64_t now = eapm_monotonic_ms();
    uint64_t due = now + (uint64_t)(delay < 0 ? 0 : delay);
    if (transfer->deadline_ms && due >= transfer->deadline_ms) {
        finish(client, transfer, result); // no time left for another attempt: the last answer stands
        return;
    }
    if (transfer->attempts - 1 < 8) transfer->retry_delays_ms[transfer->attempts - 1] = (long)(due - now);
    transfer->not_before_ms = due;
    push(&client->waiting, transfer);
}

size_t eapm_http_client_run(eapm_http_client *client, eapm_http_transfer **done, size_t capacity) {
    for (;;) {
        if (client->done && capacity > 0) {
            size_t count = 0;
            while (client->done && count < capacity) {
                eapm_http_transfer *transfer = client->done;
                client->done = transfer->next;
                transfer->next = NULL;
                done[count++] = transfer;
            }
            return count;
        }
        pthread_mutex_lock(&client->lock);
        int stopped = client->stopped;
        eapm_http_transfer *submitted = client->submitted;
        client->submitted = NULL;
        pthread_mutex_unlock(&client->lock);
        if (stopped) {
            // Left for eapm_http_client_destroy to cancel.
            while (submitted) {
                eapm_http_transfer *next = submitted->next;
                push(&client->waiting, submitted);
                submitted = next;
            }
            return 0;
        }
        while (submitted) {
            eapm_http_transfer *next = submitted->next;
            submitted->next = NULL;
            start_attempt(client, submitted);
            submitted = next;
        }

        uint64_t now = eapm_monotonic_ms();
        long wait_ms = 1000;
        for (eapm_http_transfer **link = &client->waiting; *link;) {
            eapm_http_transfer *transfer = *link;
            if (transfer->not_before_ms <= now) {
                *link = transfer->next;
                transfer->next = NULL;
                start_attempt(client, transfer);
            } else {
                long left = (long)(transfer->not_before_ms - now);
                if (left < wait_ms) wait_ms = left;
                link = &transfer->next;
            }
        }

        int running = 0;
        curl_multi_perform(client->multi, &running);
        CURLMsg *message;
        int queued;
        while ((message = curl_multi_info_read(client->multi, &queued)) != NULL) {
            if (message->msg != CURLMSG_DONE) continue;
            eapm_http_transfer *transfer = NULL;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&transfer);
            completed(client, transfer, message->data.result);
        }
        if (client->done) continue;
        // A retry `completed` scheduled just now was not in the waiting list when wait_ms was
        // computed: without this the poll below sleeps up to a second past its due time.
        now = eapm_monotonic_ms();
        for (eapm_http_transfer *waiting = client->waiting; waiting; waiting = waiting->next) {
            long left = waiting->not_before_ms > now ? (long)(waiting->not_before_ms - now) : 0;
            if (left < wait_ms) wait_ms = left;
        }
        long curl_wait = -1;
        curl_multi_timeout(client->multi, &curl_wait);
        if (curl_wait >= 0 && curl_wait < wait_ms) wait_ms = curl_wait;
        curl_multi_poll(client->multi, NULL, 0, (int)wait_ms, NULL);
    }
}

// MARK: - Results

static eapm_code map_curl_code(const eapm_http_transfer *transfer, eapm_error *error) {
    CURLcode result = transfer->result;
    const char *detail = transfer->error_text[0] ? transfer->error_text : curl_easy_strerror(result);
    switch (result) {
    case CURLE_OK: return EAPM_OK;
    case CURLE_WRITE_ERROR:
        if (transfer->body_too_large)
            return eapm_fail(error, EAPM_ERR_TOO_LARGE, result, "response body exceeds %zu bytes", transfer->max_response);
        return eapm_fail(error, EAPM_ERR_NOMEM, result, "storing the response failed: %s", detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return eapm_fail(error, EAPM_ERR_RESOLVE, result, "%s", detail);
    case CURLE_COULDNT_CONNECT:
        return eapm_fail(error, EAPM_ERR_CONNECT, result, "%s", detail);
    case CURLE_OPERATION_TIMEDOUT:
        if (transfer->deadline_exceeded) return eapm_fail(error, EAPM_ERR_TIMEOUT, result, "deadline passed before the request could start");
        return eapm_fail(error, EAPM_ERR_TIMEOUT, result, "%s", detail);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
        return eapm_fail(error, EAPM_ERR_TLS, result, "TLS: %s", detail);
    case CURLE_SEND_ERROR:
        return eapm_fail(error, EAPM_ERR_SEND, result, "%s", detail);
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return eapm_fail(error, EAPM_ERR_RECV, result, "%s", detail);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return eapm_fail(error, EAPM_ERR_BAD_URL, result, "%s", detail);
    case CURLE_ABORTED_BY_CALLBACK:
        return eapm_fail(error, EAPM_ERR_CANCELLED, result, "the HTTP client shut down");
    default:
        return eapm_fail(error, EAPM_ERR_CURL, result, "%s", detail);
    }
}

static int64_t info_us(CURL *easy, CURLINFO info) {
    curl_off_t value = 0;
    curl_easy_getinfo(easy, info, &value);
    return (int64_t)value;
}

eapm_code eapm_http_transfer_result(const eapm_http_transfer *transfer, eapm_http_result *result, eapm_error *error) {
    memset(result, 0, sizeof *result);
    CURL *easy = transfer->easy;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &result->status);
    result->body = transfer->body.bytes;
    result->body_count = transfer->body.count;
    result->headers = (const char *)transfer->header_lines.bytes;
    result->headers_count = transfer->header_lines.count;
    result->attempts = transfer->attempts;
    memcpy(result->retry_delays_ms, transfer->retry_delays_ms, sizeof result->retry_delays_ms);
    result->name_lookup_us = info_us(easy, CURLINFO_NAMELOOKUP_TIME_T);
    result->connect_us = info_us(easy, CURLINFO_CONNECT_TIME_T);
    result->tls_us = info_us(easy, CURLINFO_APPCONNECT_TIME_T);
    result->first_byte_us = info_us(easy, CURLINFO_STARTTRANSFER_TIME_T);
    result->total_us = info_us(easy, CURLINFO_TOTAL_TIME_T);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &result->new_connections);
    return map_curl_code(transfer, error);
}

void *eapm_http_transfer_context(const eapm_http_transfer *transfer) { return transfer->context; }

void eapm_http_transfer_set_context(eapm_http_transfer *transfer, void *context) { transfer->context = context; }

void eapm_http_transfer_destroy(eapm_http_transfer *transfer) {
    if (!transfer) return;
    if (transfer->easy) give_back_easy(transfer->client, transfer->easy);
    curl_slist_free_all(transfer->headers);
    eapm_buffer_free(&transfer->body);
    eapm_buffer_free(&transfer->header_lines);
    free(transfer);
}
