#ifndef RAW_ZLIB_H
#define RAW_ZLIB_H

#include <stddef.h>
#include <stdint.h>

/// Upper bound of the gzip output for `length` input bytes (deflateBound with the gzip wrapper).
size_t raw_zlib_gzip_bound(size_t length);

/// One-shot gzip at level 1 (deflateInit2 with windowBits 15+16, memLevel 8, one deflate(Z_FINISH)):
/// the ceiling the streaming encoder is compared with. Returns the output size, or 0 on failure.
size_t raw_zlib_gzip_level1(const uint8_t *_Nonnull input, size_t length,
                            uint8_t *_Nonnull output, size_t capacity);

#endif
