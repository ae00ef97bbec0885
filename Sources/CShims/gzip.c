#include "internal.h"

#include <zlib.h>

// zlib requires the z_stream to stay at one address for its whole life: it lives here, on the heap.
// zlib's state (about 270 KB, its 64 KB hash table cleared at once) is made by the first write or
// finish, not at create: an encoder that never compresses (the forwarder's for OTLP exports where
// no OpenTelemetry SDK exports, the batch's until agent data comes) costs the process no memory.
struct eapm_gzip {
    z_stream stream;
    int level;
    int started; // deflateInit2 done
    eapm_buffer output;
};

enum { GZIP_WINDOW_BITS = 15 + 16, MEMORY_LEVEL = 8 };
eapm_gzip *eapm_gzip_create(int level, eapm_error *error) {
    eapm_gzip *gzip = calloc(1, sizeof *gzip);
    if (!gzip) {
        eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for the gzip encoder");
        return NULL;
    }
    gzip->level = level;
    return gzip;
}
static eapm_code start(eapm_gzip *gzip, eapm_error *error) {
    if (gzip->started) return EAPM_OK;
    int status = deflateInit2(&gzip->stream, gzip->level, Z_DEFLATED, GZIP_WINDOW_BITS, MEMORY_LEVEL, Z_DEFAULT_STRATEGY);
    if (status != Z_OK)
        return eapm_fail(error, status == Z_MEM_ERROR ? EAPM_ERR_NOMEM : EAPM_ERR_ZLIB, status,
                         "deflateInit2 failed: %s", gzip->stream.msg ? gzip->stream.msg : "unknown");
    gzip->started = 1;
    return EAPM_OK;
}

// Runs deflate over the pending input with `flush`, growing the output as zlib asks.
static eapm_code pump(eapm_gzip *gzip, int flush, eapm_error *error) {
    for (;;) {
        // deflateBound-sized room for what is pending keeps the loop short; at least 4 KiB.
        size_t room = deflateBound(&gzip->stream, gzip->stream.avail_in) + 64;
        if (!eapm_buffer_reserve(&gzip->output, room < 4096 ? 4096 : room))
            return eapm_fail(error, EAPM_ERR_NOMEM, 0, "out of memory for gzip output");
        size_t available = gzip->output.capacity - gzip->output.count;
        if (available > UINT32_MAX) available = UINT32_MAX;
        gzip->stream.next_out = gzip->output.bytes + gzip->output.count;
        gzip->stream.avail_out = (uInt)available;
        int status = deflate(&gzip->stream, flush);
        gzip->output.count += available - gzip->stream.avail_out;
        if (status == Z_STREAM_END) return EAPM_OK;
        if (status != Z_OK && status != Z_BUF_ERROR)
            return eapm_fail(error, EAPM_ERR_ZLIB, status, "deflate failed: %s",
                             gzip->stream.msg ? gzip->stream.msg : "unknown");
        // Done when zlib took all input and had output room to spare (nothing more pending).
        if (flush == Z_NO_FLUSH && gzip->stream.avail_in == 0 && gzip->stream.avail_out > 0) return EAPM_OK;
    }
}
eapm_code eapm_gzip_write(eapm_gzip *gzip, const uint8_t *bytes, size_t count, eapm_error *error) {
    eapm_code code = count > 0 ? start(gzip, error) : EAPM_OK;
    if (code != EAPM_OK) return code;
    while (count > 0) {
        uInt chunk = count > UINT32_MAX ? UINT32_MAX : (uInt)count;
        gzip->stream.next_in = (Bytef *)bytes;
        gzip->stream.avail_in = chunk;
        code = pump(gzip, Z_NO_FLUSH, error);
        gzip->stream.next_in = NULL;
        if (code != EAPM_OK) return code;
        bytes += chunk;
        count -= chunk;
    }
    return EAPM_OK;
}
eapm_code eapm_gzip_finish(eapm_gzip *gzip, eapm_error *error) {
    eapm_code code = start(gzip, error);
    if (code != EAPM_OK) return code;
    gzip->stream.avail_in = 0;
    return pump(gzip, Z_FINISH, error);
}
const uint8_t *eapm_gzip_output(const eapm_gzip *gzip, size_t *count) {
    *count = gzip->output.count;
    return gzip->output.bytes;
}
eapm_code eapm_gzip_reset(eapm_gzip *gzip, eapm_error *error) {
    int status = gzip->started ? deflateReset(&gzip->stream) : Z_OK;
    if (status != Z_OK) return eapm_fail(error, EAPM_ERR_ZLIB, status, "deflateReset failed");
    gzip->output.count = 0;
    return EAPM_OK;
}
void eapm_gzip_destroy(eapm_gzip *gzip) {
    if (!gzip) return;
    if (gzip->started) deflateEnd(&gzip->stream);
    eapm_buffer_free(&gzip->output);
    free(gzip);
}
