import COpenSSL
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Accepts TLS on a loopback port and relays each connection, decrypted, to a plain HTTP port:
/// how the sink speaks HTTPS without a TLS library for NIO. One thread accepts; each connection
/// gets a thread that relays until either side closes. Test infrastructure, not a server: simple
/// blocking I/O is enough.
final class TLSTerminator: Sendable {
    /// The OpenSSL context; immutable once built, and OpenSSL allows sharing it between threads.
    private struct Context: @unchecked Sendable { let pointer: OpaquePointer }

    let port: Int
    private let listener: Int32
    private let context: Context
    private let backendPort: Int
    private let stopped = Atomic<Bool>(false)
    private let acceptDone = OneShotEvent<Void>()

    init(tls: SinkTLS, backendPort: Int) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw Self.failure("SSL_CTX_new") }
        guard SSL_CTX_use_certificate_chain_file(context, tls.certificatePath) == 1 else {
            SSL_CTX_free(context)
            throw Self.failure("cannot use the certificate \(tls.certificatePath)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, tls.privateKeyPath, SSL_FILETYPE_PEM) == 1,
            SSL_CTX_check_private_key(context) == 1
        else {
            SSL_CTX_free(context)
            throw Self.failure("cannot use the private key \(tls.privateKeyPath)")
        }
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 64) == 0
                    && getsockname(listener, address, &length) == 0
            }
        }
        guard listener >= 0, bound else {
            if listener >= 0 { close(listener) }
            SSL_CTX_free(context)
            throw SimulatorError(.serverFailed, "cannot listen for TLS: errno \(errno)")
        }
        self.listener = listener
        self.context = Context(pointer: context)
        self.backendPort = backendPort
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "lambda-sim-tls-accept"
        thread.start()
    }

    deinit { SSL_CTX_free(context.pointer) }

    /// Stops accepting; relays end when their connections close (the plain server closes its
    /// side when it stops).
    func stop() async {
        stopped.store(true, ordering: .sequentiallyConsistent)
        // shutdown() wakes the thread blocked in accept().
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        _ = await acceptDone.wait(timeoutMs: 2000)
        close(listener)
    }

    private func acceptLoop() {
        defer { acceptDone.fire(()) }
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let context = self.context
            let backendPort = self.backendPort
            let thread = Thread { Self.relay(client: client, context: context, backendPort: backendPort) }
            thread.name = "lambda-sim-tls-relay"
            thread.start()
        }
    }

    private static func relay(client: Int32, context: Context, backendPort: Int) {
        defer { close(client) }
        guard let ssl = SSL_new(context.pointer) else { return }
        defer { SSL_free(ssl) }
        // Without TCP_NODELAY, Nagle's algorithm holds the second small write of a response (NIO
        // writes head and body apart) until the peer's delayed ACK: 40 ms stalls on loopback.
        setNoDelay(client)
        SSL_set_fd(ssl, client)
        // A failed handshake (the client does not trust the certificate) just ends the connection.
        guard SSL_accept(ssl) == 1 else { return }
        let backend = connectBackend(port: backendPort)
        guard backend >= 0 else { return }
        defer { close(backend) }
        setNoDelay(backend)

        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var descriptors = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: backend, events: Int16(POLLIN), revents: 0)]
        while true {
            // Decrypted bytes OpenSSL already holds do not show up in poll().
            if SSL_pending(ssl) == 0 {
                descriptors[0].revents = 0
                descriptors[1].revents = 0
                if poll(&descriptors, 2, -1) < 0 {
                    if errno == EINTR { continue }
                    return
                }
            } else {
                descriptors[0].revents = Int16(POLLIN)
            }
            if descriptors[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
                if count <= 0 {
                    let error = SSL_get_error(ssl, count)
                    if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { continue }
                    return
                }
                guard writeAll(backend, buffer, Int(count)) else { return }
            }
            if descriptors[1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(backend, $0.baseAddress, $0.count) }
                if count <= 0 {
                    SSL_shutdown(ssl)
                    return
                }
                let written = buffer.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32(count)) }
                if written <= 0 { return }
            }
        }
    }

    private static func connectBackend(port: Int) -> Int32 {
        let backend = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard backend >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(backend, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        if !connected {
            close(backend)
            return -1
        }
        return backend
    }

    private static func setNoDelay(_ descriptor: Int32) {
        var on: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    private static func writeAll(_ descriptor: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let written = buffer.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, count - offset) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    private static func failure(_ what: String) -> SimulatorError {
        SimulatorError(.serverFailed, "TLS: \(what)")
    }
}
