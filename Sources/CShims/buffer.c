#include "eapm_shims.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eapm_buffer_free(eapm_buffer *buffer) {
    free(buffer->bytes);
    *buffer = (eapm_buffer){0};
}

int eapm_buffer_reserve(eapm_buffer *buffer, size_t extra) {
    if (extra <= buffer->capacity - buffer->count) return 1;
    if (extra > SIZE_MAX / 2 - buffer->count) return 0;
    size_t wanted = buffer->count + extra;
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < wanted) capacity *= 2;
    uint8_t *bytes = realloc(buffer->bytes, capacity);
    if (!bytes) return 0;
    buffer->bytes = bytes;
    buffer->capacity = capacity;
    return 1;
}

int eapm_buffer_append(eapm_buffer *buffer, const void *bytes, size_t count) {
    if (count == 0) return 1;
    if (!eapm_buffer_reserve(buffer, count)) return 0;
    memcpy(buffer->bytes + buffer->count, bytes, count);
    buffer->count += count;
    return 1;
}

eapm_code eapm_fail(eapm_error *error, eapm_code code, int library_code, const char *format, ...) {
    error->code = code;
    error->library_code = library_code;
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
    return code;
}
