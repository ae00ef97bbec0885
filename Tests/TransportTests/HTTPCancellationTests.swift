import Synchronization
import Testing
import Transport

/// Cancellation and dropping connections, against real loopback servers. The tests wait for what
/// the server sees, never for a time; timeouts (10 s) and the time limit only end a broken run.
@Suite("HTTP client: cancellation and dropped connections", .timeLimit(.minutes(1)))
struct HTTPCancellationTests {
    @Test("cancelling a request the server never answers resumes the caller with .cancelled and closes the connection")
    func cancelInFlight() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .hang }) { server in
            let request = Task {
                try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/", timeout: .seconds(10)))
            }
            await server.waitUntil { $0.requests.count == 1 }
            request.cancel()
            let error = try await #require(throws: TransportError.self) { try await request.value }
            #expect(error.code == .cancelled)
            await server.waitUntil { $0.closedConnections == 1 }
        }
    }

    @Test("a task cancelled before its request starts sends nothing")
    func cancelledBeforeStart() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 200) }) { server in
            let request = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/"))
            }
            let error = try await #require(throws: TransportError.self) { try await request.value }
            #expect(error.code == .cancelled)
            #expect(server.requests.isEmpty)
        }
    }

    @Test("cancelling during the wait between attempts stops at once, without another attempt")
    func cancelBetweenAttempts() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 503) }) { server in
            // The schedule draws the jitter once the first attempt has failed, just before the wait.
            let (decided, decision) = AsyncStream.makeStream(of: Void.self)
            let request = Task {
                return try await client.execute(
                    HTTPRequest(
                        url: "http://127.0.0.1:\(server.port)/",
                        retry: RetryPolicy(maxAttempts: 2, initialDelay: .seconds(10), maxDelay: .seconds(10))),
                    jitter: {
                        decision.yield()
                        return 0.5
                    })
            }
            for await _ in decided { break }
            request.cancel()
            let error = try await #require(throws: TransportError.self) { try await request.value }
            #expect(error.code == .cancelled)
            #expect(error.message == "cancelled while waiting to retry", "stopped in the wait, not at the next attempt")
            #expect(server.requests.count == 1)
        }
    }

    @Test("after dropConnections the next request connects anew; the pool works on")
    func dropConnectionsReconnects() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, _ in .respond(status: 200) }) { server in
            let url = "http://127.0.0.1:\(server.port)/"
            _ = try await client.execute(HTTPRequest(url: url))
            #expect(try await client.execute(HTTPRequest(url: url)).timings.reusedConnection)
            #expect(server.connectionCount == 1)
            client.dropConnections()
            let afterDrop = try await client.execute(HTTPRequest(url: url))
            #expect(!afterDrop.timings.reusedConnection)
            #expect(server.connectionCount == 2)
            await server.waitUntil { $0.closedConnections == 1 }
            #expect(try await client.execute(HTTPRequest(url: url)).timings.reusedConnection)
            #expect(server.connectionCount == 2)
            #expect(client.curlHandlesMade == 1, "curl handles outlive the pool they ran on")
        }
    }

    @Test("a request in flight when connections are dropped completes; the next one connects anew")
    func dropConnectionsWaitsForRequestsInFlight() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { request, _ in
            request.uri == "/held" ? .deferred(status: 202) : .respond(status: 200)
        }) { server in
            let url = "http://127.0.0.1:\(server.port)"
            let held = Task { try await client.execute(HTTPRequest(url: url + "/held", timeout: .seconds(30))) }
            await server.waitUntil { $0.requests.count == 1 }
            client.dropConnections()
            let next = Task { try await client.execute(HTTPRequest(url: url + "/next")) }
            server.releaseDeferred()
            #expect(try await held.value.status == 202)
            let response = try await next.value
            #expect(response.status == 200)
            #expect(!response.timings.reusedConnection)
            #expect(server.connectionCount == 2)
            await server.waitUntil { $0.closedConnections == 1 }
        }
    }
}

