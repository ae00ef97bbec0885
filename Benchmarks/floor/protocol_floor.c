// The floor of what an APM extension's protocol costs per invocation: the messages and nothing else.
// One thread, one poll loop, blocking writes of small messages, keep-alive connections. It registers,
// subscribes to the Telemetry API, listens for the agent and for telemetry, answers both at once,
// keeps the agent's bodies as they came (no inflating, checking, batching or compressing), and on
// each agent flush sends them in one request to the APM Server and, once it has answered, asks for
// the next event. `make compare` runs it beside the extensions on the invocation workloads: its CPU
// is what the same messages cost without any of an extension's own work (Benchmarks/ANALYSIS.md).
// It is a measuring stick, not an extension: it assumes Content-Length bodies and exits on anything else.
// Built with -DGZIP_FLOOR (and -lz) it also does the one part of an extension's own work that no
// design avoids: it inflates the agent's gzip bodies and sends each flush's data gzipped again
// (zlib level 1, as the extension does; Benchmarks/ANALYSIS.md, "The floors").
#define _GNU_SOURCE // strcasestr, memmem
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef GZIP_FLOOR
#include <zlib.h>
#endif

enum kind { RUNTIME, APM_SERVER, AGENT, TELEMETRY };

struct connection {
    int fd;
    enum kind kind;
    char *data;
    size_t used, capacity;
};

#define MAX_CONNECTIONS 64
static struct connection connections[MAX_CONNECTIONS];
static int connection_count;

static void fail(const char *what) {
    fprintf(stderr, "protocol floor: %s\n", what);
    exit(1);
}

static int connect_to(const char *host_port) {
    char host[256];
    snprintf(host, sizeof host, "%s", host_port);
    char *colon = strrchr(host, ':');
    if (!colon) fail("address without a port");
    *colon = 0;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &address.sin_addr) != 1)
        fail("not an IPv4 address");
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int listen_on(int port) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 64) != 0) fail("listen");
    return fd;
}

// Headers and body in one system call, as one segment where they fit.
static void send_message(int fd, const char *headers, const char *body, size_t body_length) {
    struct iovec parts[2] = {{(void *)headers, strlen(headers)}, {(void *)body, body_length}};
    size_t left = parts[0].iov_len + body_length;
    while (left > 0) {
        ssize_t sent = writev(fd, parts[0].iov_len ? parts : parts + 1, parts[0].iov_len ? 2 : 1);
        if (sent <= 0) fail("write");
        left -= (size_t)sent;
        size_t from_headers = (size_t)sent < parts[0].iov_len ? (size_t)sent : parts[0].iov_len;
        parts[0].iov_base = (char *)parts[0].iov_base + from_headers;
        parts[0].iov_len -= from_headers;
        parts[1].iov_base = (char *)parts[1].iov_base + ((size_t)sent - from_headers);
        parts[1].iov_len -= (size_t)sent - from_headers;
    }
}

static struct connection *add(int fd, enum kind kind) {
    if (connection_count == MAX_CONNECTIONS) fail("too many connections");
    connections[connection_count] = (struct connection){.fd = fd, .kind = kind};
    return &connections[connection_count++];
}

// The length of the first whole HTTP message in the connection's buffer, 0 while it is incomplete.
static size_t message_length(const struct connection *c, char **body) {
    char *end = c->used ? memmem(c->data, c->used, "\r\n\r\n", 4) : NULL;
    if (!end) return 0;
    *end = 0; // the headers as a string, for strcasestr; restored below
    if (strcasestr(c->data, "\r\nTransfer-Encoding:")) fail("a chunked body (only Content-Length is read)");
    char *length = strcasestr(c->data, "\r\nContent-Length:");
    size_t body_length = length ? strtoul(length + 17, NULL, 10) : 0;
    *end = '\r';
    size_t header_length = (size_t)(end - c->data) + 4;
    if (c->used < header_length + body_length) return 0;
    *body = c->data + header_length;
    return header_length + body_length;
}

// Reads what the socket has; returns 0 when the peer has closed it.
static int fill(struct connection *c) {
    if (c->capacity - c->used < 65536) {
        c->capacity = c->capacity * 2 + 65536;
        if (!(c->data = realloc(c->data, c->capacity))) fail("out of memory");
    }
    ssize_t count = read(c->fd, c->data + c->used, c->capacity - c->used - 1);
    if (count <= 0) return 0;
    c->used += (size_t)count;
    c->data[c->used] = 0;
    return 1;
}

