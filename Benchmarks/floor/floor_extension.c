// The floor of an extension's costs: what any extension must do for Lambda, and nothing else.
// It registers, then asks for the next event until that is SHUTDOWN (or the API goes away). `make compare` builds it static (`cc -static -O2`) and
// subtracts its init from both extensions' so that only what each adds is compared.
#define _GNU_SOURCE // strcasestr
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// One request on a new connection; returns the response's bytes read into `answer` (headers included).
static ssize_t request(const char *host, const char *port, const char *text, char *answer, size_t capacity) {
    // The Runtime API is an IPv4 address and a port (127.0.0.1:9001 in Lambda): no resolver needed.
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return -1;
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) return -1;
    // Connection: close, so the answer ends where the stream does.
    ssize_t total = 0, count;
    while (total < (ssize_t)capacity - 1 && (count = read(fd, answer + total, capacity - 1 - total)) > 0) total += count;
    answer[total] = 0;
    close(fd);
    return total;
}

int main(int argc, char **argv) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) return 2;
    char host[256], *colon;
    snprintf(host, sizeof host, "%s", api);
    if (!(colon = strrchr(host, ':'))) return 2;
    *colon = 0;
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    (void)argc;

    char text[1024], answer[65536];
    const char *body = "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}";
    snprintf(text, sizeof text,
             "POST /2020-01-01/extension/register HTTP/1.1\r\nHost: %s\r\nLambda-Extension-Name: %s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             api, name, strlen(body), body);
    if (request(host, colon + 1, text, answer, sizeof answer) <= 0) return 1;
    char *id = strcasestr(answer, "Lambda-Extension-Identifier:");
    if (!id) return 1;
    id += strlen("Lambda-Extension-Identifier:");
    while (*id == ' ') id++;
    id[strcspn(id, "\r\n")] = 0;

    snprintf(text, sizeof text,
             "GET /2020-01-01/extension/event/next HTTP/1.1\r\nHost: %s\r\nLambda-Extension-Identifier: %s\r\n"
             "Connection: close\r\n\r\n", api, id);
    do {
        if (request(host, colon + 1, text, answer, sizeof answer) <= 0) return 1;
    } while (!strstr(answer, "\"SHUTDOWN\""));
    return 0;
}
