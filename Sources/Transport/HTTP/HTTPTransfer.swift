internal import CShims

/// One request's C transfer, owned by the `execute` call that made it: submitted once per
/// attempt, and freed (its curl handle back to the client) when that call ends.
struct HTTPTransfer: ~Copyable {
    let pointer: OpaquePointer
    let id: UInt64

    /// The C transfer, named `id` for cancelling it.
    init(_ request: HTTPRequest, id: UInt64, client: OpaquePointer) throws(TransportError) {
        var error = eapm_error()
        let created = request.body.withUnsafeBufferPointer { body in
            eapm_http_transfer_create(
                client, id, request.method, request.url, body.baseAddress, body.count,
                Int(request.connectTimeout?.milliseconds ?? 0), request.maxResponseBytes, &error)
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
                        signing.region, signing.service, $0)
                }
                if let token = signing.credentials.sessionToken, !token.isEmpty {
                    try check { eapm_http_transfer_add_header(transfer, "X-Amz-Security-Token: \(token)", $0) }
                }
            } else {
                // curl would otherwise wait up to a second for "100 Continue" before sending larger
                // bodies. Not on signed requests: curl would sign the empty header it then leaves out.
                try check { eapm_http_transfer_add_header(transfer, "Expect:", $0) }
            }
        } catch {
            eapm_http_transfer_destroy(transfer)
            throw error
        }
        pointer = transfer
        self.id = id
    }

    deinit { eapm_http_transfer_destroy(pointer) }

    /// How the last attempt ended.
    var outcome: AttemptOutcome {
        var result = eapm_http_result()
        var error = eapm_error()
        let code = eapm_http_transfer_result(pointer, &result, &error)
        return AttemptOutcome(
            status: Int(result.status), failure: code == EAPM_OK ? nil : TransportError.Code(code),
            connected: result.connect_us > 0, retryAfterSeconds: Int(result.retry_after_seconds))
    }

    /// The last attempt's answer, or why none came.
    func response(attempts: Int, retryDelays: [Duration]) throws(TransportError) -> HTTPResponse {
        var result = eapm_http_result()
        var error = eapm_error()
        guard eapm_http_transfer_result(pointer, &result, &error) == EAPM_OK else { throw TransportError(error) }
        let rawHeaders = result.headers.map {
            String(decoding: UnsafeRawBufferPointer(start: $0, count: result.headers_count), as: UTF8.self)
        } ?? ""
        return HTTPResponse(
            status: Int(result.status),
            headers: HTTPFields(rawResponseHeaders: rawHeaders),
            body: Array(UnsafeBufferPointer(start: result.body, count: result.body_count)),
            attempts: attempts,
            retryDelays: retryDelays,
            timings: HTTPTimings(
                nameLookup: .microseconds(result.name_lookup_us),
                connect: .microseconds(result.connect_us),
                tlsHandshake: .microseconds(result.tls_us),
                firstByte: .microseconds(result.first_byte_us),
                total: .microseconds(result.total_us),
                reusedConnection: result.new_connections == 0))
    }
}