static void append(char **buffer, size_t *used, size_t *capacity, const char *bytes, size_t count) {
    if (*capacity < *used + count) {
        *capacity = (*used + count) * 2;
        if (!(*buffer = realloc(*buffer, *capacity))) fail("out of memory");
    }
    memcpy(*buffer + *used, bytes, count);
    *used += count;
}

#ifdef GZIP_FLOOR
// `inflate` or `deflate` of all of `input` into `output` (a gzip stream either way).
static void zlib_all(int deflating, const char *input, size_t length, char **output, size_t *used, size_t *capacity) {
    z_stream stream = {0};
    if ((deflating ? deflateInit2(&stream, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) : inflateInit2(&stream, 31)) != Z_OK)
        fail("zlib init");
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)length;
    char chunk[65536];
    int status;
    do {
        stream.next_out = (Bytef *)chunk;
        stream.avail_out = sizeof chunk;
        status = deflating ? deflate(&stream, Z_FINISH) : inflate(&stream, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) fail("zlib");
        append(output, used, capacity, chunk, sizeof chunk - stream.avail_out);
    } while (status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0));
    deflating ? deflateEnd(&stream) : inflateEnd(&stream);
}
#endif

static void consume(struct connection *c, size_t count) {
    memmove(c->data, c->data + count, c->used - count);
    c->used -= count;
}

// A whole exchange on a connection that nothing else reads meanwhile (registration, subscription).
static void exchange(struct connection *c, const char *request, char *answer, size_t capacity) {
    send_message(c->fd, request, NULL, 0);
    char *body;
    size_t length;
    while (!(length = message_length(c, &body)))
        if (!fill(c)) fail("the Extensions API closed the connection");
    if (strncmp(c->data, "HTTP/1.1 200", 12) != 0) fail("the Extensions API refused a request");
    snprintf(answer, capacity, "%.*s", (int)length, c->data);
    consume(c, length);
}

// The agent's data of an invocation is with the APM Server: ask for the next event, or remember
// that for when the INVOKE is read.
static void invocation_done(int *invoked, int *flushes, int runtime, const char *next) {
    if (*invoked) {
        *invoked = 0;
        send_message(runtime, next, NULL, 0);
    } else {
        (*flushes)++;
    }
}

