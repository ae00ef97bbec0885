#!/usr/bin/env bash
# Builds the layer's TLS and HTTP libraries, static and minimal, from Debian's own source packages:
#   OpenSSL with only what TLS 1.2/1.3 to an APM Server needs (RSA, ECDSA/EdDSA, ECDHE, AES-GCM,
#   ChaCha20-Poly1305, SHA-1/2; no engines, legacy ciphers, DTLS, CMS, OCSP…);
#   c-ares, curl's resolver: it reads /etc/hosts and /etc/resolv.conf itself, so a static binary
#   never loads the image's NSS modules (built for another glibc) to resolve the APM Server;
#   libcurl with HTTP/HTTPS over that OpenSSL, zlib, c-ares, AWS SigV4; nothing else;
# all with -ffunction-sections so that the final link keeps only what is reached. Writes
# pkg-config files that make SwiftPM compile against these headers and link these archives.
# Idempotent: a finished build is reused.
#
# usage: scripts/build_static_curl.sh CACHE_DIR
#   CACHE_DIR/prefix/{include,lib/{libcurl,libcares,libssl,libcrypto,libz}.a}, CACHE_DIR/pkgconfig/*.pc,
#   CACHE_DIR/licenses/ (curl's, c-ares', OpenSSL's and zlib's licence texts)
set -euo pipefail
cache=$(mkdir -p "$1" && cd "$1" && pwd)
prefix=$cache/prefix
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
syslib=/usr/lib/$multiarch
jobs=$(nproc)
size_flags="-Os -ffunction-sections -fdata-sections"

# Debian's source package PACKAGE unpacked into DIR, newest version the mirror serves in full
# (a security update can be listed before its files are published). Needs a deb-src entry.
fetch_source() { # package dir
    if ! grep -Eqs '^(Types: .*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
        echo "adding a deb-src entry for the configured Debian mirror" >&2
        sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            > /etc/apt/sources.list.d/elastic-apm-layer-src.sources
        apt-get update -qq
    fi
    local download=$cache/download/$1 version
    rm -rf "$download" "$2"
    for version in $(apt-cache showsrc "$1" | sed -n 's/^Version: //p' | sort -rV); do
        mkdir -p "$download"
        if (cd "$download" && apt-get source --download-only -qq "$1=$version" >/dev/null 2>&1); then
            # dpkg-source warns that it cannot check the uploader's signature (no debian-keyring):
            # apt has already checked every file's hash against the mirror's signed Release file.
            dpkg-source -x "$download/$1_${version#*:}.dsc" "$2" >/dev/null 2>&1 \
                || { echo "error: dpkg-source could not unpack $1 $version" >&2; exit 1; }
            echo "$1 $version"
            return
        fi
        rm -rf "$download"
    done
    echo "error: no source package of $1 could be downloaded" >&2
    exit 1
}

# What OpenSSL must do for the extension (TLS ≥ 1.2 client, verifying public and private CAs).
openssl_flags=(
    # Its configuration directory is the layer's own (with no openssl.cnf): an image's openssl.cnf
    # belongs to another OpenSSL build (Amazon Linux's names crypto policies and providers).
    linux-x86_64 --prefix="$prefix" --libdir=lib --openssldir=/opt/elastic-apm/ssl
    no-shared no-tests no-unit-test no-module no-engine no-dynamic-engine no-padlockeng no-afalgeng
    no-capieng no-legacy no-deprecated no-autoload-config no-comp no-ui-console
    no-ssl3 no-tls1 no-tls1_1 no-dtls no-srp no-srtp no-sctp no-nextprotoneg no-ssl-trace
    no-weak-ssl-ciphers no-idea no-cast no-seed no-md4 no-mdc2 no-rc2 no-rc4 no-rc5 no-bf no-des
    no-camellia no-aria no-sm2 no-sm3 no-sm4 no-whirlpool no-blake2 no-siphash no-gost no-scrypt
    no-ocb no-siv no-dsa no-ec2m no-cms no-ocsp no-ct no-ts no-cmp no-rfc3779
    $size_flags
)
# What curl must do for the extension; everything else is left out (smaller, fewer libraries).
configure_flags=(
    --prefix="$prefix" --disable-shared --enable-static --with-pic
    --with-openssl="$prefix" --with-zlib --enable-ares="$prefix"
    --without-libidn2 --without-libpsl --without-libssh2 --without-libssh --without-nghttp2
    --without-nghttp3 --without-ngtcp2 --without-brotli --without-zstd --without-gssapi
    --without-librtmp --without-hyper --disable-ldap --disable-ldaps
    --disable-ftp --disable-file --disable-dict --disable-gopher --disable-imap --disable-pop3
    --disable-rtsp --disable-smb --disable-smtp --disable-telnet --disable-tftp --disable-mqtt
    --disable-manual --disable-ntlm --disable-ntlm-wb --disable-kerberos-auth
    --disable-negotiate-auth --disable-cookies --disable-alt-svc --disable-hsts --disable-doh
    --disable-netrc --disable-progress-meter --disable-libcurl-option
    # The extension always sets CURLOPT_CAINFO (Transport's CABundle); these are the fallback.
    --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs
)
stamp=$cache/built.stamp
cares_flags=(--prefix="$prefix" --disable-shared --enable-static --with-pic --disable-tests)
want="3 ${openssl_flags[*]} ${cares_flags[*]} ${configure_flags[*]} $size_flags"

