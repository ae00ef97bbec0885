#include "internal.h"

#include <zlib.h>

struct eapm_inflater {
    z_stream stream; // zlib needs it at one address for its whole life
};

// Indexed by eapm_inflate_format: gzip, zlib, raw, and gzip or zlib (zlib's +32).
static const int window_bits[] = {15 + 16, 15, -15, 15 + 32};
eapm_inflater *eapm_inflater_create(eapm_error *error) {
    eapm_inflater *inflater = calloc(1, sizeof *inflater);
    if (!inflater) {
        eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for the inflater");
        return NULL;
    }
    int status = inflateInit2(&inflater->stream, window_bits[EAPM_INFLATE_AUTO]);
    if (status != Z_OK) {
        eapm_fail(error, EAPM_ERR_ZLIB, status, "inflateInit2 failed");
        free(inflater);
        return NULL;
    }
    return inflater;
}
eapm_code eapm_inflate(eapm_inflater *inflater, eapm_inflate_format format, const uint8_t *input, size_t count,
                       size_t max_output, eapm_buffer *output, eapm_error *error) {
    output->count = 0;
    if (count > UINT32_MAX) return eapm_fail(error, EAPM_ERR_TOO_LARGE, 0, "compressed input over 4 GiB");
    int status = inflateReset2(&inflater->stream, window_bits[format <= EAPM_INFLATE_AUTO ? format : EAPM_INFLATE_AUTO]);
    if (status != Z_OK) return eapm_fail(error, EAPM_ERR_ZLIB, status, "inflateReset2 failed");

    z_stream *stream = &inflater->stream;
    stream->next_in = (Bytef *)input;
    stream->avail_in = (uInt)count;
    eapm_code code = EAPM_OK;
    for (;;) {
        // Grow in steps no larger than the cap allows, so a bomb fails before it allocates.
        size_t headroom = max_output - output->count;
        size_t step = count * 4 + 1024;
        if (step > headroom + 1) step = headroom + 1; // one byte past the cap detects overflow
        if (!eapm_buffer_reserve(output, step)) {
            code = eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory inflating");
            break;
        }
        size_t available = output->capacity - output->count;
        if (available > headroom + 1) available = headroom + 1;
        if (available > UINT32_MAX) available = UINT32_MAX;
        stream->next_out = output->bytes + output->count;
        stream->avail_out = (uInt)available;
        status = inflate(stream, Z_NO_FLUSH);
        output->count += available - stream->avail_out;
        if (output->count > max_output) {
            code = eapm_fail(error, EAPM_ERR_TOO_LARGE, 0, "inflated body exceeds %zu bytes", max_output);
            break;
        }
        if (status == Z_STREAM_END) {
            if (stream->avail_in != 0)
                code = eapm_fail(error, EAPM_ERR_CORRUPT, 0, "%u bytes after the end of the compressed stream",
                                 stream->avail_in);
            break;
        }
        if (status == Z_BUF_ERROR || (status == Z_OK && stream->avail_in == 0 && stream->avail_out > 0)) {
            if (stream->avail_in != 0) continue; // output was full; loop grows it
            // No progress possible: the input ran out before the stream ended.
            code = eapm_fail(error, EAPM_ERR_TRUNCATED, status, "compressed stream is truncated");
            break;
        }
        if (status == Z_OK) continue;
        if (status == Z_DATA_ERROR || status == Z_NEED_DICT)
            code = eapm_fail(error, EAPM_ERR_CORRUPT, status, "corrupt compressed data: %s", stream->msg ? stream->msg : "invalid stream");
        else if (status == Z_MEM_ERROR)
            code = eapm_fail(error, EAPM_ERR_NOMEM, status, "out of memory inflating");
        else
            code = eapm_fail(error, EAPM_ERR_ZLIB, status, "inflate failed");
        break;
    }
    stream->next_in = NULL;
    stream->avail_in = 0;
    if (code != EAPM_OK) output->count = 0;
    return code;
}
void eapm_inflater_destroy(eapm_inflater *inflater) {
    if (!inflater) return;
    inflateEnd(&inflater->stream);
    free(inflater);
}
