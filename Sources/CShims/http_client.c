#include "internal.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

eapm_code eapm_http_global_init(eapm_error *error) {
    CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) return eapm_fail(error, EAPM_ERR_CURL, code, "curl_global_init: %s", curl_easy_strerror(code));
    return EAPM_OK;
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
    if (sk_X509_num(client->extra_cas) == 0) return eapm_fail(error, EAPM_ERR_TLS, 0, "the CA PEM holds no certificate");
    if (last && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE))
        return eapm_fail(error, EAPM_ERR_TLS, 0, "the CA PEM has a malformed certificate");
    return EAPM_OK;
}

// The multi handle pools connections; the share handle adds TLS session and DNS reuse.
static int make_pool(eapm_http_client *client, CURLM **multi, CURLSH **share) {
    if ((*multi = curl_multi_init()) && (*share = curl_share_init())) {
        curl_share_setopt(*share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        curl_share_setopt(*share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_multi_setopt(*multi, CURLMOPT_MAXCONNECTS, client->max_connections);
        return 1;
    }
    curl_multi_cleanup(*multi); // accepts null
    *multi = NULL;
    return 0;
}
eapm_http_client *eapm_http_client_create(const eapm_http_client_options *options, eapm_error *error) {
    eapm_http_client *client = calloc(1, sizeof *client);
    if (!client) {
        eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for the HTTP client");
        return NULL;
    }
    pthread_mutex_init(&client->lock, NULL);
    client->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    client->verify_peer = options->verify_peer;
    client->max_connections = options->max_connections > 0 ? options->max_connections : 8L;
    if (options->ca_bundle_path) client->ca_bundle_path = strdup(options->ca_bundle_path);
    if (client->wake_fd < 0) {
        eapm_fail(error, EAPM_ERR_NOMEM, errno, "eventfd for the HTTP client's loop: %s", strerror(errno));
    } else if (!make_pool(client, &client->multi, &client->share)) {
        eapm_fail(error, EAPM_ERR_NOMEM, 0, "curl_multi_init or curl_share_init failed");
    } else if (!options->extra_ca_pem || load_extra_cas(client, options->extra_ca_pem, error) == EAPM_OK) {
        return client;
    }
    eapm_http_client_destroy(client);
    return NULL;
}
void eapm_http_client_destroy(eapm_http_client *client) {
    if (!client) return;
    for (int i = 0; i < client->idle_count; i++) curl_easy_cleanup(client->idle_easies[i]);
    curl_multi_cleanup(client->multi);
    curl_share_cleanup(client->share);
    sk_X509_pop_free(client->extra_cas, X509_free);
    X509_STORE_free(client->trust_store);
    free(client->ca_bundle_path);
    eapm_buffer_free(&client->cancelled_ids);
    if (client->wake_fd >= 0) close(client->wake_fd);
    pthread_mutex_destroy(&client->lock);
    free(client);
}

// The bundle and the extra CAs in one store, parsed once for all TLS connections (a store is
// reference-counted and safe to share between SSL_CTXs).
static X509_STORE *make_trust_store(eapm_http_client *client) {
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

// For each new TLS connection: curl loads no CA file itself (CAINFO unset), so nothing is parsed again.
CURLcode eapm_http_use_trust_store(CURL *easy, void *ssl_ctx, void *user) {
    (void)easy;
    eapm_http_client *client = user;
    if (!client->trust_store) client->trust_store = make_trust_store(client);
    if (!client->trust_store) return CURLE_SSL_CACERT_BADFILE;
    SSL_CTX_set1_cert_store((SSL_CTX *)ssl_ctx, client->trust_store);
    return CURLE_OK;
}
CURL *eapm_http_take_easy(eapm_http_client *client) {
    pthread_mutex_lock(&client->lock);
    CURL *easy = client->idle_count > 0 ? client->idle_easies[--client->idle_count] : NULL;
    if (!easy) __atomic_fetch_add(&client->easies_made, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&client->lock);
    return easy ? easy : curl_easy_init();
}
void eapm_http_give_back_easy(eapm_http_client *client, CURL *easy) {
    curl_easy_reset(easy); // no options left; its resolver stays
    pthread_mutex_lock(&client->lock);
    int kept = client->idle_count < (int)(sizeof client->idle_easies / sizeof *client->idle_easies);
    if (kept) client->idle_easies[client->idle_count++] = easy;
    pthread_mutex_unlock(&client->lock);
    if (!kept) curl_easy_cleanup(easy);
}
long eapm_http_client_easies_made(eapm_http_client *client) { return __atomic_load_n(&client->easies_made, __ATOMIC_RELAXED); }

// MARK: - Requests from other threads (handed over under the lock, the loop woken after it)
static void wake(eapm_http_client *client) {
    // Fails only when the counter is full (the loop is awake already).
    (void)!eventfd_write(client->wake_fd, 1);
}
static void request(eapm_http_client *client, int *flag, const uint64_t *cancelled_id) {
    pthread_mutex_lock(&client->lock);
    if (flag) *flag = 1;
    // Out of memory, a cancelled attempt ends at its timeout instead.
    if (cancelled_id) eapm_buffer_append(&client->cancelled_ids, cancelled_id, sizeof *cancelled_id);
    pthread_mutex_unlock(&client->lock);
    wake(client);
}
void eapm_http_client_stop(eapm_http_client *client) { request(client, &client->stopped, NULL); }
void eapm_http_client_drop_connections(eapm_http_client *client) { request(client, &client->drop_requested, NULL); }
void eapm_http_client_cancel(eapm_http_client *client, uint64_t id) { request(client, NULL, &id); }

static void push_back(eapm_http_transfer **list, eapm_http_transfer *transfer) {
    while (*list) list = &(*list)->next;
    *list = transfer;
}
// Clears the last attempt's answer and sets this one's options.
static void prepare_attempt(eapm_http_transfer *transfer, long timeout_ms) {
    transfer->body.count = transfer->header_lines.count = 0;
    transfer->body_too_large = transfer->error_text[0] = 0;
    transfer->next = NULL;
    curl_easy_setopt(transfer->easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_easy_setopt(transfer->easy, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 0L);
}
eapm_code eapm_http_client_submit(eapm_http_client *client, eapm_http_transfer *transfer, long timeout_ms,
                                  eapm_error *error) {
    prepare_attempt(transfer, timeout_ms);
    pthread_mutex_lock(&client->lock);
    int stopped = client->stopped;
    if (!stopped) push_back(&client->submitted, transfer);
    pthread_mutex_unlock(&client->lock);
    wake(client);
    return stopped ? eapm_fail(error, EAPM_ERR_CANCELLED, 0, "the HTTP client is shut down") : EAPM_OK;
}

// MARK: - The loop
static eapm_http_transfer *unlink_id(eapm_http_transfer **list, uint64_t id) {
    for (; *list; list = &(*list)->next) {
        eapm_http_transfer *transfer = *list;
        if (transfer->id != id) continue;
        *list = transfer->next;
        transfer->next = NULL;
        return transfer;
    }
    return NULL;
}

// Off the share handle too, which a drop frees.
static void end_attempt(eapm_http_client *client, eapm_http_transfer *transfer, CURLcode result) {
    curl_multi_remove_handle(client->multi, transfer->easy); // fine for one never added
    curl_easy_setopt(transfer->easy, CURLOPT_SHARE, NULL);
    __atomic_store_n(&transfer->result, result, __ATOMIC_RELEASE); // the caller's acquire: see transfer_result
}
// From `completed` on, the transfer is the caller's.
static void finish(eapm_http_client *client, eapm_http_transfer *transfer, CURLcode result,
                   void (*completed)(eapm_http_transfer *)) {
    end_attempt(client, transfer, result);
    completed(transfer);
}
// A 2xx answer to a transfer with a follow-up queues the follow-up here, unless its caller
// submitted it already; the loop starts it before handing the answered transfer back.
static void queue_follow_up(eapm_http_client *client, eapm_http_transfer *transfer, CURLcode result) {
    eapm_http_transfer *follow_up = transfer->follow_up;
    long status = 0;
    if (!follow_up || result != CURLE_OK) return;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299 || !eapm_http_transfer_claim(follow_up)) return;
    prepare_attempt(follow_up, transfer->follow_up_timeout_ms);
    push_back(&client->queued, follow_up);
}
static void start(eapm_http_client *client, eapm_http_transfer *transfer, void (*completed)(eapm_http_transfer *)) {
    curl_easy_setopt(transfer->easy, CURLOPT_SHARE, client->share);
    CURLMcode code = curl_multi_add_handle(client->multi, transfer->easy);
    if (code != CURLM_OK) {
        snprintf(transfer->error_text, sizeof transfer->error_text, "curl_multi_add_handle: %s", curl_multi_strerror(code));
        finish(client, transfer, CURLE_FAILED_INIT, completed);
        return;
    }
    transfer->next = client->active;
    client->active = transfer;
}

// curl cannot empty a multi handle's connection cache: new multi and share handles replace the
// old ones, whose cleanup closes every connection and forgets every TLS session.
static void replace_pool(eapm_http_client *client) {
    CURLM *multi, *old;
    CURLSH *share;
    client->dropping = 0;
    if (!make_pool(client, &multi, &share)) return; // out of memory: the old pool stays
    old = client->multi;
    client->multi = multi;
    curl_multi_cleanup(old);
    curl_share_cleanup(client->share);
    client->share = share;
}

// Takes what other threads handed over and ends the cancelled attempts; 0 once stopped.
static int take_requests(eapm_http_client *client, void (*completed)(eapm_http_transfer *)) {
    pthread_mutex_lock(&client->lock);
    int stopped = client->stopped;
    push_back(&client->queued, client->submitted);
    client->submitted = NULL;
    eapm_buffer ids = client->cancelled_ids;
    client->cancelled_ids = (eapm_buffer){0};
    client->dropping |= client->drop_requested;
    client->drop_requested = 0;
    pthread_mutex_unlock(&client->lock);
    for (size_t at = 0; !stopped && at + sizeof(uint64_t) <= ids.count; at += sizeof(uint64_t)) {
        uint64_t id;
        memcpy(&id, ids.bytes + at, sizeof id);
        eapm_http_transfer *transfer = unlink_id(&client->queued, id);
        if (!transfer) transfer = unlink_id(&client->active, id);
        if (transfer) finish(client, transfer, CURLE_ABORTED_BY_CALLBACK, completed);
    }
    eapm_buffer_free(&ids);
    return !stopped;
}
// Starts what is queued unless a drop waits for the running attempts; returns whether it started any.
static int start_queued(eapm_http_client *client, void (*completed)(eapm_http_transfer *)) {
    int started = 0;
    for (; !client->dropping && client->queued; started = 1) start(client, unlink_id(&client->queued, client->queued->id), completed);
    return started;
}
void eapm_http_client_run(eapm_http_client *client, void (*completed)(eapm_http_transfer *)) {
    while (take_requests(client, completed)) {
        if (client->dropping && !client->active) {
            replace_pool(client);
            continue; // what was handed over meanwhile goes to the new pool
        }
        eapm_http_transfer *ended = NULL;
        start_queued(client, completed);
        // Follow-ups go out before the answered transfers are handed back (they are what those
        // transfers' callers would send next); a follow-up can end in the same perform (an
        // immediate answer, a refused connection), and nothing that ended may wait for the poll.
        do {
            int running = 0, left = 0;
            curl_multi_perform(client->multi, &running);
            CURLMsg *message;
            while ((message = curl_multi_info_read(client->multi, &left)) != NULL) {
                eapm_http_transfer *transfer = NULL;
                curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&transfer);
                if (message->msg != CURLMSG_DONE) continue;
                transfer = unlink_id(&client->active, transfer->id);
                end_attempt(client, transfer, message->data.result);
                queue_follow_up(client, transfer, message->data.result);
                push_back(&ended, transfer);
            }
        } while (client->queued && start_queued(client, completed));
        while (ended) {
            eapm_http_transfer *transfer = ended;
            ended = transfer->next;
            transfer->next = NULL;
            completed(transfer);
        }
        // curl's next timer bounds the wait; a wake-up is read before what it announced is taken.
        struct curl_waitfd woken = {.fd = client->wake_fd, .events = CURL_WAIT_POLLIN};
        curl_multi_poll(client->multi, &woken, 1, 1000, NULL);
        eventfd_t count;
        if (woken.revents) (void)eventfd_read(client->wake_fd, &count);
    }
}