int main(int argc, char **argv) {
    (void)argc;
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API"), *server = getenv("ELASTIC_APM_LAMBDA_APM_SERVER");
    const char *agent_port = getenv("ELASTIC_APM_DATA_RECEIVER_SERVER_PORT");
    if (!api || !server || strncmp(server, "http://", 7) != 0) fail("needs AWS_LAMBDA_RUNTIME_API and an http:// APM server");
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

    int agent_listener = listen_on(agent_port ? atoi(agent_port) : 8200), telemetry_listener = listen_on(0);
    struct sockaddr_in bound;
    socklen_t bound_length = sizeof bound;
    getsockname(telemetry_listener, (struct sockaddr *)&bound, &bound_length);

    struct connection *runtime = add(connect_to(api), RUNTIME);
    char request[2048], answer[4096], id[128];
    const char *events = "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}";
    snprintf(request, sizeof request,
             "POST /2020-01-01/extension/register HTTP/1.1\r\nHost: %s\r\nLambda-Extension-Name: %s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", api, name, strlen(events), events);
    exchange(runtime, request, answer, sizeof answer);
    char *found = strcasestr(answer, "\r\nLambda-Extension-Identifier:");
    if (!found) fail("no extension identifier");
    found += 30;
    while (*found == ' ') found++;
    snprintf(id, sizeof id, "%.*s", (int)strcspn(found, "\r\n"), found);

    char subscription[512];
    snprintf(subscription, sizeof subscription,
             "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\",\"function\"],"
             "\"buffering\":{\"maxItems\":1000,\"maxBytes\":262144,\"timeoutMs\":25},"
             "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:%d\"}}", ntohs(bound.sin_port));
    snprintf(request, sizeof request,
             "PUT /2022-07-01/telemetry HTTP/1.1\r\nHost: %s\r\nLambda-Extension-Identifier: %s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", api, id, strlen(subscription), subscription);
    exchange(runtime, request, answer, sizeof answer);

    char next[512];
    snprintf(next, sizeof next, "GET /2020-01-01/extension/event/next HTTP/1.1\r\nHost: %s\r\nLambda-Extension-Identifier: %s\r\n\r\n", api, id);
    send_message(runtime->fd, next, NULL, 0);

    struct connection *apm = add(connect_to(server + 7), APM_SERVER);
    char *pending = NULL, encoding[64] = "";
    size_t pending_used = 0, pending_capacity = 0;
    // An invocation ends when the agent has flushed and the APM Server has its data; the flush may
    // come before the INVOKE has been read.
    int invoked = 0, flushes = 0, sending = 0;
    static const char accepted[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

    for (;;) {
        struct pollfd fds[MAX_CONNECTIONS + 2];
        fds[0] = (struct pollfd){.fd = agent_listener, .events = POLLIN};
        fds[1] = (struct pollfd){.fd = telemetry_listener, .events = POLLIN};
        for (int i = 0; i < connection_count; i++) fds[i + 2] = (struct pollfd){.fd = connections[i].fd, .events = POLLIN};
        if (poll(fds, (nfds_t)connection_count + 2, -1) < 0) fail("poll");
        for (int l = 0; l < 2; l++)
            if (fds[l].revents & POLLIN) {
                int fd = accept(fds[l].fd, NULL, NULL), one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                if (fd >= 0) add(fd, l == 0 ? AGENT : TELEMETRY);
            }
        int polled = connection_count;
        for (int i = polled - 1; i >= 0; i--) {
            if (!(fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            struct connection *c = &connections[i];
            if (!fill(c)) {
                if (c->kind == RUNTIME || c->kind == APM_SERVER) fail("a connection to Lambda or the APM Server closed");
                close(c->fd);
                free(c->data);
                connections[i] = connections[--connection_count];
                continue;
            }
            char *body;
            size_t length;
            while ((length = message_length(c, &body))) {
                size_t body_length = length - (size_t)(body - c->data);
                if (c->kind == RUNTIME) {
                    if (memmem(body, body_length, "\"SHUTDOWN\"", 10)) return 0;
                    if (flushes > 0) {
                        flushes--;
                        send_message(runtime->fd, next, NULL, 0);
                    } else {
                        invoked = 1;
                    }
                } else if (c->kind == APM_SERVER) {
                    sending = 0;
                    invocation_done(&invoked, &flushes, runtime->fd, next);
                } else if (c->kind == TELEMETRY) {
                    send_message(c->fd, ok, NULL, 0);
                } else {
                    char *line_end = strstr(c->data, "\r\n");
                    int flushed = memmem(c->data, (size_t)(line_end - c->data), "flushed=true", 12) != NULL;
                    // Only intake is kept; a registered transaction (/register/transaction) is answered.
                    if (body_length > 0 && strncmp(c->data, "POST /intake/v2/events", 22) == 0) {
                        char *coding = strcasestr(c->data, "\r\nContent-Encoding:"), this_encoding[64] = "";
                        if (coding && coding < body) sscanf(coding + 19, " %63[^\r\n]", this_encoding);
#ifdef GZIP_FLOOR
                        snprintf(encoding, sizeof encoding, "gzip");
                        if (strcmp(this_encoding, "gzip") == 0)
                            zlib_all(0, body, body_length, &pending, &pending_used, &pending_capacity);
                        else
                            append(&pending, &pending_used, &pending_capacity, body, body_length);
#else
                        if (pending_used == 0) snprintf(encoding, sizeof encoding, "%s", this_encoding);
                        append(&pending, &pending_used, &pending_capacity, body, body_length);
#endif
                    }
                    send_message(c->fd, accepted, NULL, 0);
                    if (flushed && !sending && pending_used > 0) {
                        const char *payload = pending;
                        size_t payload_length = pending_used;
#ifdef GZIP_FLOOR
                        static char *gzipped;
                        static size_t gzipped_capacity;
                        size_t gzipped_used = 0;
                        zlib_all(1, pending, pending_used, &gzipped, &gzipped_used, &gzipped_capacity);
                        payload = gzipped;
                        payload_length = gzipped_used;
#endif
                        snprintf(request, sizeof request,
                                 "POST /intake/v2/events HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-ndjson\r\n"
                                 "%s%s%sContent-Length: %zu\r\n\r\n", server + 7, *encoding ? "Content-Encoding: " : "",
                                 encoding, *encoding ? "\r\n" : "", payload_length);
                        send_message(apm->fd, request, payload, payload_length);
                        pending_used = 0;
                        sending = 1;
                    } else if (flushed && !sending) {
                        invocation_done(&invoked, &flushes, runtime->fd, next);
                    }
                }
                consume(c, length);
            }
        }
    }
}
