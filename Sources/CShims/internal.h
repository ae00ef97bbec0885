// Helpers shared by the shim's files; not part of its interface.
#ifndef EAPM_INTERNAL_H
#define EAPM_INTERNAL_H

#include "eapm_shims.h"

/// Makes room for `extra` more bytes; 0 when out of memory.
int eapm_buffer_reserve(eapm_buffer *buffer, size_t extra);
/// Appends; 0 when out of memory.
int eapm_buffer_append(eapm_buffer *buffer, const void *bytes, size_t count);
/// Fills `error` and returns `code`.
eapm_code eapm_fail(eapm_error *error, eapm_code code, int library_code, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

#endif