if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    rm -rf "$prefix" "$cache/licenses"
    fetch_source openssl "$cache/openssl" >"$cache/openssl.version"
    echo "building $(cat "$cache/openssl.version") (static, minimal)" >&2
    (cd "$cache/openssl" && ./Configure "${openssl_flags[@]}" >"$cache/openssl-configure.log" 2>&1) \
        || { tail -30 "$cache/openssl-configure.log"; exit 1; }
    (cd "$cache/openssl" && make -j"$jobs" build_libs >"$cache/openssl-make.log" 2>&1 \
        && make install_dev >>"$cache/openssl-make.log" 2>&1) \
        || { tail -30 "$cache/openssl-make.log"; exit 1; }

    fetch_source c-ares "$cache/c-ares" >"$cache/c-ares.version"
    echo "building $(cat "$cache/c-ares.version") (static)" >&2
    (cd "$cache/c-ares" && CFLAGS="$size_flags" ./configure "${cares_flags[@]}" >"$cache/c-ares-configure.log" 2>&1 \
        && make -j"$jobs" -C src/lib >"$cache/c-ares-make.log" 2>&1 && make install >>"$cache/c-ares-make.log" 2>&1) \
        || { tail -30 "$cache/c-ares-configure.log" "$cache/c-ares-make.log"; exit 1; }

    fetch_source curl "$cache/curl" >"$cache/curl.version"
    echo "building $(cat "$cache/curl.version") (static, HTTP/HTTPS only)" >&2
    (cd "$cache/curl" && CFLAGS="$size_flags" ./configure "${configure_flags[@]}" >"$cache/curl-configure.log" 2>&1) \
        || { tail -30 "$cache/curl-configure.log"; exit 1; }
    (cd "$cache/curl" && make -C lib -j"$jobs" >"$cache/curl-make.log" 2>&1 \
        && make -C lib install >>"$cache/curl-make.log" 2>&1 \
        && make -C include install >>"$cache/curl-make.log" 2>&1) \
        || { tail -30 "$cache/curl-make.log"; exit 1; }
    echo "$want" >"$stamp"
fi

# zlib: Debian's static archive (zlib1g-dev), beside the others, so that `-L$prefix/lib` finds
# archives only. libstdc++.a too (GCC's): the Swift runtime's `-lstdc++` then links statically,
# as this folder comes before the compiler's own on the link line.
cp -p "$syslib/libz.a" "$prefix/lib/libz.a"
cp -p "$(gcc -print-file-name=libstdc++.a)" "$prefix/lib/libstdc++.a"

# pkg-config files for SwiftPM's CCurl/COpenSSL/CZlib targets: these headers, these archives.
# libcurl's Libs carries its own dependencies, in the order a static link needs.
mkdir -p "$cache/pkgconfig"
cat >"$cache/pkgconfig/libcurl.pc" <<EOF
Name: libcurl
Description: minimal static libcurl for the Lambda layer
Version: $(sed -n 's/^#define LIBCURL_VERSION "\(.*\)"/\1/p' "$prefix/include/curl/curlver.h")
Libs: -L$prefix/lib -lcurl -lcares -lssl -lcrypto -lz -lpthread
Cflags: -I$prefix/include
EOF
cat >"$cache/pkgconfig/openssl.pc" <<EOF
Name: OpenSSL
Description: minimal static OpenSSL for the Lambda layer
Version: $(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/openssl.pc")
Libs: -L$prefix/lib -lssl -lcrypto -lpthread
Cflags: -I$prefix/include
EOF
cat >"$cache/pkgconfig/zlib.pc" <<EOF
Name: zlib
Description: static zlib for the Lambda layer
Version: $(pkg-config --modversion zlib)
Libs: -L$prefix/lib -lz
Cflags: $(pkg-config --cflags zlib)
EOF

mkdir -p "$cache/licenses"
cp "$cache/curl/COPYING" "$cache/licenses/curl.txt"
cp "$cache/openssl/LICENSE.txt" "$cache/licenses/openssl.txt"
cp "$cache/c-ares/LICENSE.md" "$cache/licenses/c-ares.txt"
cp /usr/share/doc/zlib1g/copyright "$cache/licenses/zlib.txt"
