internal import CShims

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// An HTTP/1.1 client over libcurl with one pool of kept-alive connections (and TLS sessions)
/// shared by every request it makes.
///
/// Transfers run on one thread the client owns (curl's multi interface), never on Swift's
/// cooperative pool; `execute` suspends until its transfer completes. Deinitialising the client
/// stops that thread and fails whatever is still in flight with `.cancelled`.
public final class HTTPClient: Sendable {
    private let handle: SendablePointer
    private let thread: pthread_t

    public init(tls: TLSConfiguration = TLSConfiguration(), maxConnections: Int = 8) throws(TransportError) {
        if let failure = Self.globalInitFailure { throw failure }
        var error = eapm_error()
        let client: OpaquePointer? = Self.withOptionalCString(tls.extraCAPEM) { pem in
            Self.withOptionalCString(tls.caBundlePath) { bundle in
                var options = eapm_http_client_options(
                    verify_peer: tls.verifyPeer ? 1 : 0, extra_ca_pem: pem, ca_bundle_path: bundle,
                    max_connections: maxConnections)
                return eapm_http_client_create(&options, &error)
            }
        }
        guard let client else { throw TransportError(error) }
        handle = SendablePointer(pointer: client)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(LoopContext(client: handle)).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<LoopContext>.fromOpaque(raw!).takeRetainedValue()
            HTTPClient.runLoop(context.client.pointer)
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<LoopContext>.fromOpaque(context).release()
            eapm_http_client_destroy(client, nil)
            throw TransportError(code: .outOfMemory, message: "could not start the transport thread (\(status))")
        }
        self.thread = thread
    }

    deinit {
        eapm_http_client_stop(handle.pointer)
        pthread_join(thread, nil)
        eapm_http_client_destroy(handle.pointer) { transfer in HTTPClient.complete(transfer) }
    }

    /// How many curl handles this client has made; finished requests hand theirs back for the next.
    public var curlHandlesMade: Int { eapm_http_client_easies_made(handle.pointer) }

    /// Sends the request (with retries as its policy says) and returns the last answer. Throws
    /// only when no HTTP answer came at all; any status, 4xx and 5xx included, is a response.
    public func execute(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let transfer = try makeTransfer(request)
        let result: Result<HTTPResponse, TransportError> = await withCheckedContinuation { continuation in
            let pending = Unmanaged.passRetained(PendingTransfer(continuation: continuation))
            eapm_http_transfer_set_context(transfer, pending.toOpaque())
            var error = eapm_error()
            if eapm_http_client_submit(handle.pointer, transfer, &error) != EAPM_OK {
                pending.release()
                eapm_http_transfer_destroy(transfer)
                continuation.resume(returning: .failure(TransportError(error)))
            }
        }
        return try result.get()
    }

    // MARK: - Building a transfer

    private func makeTransfer(_ request: HTTPRequest) throws(TransportError) -> OpaquePointer {
        var error = eapm_error()
        let retry = eapm_retry_policy(
            max_attempts: Int32(clamping: request.retry.maxAttempts),
            initial_delay_ms: Int(request.retry.initialDelay.milliseconds),
            max_delay_ms: Int(request.retry.maxDelay.milliseconds),
            jitter: request.retry.jitter, retry_unavailable: request.retry.retriesUnavailable ? 1 : 0)
        let created = request.body.withUnsafeBufferPointer { body in
            eapm_http_transfer_create(
                handle.pointer, request.method, request.url, body.baseAddress, body.count,
                request.timeout == .zero ? 0 : Int(max(1, request.timeout.milliseconds)), Int(request.connectTimeout?.milliseconds ?? 0),
                request.deadline?.monotonicMilliseconds ?? 0, request.maxResponseBytes, retry, &error)
        }
        guard let transfer = created else { throw TransportError(error) }
        do {
            for (name, value) in request.headers {
                try check { eapm_http_transfer_add_header(transfer, "\(name): \(value)", $0) }
            }
            if let signing = request.awsSigning {
                try check {
                    eapm_http_transfer_sign_aws(
                        transfer, signing.credentials.accessKeyID, signing.credentials.secretAccessKey,
                        signing.credentials.sessionToken, signing.region, signing.service, $0)
                }
            }
        } catch {
            eapm_http_transfer_destroy(transfer)
            throw error
        }
        return transfer
    }

    // MARK: - The transport thread

    private static func runLoop(_ client: OpaquePointer) {
        let capacity = 16
        let done = UnsafeMutablePointer<OpaquePointer>.allocate(capacity: capacity)
        defer { done.deallocate() }
        while true {
            let count = eapm_http_client_run(client, done, capacity)
            if count == 0 { return }
            for index in 0..<count { complete(done[index]) }
        }
    }

    /// Hands a finished (or cancelled) transfer's outcome to its waiting caller and frees it.
    /// The transfer is freed before its caller resumes, so that a next request reuses its curl handle.
    private static func complete(_ transfer: OpaquePointer) {
        guard let raw = eapm_http_transfer_context(transfer) else {
            eapm_http_transfer_destroy(transfer)
            return
        }
        let pending = Unmanaged<PendingTransfer>.fromOpaque(raw).takeRetainedValue()
        var result = eapm_http_result()
        var error = eapm_error()
        let outcome: Result<HTTPResponse, TransportError> =
            eapm_http_transfer_result(transfer, &result, &error) == EAPM_OK ? .success(HTTPResponse(result)) : .failure(TransportError(error))
        eapm_http_transfer_destroy(transfer)
        pending.continuation.resume(returning: outcome)
    }

    private static let globalInitFailure: TransportError? = {
        var error = eapm_error()
        return eapm_http_global_init(&error) == EAPM_OK ? nil : TransportError(error)
    }()

    private static func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let string else { return body(nil) }
        return string.withCString { body($0) }
    }
}

// MARK: - Helpers

/// The C client pointer, handed to the transport thread. The C side does its own locking.
private struct SendablePointer: @unchecked Sendable {
    let pointer: OpaquePointer
}

private final class LoopContext: Sendable {
    let client: SendablePointer
    init(client: SendablePointer) { self.client = client }
}

private final class PendingTransfer: Sendable {
    let continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>
    init(continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>) {
        self.continuation = continuation
    }
}

extension HTTPResponse {
    init(_ result: eapm_http_result) {
        let rawHeaders = result.headers.map {
            String(decoding: UnsafeRawBufferPointer(start: $0, count: result.headers_count), as: UTF8.self)
        } ?? ""
        let delays = withUnsafeBytes(of: result.retry_delays_ms) { raw in
            Array(raw.bindMemory(to: Int.self).prefix(max(0, min(8, Int(result.attempts) - 1))))
        }
        self.init(
            status: Int(result.status),
            headers: HTTPFields(rawResponseHeaders: rawHeaders),
            body: Array(UnsafeBufferPointer(start: result.body, count: result.body_count)),
            attempts: Int(result.attempts),
            retryDelays: delays.map { .milliseconds($0) },
            timings: HTTPTimings(
                nameLookup: .microseconds(result.name_lookup_us),
                connect: .microseconds(result.connect_us),
                tlsHandshake: .microseconds(result.tls_us),
                firstByte: .microseconds(result.first_byte_us),
                total: .microseconds(result.total_us),
                reusedConnection: result.new_connections == 0))
    }
}
