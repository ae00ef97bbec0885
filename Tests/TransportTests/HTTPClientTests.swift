import TestSupport
import Testing
import Transport

@Suite("HTTP client")
struct HTTPClientTests {
    @Test("sequential requests to one origin reuse one kept-alive connection")
    func sequentialRequestsReuseOneConnection() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 202, body: Array("ok".utf8)) }) { server in
            for index in 0..<20 {
                let response = try await client.execute(
                    HTTPRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/intake", body: Array("event \(index)".utf8)))
                #expect(response.status == 202)
                #expect(response.bodyText == "ok")
                if index > 0 { #expect(response.timings.reusedConnection) }
            }
            #expect(server.connectionCount == 1)
            #expect(client.curlHandlesMade == 1, "each request reuses the last one's curl handle")
            #expect(server.requests.map { String(decoding: $0.body, as: UTF8.self) } == (0..<20).map { "event \($0)" })
        }
    }

    @Test("a reused curl handle carries nothing of its previous request")
    func reusedHandleStartsClean() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 200) }) { server in
            let url = "http://127.0.0.1:\(server.port)"
            _ = try await client.execute(HTTPRequest(method: "POST", url: url + "/first", headers: ["X-First": "1"], body: Array("body".utf8)))
            _ = try await client.execute(HTTPRequest(url: url + "/second"))
            _ = try await client.execute(HTTPRequest(method: "PUT", url: url + "/third", body: Array("put".utf8)))
            #expect(client.curlHandlesMade == 1, "one handle, reused")
            let requests = server.requests
            #expect(requests.map(\.method) == ["POST", "GET", "PUT"])
            #expect(requests.map(\.uri) == ["/first", "/second", "/third"])
            #expect(requests[1].header("x-first") == nil)
            #expect(requests[1].body.isEmpty)
            #expect(requests[2].header("x-first") == nil)
            #expect(String(decoding: requests[2].body, as: UTF8.self) == "put")
        }
    }

    @Test("concurrent requests all succeed, each answered on its own")
    func concurrentRequestsSucceed() async throws {
        let client = try HTTPClient(maxConnections: 4)
        try await TestHTTPServer.with(behaviour: { request, _ in .respond(status: 200, body: request.body) }) { server in
            let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<32 {
                    group.addTask {
                        try await client.execute(
                            HTTPRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/echo", body: Array("\(index)".utf8))
                        ).bodyText
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(bodies == Set((0..<32).map { "\($0)" }))
            #expect(server.requests.count == 32)
            #expect(server.connectionCount <= 32)
        }
    }

    /// Fields as a server may write them (no space or several, tabs, a colon in the value, an
    /// empty value, a name twice), from a raw socket: each comes back trimmed, in order.
    @Test("response fields are read as written, trimmed")
    func rawResponseFields() async throws {
        let response = "HTTP/1.1 200 OK\\r\\nX-Plain: one\\r\\nX-Tight:two\\r\\nX-Padded: \\t three  \\t\\r\\n"
            + "X-Colon: a:b: c\\r\\nX-Empty:\\r\\nX-Twice: first\\r\\nx-twice: second\\r\\nContent-Length: 2\\r\\n\\r\\nok"
        let server = try LineProcess(command: ["python3", "-c", """
            import socket, sys, threading
            listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen()
            print(listener.getsockname()[1], flush=True)
            def serve():
                while True:
                    connection, _ = listener.accept(); data = b""
                    while b"\\r\\n\\r\\n" not in data: data += connection.recv(4096)
                    connection.sendall(b"\(response)"); connection.close()
            threading.Thread(target=serve, daemon=True).start()
            sys.stdin.read()
            """])
        defer { server.stop() }
        let client = try HTTPClient()
        let answer = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.firstLine)/", timeout: .seconds(10)))
        #expect(answer.status == 200)
        #expect(Array(answer.headers.map(\.name)) == ["X-Plain", "X-Tight", "X-Padded", "X-Colon", "X-Empty", "X-Twice", "x-twice", "Content-Length"])
        #expect(Array(answer.headers.map(\.value)) == ["one", "two", "three", "a:b: c", "", "first", "second", "2"])
        #expect(answer.headers["x-twice"] == "first")
        #expect(answer.body == Array("ok".utf8))
    }

    @Test("headers go out and come back")
    func headersRoundTrip() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 200, headers: [("X-Answer", "42")]) }) { server in
            let response = try await client.execute(
                HTTPRequest(url: "http://127.0.0.1:\(server.port)/", headers: ["Authorization": "ApiKey abc", "User-Agent": "eapm-test"]))
            #expect(response.headers["x-answer"] == "42")
            let seen = try #require(server.requests.first)
            #expect(seen.header("authorization") == "ApiKey abc")
            #expect(seen.header("user-agent") == "eapm-test")
            #expect(seen.header("expect") == nil)
        }
    }

    @Test("a server that accepts and never answers hits the timeout")
    func hangingServerTimesOut() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .hang }) { server in
            let error = try await #require(throws: TransportError.self) {
                try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/", timeout: .milliseconds(300)))
            }
            #expect(error.code == .timeout)
        }
    }

    @Test("503 twice then 202 is retried to success with growing delays")
    func retriesUnavailableWithBackoff() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, index in .respond(status: index < 2 ? 503 : 202) }) { server in
            let response = try await client.execute(HTTPRequest(
                method: "POST", url: "http://127.0.0.1:\(server.port)/intake/v2/events", body: [1, 2, 3],
                deadline: .after(.seconds(10)),
                retry: RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(20), maxDelay: .seconds(1), jitter: 0.1)))
            #expect(response.status == 202)
            #expect(response.attempts == 3)
            #expect(server.requests.count == 3)
            #expect(server.requests.allSatisfy { $0.body == [1, 2, 3] })
            #expect(response.retryDelays.count == 2)
            #expect(response.retryDelays[1] > response.retryDelays[0])
        }
    }

    @Test("Retry-After is honoured over the backoff")
    func honoursRetryAfter() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, index in
            index == 0 ? .respond(status: 429, headers: [("Retry-After", "1")]) : .respond(status: 202)
        }) { server in
            let response = try await client.execute(HTTPRequest(
                url: "http://127.0.0.1:\(server.port)/", deadline: .after(.seconds(10)),
                retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(10))))
            #expect(response.status == 202)
            #expect(response.retryDelays.first.map { $0 >= .milliseconds(990) } == true)
        }
    }

    @Test("no retry starts past the deadline: the last answer stands")
    func deadlineBoundsRetries() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 503) }) { server in
            let response = try await client.execute(HTTPRequest(
                url: "http://127.0.0.1:\(server.port)/", deadline: .after(.milliseconds(500)),
                retry: RetryPolicy(maxAttempts: 10, initialDelay: .seconds(2))))
            #expect(response.status == 503)
            #expect(response.attempts == 1)
        }
    }

    @Test("a refused connection is retried, then reported as a connect error")
    func refusedConnectionFails() async throws {
        // Bind and close a server to get a port nothing listens on.
        let port = try await TestHTTPServer.with(behaviour: { _, _ in .close }) { $0.port }
        let client = try HTTPClient()
        let error = try await #require(throws: TransportError.self) {
            try await client.execute(HTTPRequest(
                url: "http://127.0.0.1:\(port)/", deadline: .after(.seconds(5)),
                retry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(5))))
        }
        #expect(error.code == .connect)
        #expect(error.code.isNetwork)
    }

    @Test("a connection closed without an answer is a receive error")
    func closedWithoutAnswer() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .close }) { server in
            let error = try await #require(throws: TransportError.self) {
                try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/"))
            }
            #expect(error.code == .receive)
        }
    }

    @Test("a response over the cap fails with tooLarge")
    func responseCap() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 200, body: [UInt8](repeating: 65, count: 100_000)) }) { server in
            let error = try await #require(throws: TransportError.self) {
                try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/", maxResponseBytes: 1000))
            }
            #expect(error.code == .tooLarge)
        }
    }

    @Test("malformed URLs and header injection are rejected before anything is sent")
    func badInputIsRejected() async throws {
        let client = try HTTPClient()
        let badURL = try await #require(throws: TransportError.self) {
            try await client.execute(HTTPRequest(url: "ftp://127.0.0.1/file"))
        }
        #expect(badURL.code == .badURL || badURL.code == .curl)
        let injected = try await #require(throws: TransportError.self) {
            try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/", headers: ["X-Evil": "a\r\nInjected: yes"]))
        }
        #expect(injected.code == .usage)
    }

    @Test("a SigV4-signed request carries a well-formed Authorization and x-amz-date")
    func signsWithSigV4() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 200, body: Array("{}".utf8)) }) { server in
            let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI-K7MDENG", sessionToken: "session-token")
            _ = try await client.execute(HTTPRequest(
                method: "POST", url: "http://127.0.0.1:\(server.port)/",
                headers: ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"],
                body: Array(#"{"SecretId":"apm"}"#.utf8),
                awsSigning: AWSSigning(credentials: credentials, region: "eu-west-1", service: "secretsmanager")))
            let request = try #require(server.requests.first)
            let authorization = try #require(request.header("authorization"))
            let pattern = #/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/eu-west-1/secretsmanager/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/#
            let match = try #require(authorization.wholeMatch(of: pattern))
            #expect(match.1.split(separator: ";").contains("x-amz-date"))
            #expect(match.1.split(separator: ";").contains("host"))
            #expect(request.header("x-amz-date")?.wholeMatch(of: #/\d{8}T\d{6}Z/#) != nil)
            #expect(request.header("x-amz-security-token") == "session-token")
            #expect(!authorization.contains("wJalrXUtnFEMI"))
            #expect(!match.1.split(separator: ";").contains("expect"), "a signed header that is never sent breaks the signature")
        }
    }
}
