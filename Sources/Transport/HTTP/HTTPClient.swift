internal import CShims
import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// An HTTP/1.1 client over libcurl with one pool of kept-alive connections (and TLS sessions)
/// shared by every request it makes.
///
/// Transfers run on one thread the client owns (curl's multi interface), never on Swift's
/// cooperative pool; `execute` suspends while each attempt runs there, and waits between attempts
/// itself. Cancelling the calling task ends its request at once with `.cancelled`.
///
/// A class, not a `~Copyable` owner: many tasks share one client, and the transport thread it
/// owns must be stopped and joined exactly once, when the last of them lets go.
public final class HTTPClient: Sendable {
    private let handle: SendablePointer
    private let thread: pthread_t
    /// Names transfers for cancelling them.
    private let lastTransferID = Atomic<UInt64>(0)

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
            eapm_http_client_run(context.client.pointer) { transfer in HTTPClient.attemptEnded(transfer) }
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<LoopContext>.fromOpaque(context).release()
            eapm_http_client_destroy(client)
            throw TransportError(code: .outOfMemory, message: "could not start the transport thread (\(status))")
        }
        self.thread = thread
    }

    /// No request is in flight by now: each `execute` keeps its client alive until it returns.
    deinit {
        eapm_http_client_stop(handle.pointer)
        pthread_join(thread, nil)
        eapm_http_client_destroy(handle.pointer)
    }

    /// How many curl handles this client has made; finished requests hand theirs back for the next
    /// (for the tests).
    package var curlHandlesMade: Int { eapm_http_client_easies_made(handle.pointer) }

    /// Closes every kept-alive connection and forgets TLS sessions and resolved names. Requests in
    /// flight complete first; those that start meanwhile wait for it and then connect anew.
    ///
    /// Call it after a Lambda SnapStart restore: connections pooled before the snapshot are dead,
    /// closed or silently gone, and a request on a silently gone one would hang until its timeout.
    public func dropConnections() {
        eapm_http_client_drop_connections(handle.pointer)
    }

    /// Sends the request (with retries as its policy says) and returns the last answer. Throws
    /// only when no HTTP answer came at all; any status, 4xx and 5xx included, is a response.
    /// - Parameter jitter: the retries' jitter, uniform in 0..<1 (`Jitter.draw`: copies of a
    ///   restored snapshot never share it).
    /// - Parameter followUp: a request of this client that the transport thread sends as soon as
    ///   an attempt of this one is answered with 2xx, before this call even resumes (its caller
    ///   then executes it as usual and finds it under way). Ignored if another client's.
    public func execute(
        _ request: HTTPRequest, then followUp: PreparedRequest? = nil, jitter: () -> Double = Jitter.draw
    ) async throws(TransportError) -> HTTPResponse {
        let transfer = try HTTPTransfer(request, id: nextTransferID(), client: handle.pointer)
        if let followUp, followUp.client === self {
            let timeout = (try? Self.attemptTimeout(followUp.request, isFirst: true)) ?? 1
            eapm_http_transfer_set_follow_up(transfer.pointer, followUp.transfer.pointer, timeout)
        }
        // The follow-up's transfer must outlive every attempt of this one (the transport thread
        // reads it when one ends).
        defer { withExtendedLifetime(followUp) {} }
        return try await run(transfer, request, firstAttemptUnderWay: false, jitter: jitter)
    }

    /// Makes `request` ready to send, for `execute(_:then:)` of another request and `execute(_:)`.
    public func prepare(_ request: HTTPRequest) throws(TransportError) -> PreparedRequest {
        PreparedRequest(client: self, request: request, transfer: try HTTPTransfer(request, id: nextTransferID(), client: handle.pointer))
    }

    /// Sends a prepared request (once), or waits for the attempt the transport thread already
    /// started as a follow-up, and retries as its policy says.
    public func execute(_ prepared: PreparedRequest, jitter: () -> Double = Jitter.draw) async throws(TransportError) -> HTTPResponse {
        precondition(prepared.client === self, "a prepared request goes with the client that prepared it")
        let underWay = eapm_http_transfer_claim(prepared.transfer.pointer) == 0
        return try await run(prepared.transfer, prepared.request, firstAttemptUnderWay: underWay, jitter: jitter)
    }

    private func nextTransferID() -> UInt64 { lastTransferID.add(1, ordering: .relaxed).newValue }

    private func run(
        _ transfer: borrowing HTTPTransfer, _ request: HTTPRequest, firstAttemptUnderWay: Bool, jitter: () -> Double
    ) async throws(TransportError) -> HTTPResponse {
        let schedule = RetrySchedule(policy: request.retry)
        var retryDelays: [Duration] = []
        var attempt = 1
        while true {
            if attempt == 1, firstAttemptUnderWay {
                await awaitUnderWay(transfer)
            } else {
                try await perform(transfer, timeoutMilliseconds: try Self.attemptTimeout(request, isFirst: attempt == 1))
            }
            let outcome = transfer.outcome
            let decision = schedule.decision(
                after: attempt, outcome: outcome, random: jitter(),
                timeLeft: request.deadline.map { .milliseconds($0.remainingMilliseconds) })
            guard case .retry(let delay) = decision else { break }
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw TransportError(code: .cancelled, message: "cancelled while waiting to retry")
            }
            // A late wake-up can pass the deadline: then the last answer stands.
            if let deadline = request.deadline, deadline.hasPassed { break }
            if retryDelays.count < 8 { retryDelays.append(delay) }
            attempt += 1
        }
        return try transfer.response(attempts: attempt, retryDelays: retryDelays)
    }

    /// The request's timeout, shortened to what is left before its deadline; 0: none.
    private static func attemptTimeout(_ request: HTTPRequest, isFirst: Bool) throws(TransportError) -> Int {
        var timeout = request.timeout == .zero ? 0 : Int(max(1, request.timeout.milliseconds))
        guard let deadline = request.deadline else { return timeout }
        let left = Int(deadline.remainingMilliseconds)
        guard left > 0 else { throw TransportError(code: .timeout, message: "deadline passed before the request could start") }
        if timeout == 0 || left < timeout { timeout = left }
        return timeout
    }

    /// One attempt: suspends until the transport thread hands the transfer back, completed or, if
    /// the task is cancelled, removed from curl.
    private func perform(_ transfer: borrowing HTTPTransfer, timeoutMilliseconds: Int) async throws(TransportError) {
        let client = handle
        let pointer = SendablePointer(pointer: transfer.pointer)
        let id = transfer.id
        let gate = CancellationGate()
        let failure: TransportError? = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                gate.submitUnlessCancelled { () -> Bool in
                    let waiting = Unmanaged.passRetained(WaitingAttempt(continuation: continuation))
                    eapm_http_transfer_set_context(pointer.pointer, waiting.toOpaque())
                    var error = eapm_error()
                    guard eapm_http_client_submit(client.pointer, pointer.pointer, timeoutMilliseconds, &error) == EAPM_OK else {
                        waiting.release()
                        continuation.resume(returning: TransportError(error))
                        return false
                    }
                    return true
                } ifCancelled: {
                    continuation.resume(returning: TransportError(code: .cancelled, message: "the request was cancelled"))
                }
            }
        } onCancel: {
            gate.cancel { eapm_http_client_cancel(client.pointer, id) }
        }
        if let failure { throw failure }
    }

    /// The attempt the transport thread started as a follow-up: suspends until it ends (not at all
    /// if it has). Cancelling the task ends it as `perform`'s are ended.
    private func awaitUnderWay(_ transfer: borrowing HTTPTransfer) async {
        let client = handle
        let pointer = SendablePointer(pointer: transfer.pointer)
        let id = transfer.id
        await withTaskCancellationHandler {
            _ = await withCheckedContinuation { (continuation: CheckedContinuation<TransportError?, Never>) in
                let waiting = Unmanaged.passRetained(WaitingAttempt(continuation: continuation))
                if eapm_http_transfer_wait(pointer.pointer, waiting.toOpaque()) == 0 {
                    waiting.release()
                    continuation.resume(returning: nil)
                }
            }
        } onCancel: {
            eapm_http_client_cancel(client.pointer, id)
        }
    }

    /// On the transport thread: an attempt ended. Its caller resumes (or, not waiting yet, finds
    /// it ended) and owns the transfer again.
    private static func attemptEnded(_ transfer: OpaquePointer) {
        guard let raw = eapm_http_transfer_take_context(transfer) else { return }
        Unmanaged<WaitingAttempt>.fromOpaque(raw).takeRetainedValue().continuation.resume(returning: nil)
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

/// A request made ready before it is due (`HTTPClient.prepare`), so that the transport thread can
/// send it the moment another request of the same client is answered with 2xx
/// (`HTTPClient.execute(_:then:)`): the run loop's `/event/next` as soon as the flush's batch is
/// accepted, without a round trip through the event loop. Execute it once
/// (`HTTPClient.execute(_:)`), whoever sent its first attempt; once handed to `execute(_:then:)`,
/// execute it before letting it go (the transport thread may be sending it).
///
/// Unchecked: the C transfer is touched by one thread at a time; its claim
/// (`eapm_http_transfer_claim`) decides whether the transport thread or the caller submits it.
public final class PreparedRequest: @unchecked Sendable {
    fileprivate let client: HTTPClient
    fileprivate let request: HTTPRequest
    fileprivate let transfer: HTTPTransfer

    fileprivate init(client: HTTPClient, request: HTTPRequest, transfer: consuming HTTPTransfer) {
        self.client = client
        self.request = request
        self.transfer = transfer
    }

    /// Whether its first attempt is sent or on its way (by the transport thread as a follow-up,
    /// or by `execute`).
    package var isUnderWay: Bool { eapm_http_transfer_claimed(transfer.pointer) != 0 }
}

// MARK: - Helpers

/// A C pointer handed between threads. The C side does its own locking, and a transfer is
/// touched by one thread at a time (the caller's, or the transport thread's while submitted).
struct SendablePointer: @unchecked Sendable {
    let pointer: OpaquePointer
}

private final class LoopContext: Sendable {
    let client: SendablePointer
    init(client: SendablePointer) { self.client = client }
}

/// The caller of one submitted attempt, carried by the transfer as its context.
private final class WaitingAttempt: Sendable {
    let continuation: CheckedContinuation<TransportError?, Never>
    init(continuation: CheckedContinuation<TransportError?, Never>) { self.continuation = continuation }
}

/// Orders an attempt's submission and its task's cancellation, which may come first, at the same
/// time or later: the transfer is submitted only if not cancelled yet, and cancelled in curl only
/// once submitted.
private final class CancellationGate: Sendable {
    private enum State { case idle, submitted, cancelled }
    private let state = NIOLockedValueBox(State.idle)

    /// Runs `submit` (true once submitted), or `ifCancelled` if the task was cancelled first.
    func submitUnlessCancelled(_ submit: () -> Bool, ifCancelled: () -> Void) {
        state.withLockedValue { state in
            if state == .cancelled {
                ifCancelled()
            } else if submit() {
                state = .submitted
            }
        }
    }

    func cancel(_ cancelSubmitted: () -> Void) {
        state.withLockedValue { state in
            if state == .submitted { cancelSubmitted() } else { state = .cancelled }
        }
    }
}
