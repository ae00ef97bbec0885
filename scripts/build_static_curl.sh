#!/usr/bin/env bash
# Builds a minimal static libcurl (HTTP/HTTPS over OpenSSL, zlib, threaded resolver, AWS SigV4;
# nothing else) from Debian's own curl source package, the same version and patches as the
# system's libcurl4-openssl-dev, and writes pkg-config files that make SwiftPM link it, OpenSSL
# and zlib statically. Idempotent: a finished build is reused.
#
# usage: scripts/build_static_curl.sh CACHE_DIR
#   CACHE_DIR/prefix/lib/{libcurl,libssl,libcrypto,libz}.a, CACHE_DIR/pkgconfig/*.pc,
#   CACHE_DIR/licenses/ (curl's, OpenSSL's and zlib's licence texts)
set -euo pipefail
cache=$(mkdir -p "$1" && cd "$1" && pwd)
prefix=$cache/prefix
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
syslib=/usr/lib/$multiarch

# What curl must do for the extension; everything else is left out (smaller, fewer libraries).
configure_flags=(
    --prefix="$prefix" --disable-shared --enable-static --with-pic
    --with-openssl --with-zlib --enable-threaded-resolver
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
want="$(dpkg-query -W -f='${Version}' libcurl4-openssl-dev 2>/dev/null || true) ${configure_flags[*]}"

if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    # Debian's source package of the installed curl: needs a deb-src entry for the configured mirror.
    if ! grep -Eqs '^(Types: .*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
        echo "adding a deb-src entry for the configured Debian mirror" >&2
        sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            > /etc/apt/sources.list.d/elastic-apm-layer-src.sources
        apt-get update -qq
    fi
    rm -rf "$cache/src" "$cache/download" "$prefix"
    mkdir -p "$cache/download"
    (cd "$cache/download" && apt-get source --download-only -qq curl >/dev/null 2>&1)
    # dpkg-source warns that it cannot check the uploader's signature (no debian-keyring): apt has
    # already checked every file's hash against the mirror's signed Release file.
    dpkg-source -x "$cache"/download/curl_*.dsc "$cache/src" >/dev/null
    echo "configuring curl $(cd "$cache/src" && dpkg-parsechangelog -S Version)" >&2
    (cd "$cache/src" && ./configure "${configure_flags[@]}" >"$cache/configure.log" 2>&1) \
        || { tail -30 "$cache/configure.log"; exit 1; }
    echo "building libcurl.a" >&2
    (cd "$cache/src" && make -C lib -j"$(nproc)" >"$cache/make.log" 2>&1 \
        && make -C lib install >>"$cache/make.log" 2>&1 \
        && make -C include install >>"$cache/make.log" 2>&1) \
        || { tail -30 "$cache/make.log"; exit 1; }
    echo "$want" >"$stamp"
fi

# OpenSSL and zlib: Debian's static archives (libssl-dev, zlib1g-dev), beside libcurl.a, so that
# `-L$prefix/lib` finds archives only. libstdc++.a too (GCC's): the Swift runtime's `-lstdc++`
# then links statically, as this folder comes before the compiler's own on the link line.
for archive in libssl.a libcrypto.a libz.a; do
    cp -p "$syslib/$archive" "$prefix/lib/$archive"
done
cp -p "$(gcc -print-file-name=libstdc++.a)" "$prefix/lib/libstdc++.a"

# pkg-config files for SwiftPM's CCurl/COpenSSL/CZlib targets. Cflags are the system's, the very
# same headers (same curl version), so only the link step differs from the normal build. libcurl's
# Libs carries its own dependencies, in the order a static link needs.
mkdir -p "$cache/pkgconfig"
cat >"$cache/pkgconfig/libcurl.pc" <<EOF
Name: libcurl
Description: minimal static libcurl for the Lambda layer
Version: $(sed -n 's/^Version: //p' "$syslib/pkgconfig/libcurl.pc")
Libs: -L$prefix/lib -lcurl -lssl -lcrypto -lz -lpthread -ldl
Cflags: $(pkg-config --cflags libcurl)
EOF
cat >"$cache/pkgconfig/openssl.pc" <<EOF
Name: OpenSSL
Description: static OpenSSL for the Lambda layer
Version: $(pkg-config --modversion openssl)
Libs: -L$prefix/lib -lssl -lcrypto -lpthread -ldl
Cflags: $(pkg-config --cflags openssl)
EOF
cat >"$cache/pkgconfig/zlib.pc" <<EOF
Name: zlib
Description: static zlib for the Lambda layer
Version: $(pkg-config --modversion zlib)
Libs: -L$prefix/lib -lz
Cflags: $(pkg-config --cflags zlib)
EOF

mkdir -p "$cache/licenses"
cp "$cache/src/COPYING" "$cache/licenses/curl.txt"
cp /usr/share/doc/libssl3/copyright "$cache/licenses/openssl.txt"
cp /usr/share/doc/zlib1g/copyright "$cache/licenses/zlib.txt"
