import Testing
import Transport

/// A prepared request sent by the transport thread as the follow-up of another's 2xx answer
/// (`HTTPClient.execute(_:then:)`), against real loopback servers. The tests wait for what the
/// server sees, never for a time.
@Suite("HTTP client: follow-up requests", .timeLimit(.minutes(1)))
struct HTTPFollowUpTests {
    /// `/batch` answers as `batchStatus`; `/next` as `next` says (held, like `/event/next`, by default).
    static func behaviour(batchStatus: Int, next: TestHTTPServer.Reply = .deferred(status: 200)) -> TestHTTPServer.Behaviour {
        { request, _ in request.uri == "/batch" ? .respond(status: batchStatus) : next }
    }

    static func nextRequests(_ server: TestHTTPServer) -> Int {
        server.requests.count { $0.uri == "/next" }
    }

    @Test("a 2xx answer sends the follow-up before its caller resumes; executing it then waits for that attempt")
    func sentOnAcceptance() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: Self.behaviour(batchStatus: 202)) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let next = try client.prepare(HTTPRequest(url: base + "/next"))
            #expect(!next.isUnderWay)
            let batch = try await client.execute(HTTPRequest(method: "POST", url: base + "/batch", body: [1]), then: next)
            #expect(batch.status == 202)
            #expect(next.isUnderWay, "sent by the transport thread, not by this task")
            await server.waitUntil { $0.requests.contains { $0.uri == "/next" } }
            let answer = Task { try await client.execute(next) }
            server.releaseDeferred()
            #expect(try await answer.value.status == 200)
            #expect(Self.nextRequests(server) == 1, "sent once")
        }
    }

    @Test("a follow-up answered before its caller executes it returns that answer, without sending it again")
    func answeredBeforeExecuted() async throws {
        let client = try HTTPClient()
        let behaviour = Self.behaviour(batchStatus: 200, next: .respond(status: 200, body: Array("INVOKE".utf8)))
        try await TestHTTPServer.with(behaviour: behaviour) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let next = try client.prepare(HTTPRequest(url: base + "/next"))
            _ = try await client.execute(HTTPRequest(method: "POST", url: base + "/batch", body: [1]), then: next)
            await server.waitUntil { $0.requests.contains { $0.uri == "/next" } }
            let answer = try await client.execute(next)
            #expect(answer.status == 200)
            #expect(answer.body == Array("INVOKE".utf8))
            #expect(Self.nextRequests(server) == 1)
        }
    }

    /// A follow-up can end in the perform that starts it (here: a scheme the client refuses). The
    /// loop must hand it back at once, not after its next poll: were that a second each time (the
    /// poll's bound), these rounds would outlast the suite's time limit.
    @Test("a follow-up that ends as soon as it starts is handed back at once, round after round")
    func endsWhereItStarts() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: Self.behaviour(batchStatus: 202)) { server in
            let base = "http://127.0.0.1:\(server.port)"
            for _ in 0..<100 {
                let next = try client.prepare(HTTPRequest(url: "ftp://127.0.0.1:\(server.port)/next"))
                _ = try await client.execute(HTTPRequest(method: "POST", url: base + "/batch", body: [1]), then: next)
                #expect(next.isUnderWay)
                let error = try await #require(throws: TransportError.self) { try await client.execute(next) }
                #expect(error.code == .badURL)
            }
            #expect(server.requests.count == 100, "only the batches reached the server")
        }
    }

    @Test("a failed answer leaves the follow-up to its caller", arguments: [503, 429, 400])
    func notSentOnFailure(status: Int) async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: Self.behaviour(batchStatus: status, next: .respond(status: 200))) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let next = try client.prepare(HTTPRequest(url: base + "/next"))
            let batch = try await client.execute(HTTPRequest(method: "POST", url: base + "/batch", body: [1]), then: next)
            #expect(batch.status == status)
            #expect(!next.isUnderWay)
            #expect(Self.nextRequests(server) == 0)
            #expect(try await client.execute(next).status == 200)
            #expect(Self.nextRequests(server) == 1)
        }
    }

    @Test("no answer at all leaves the follow-up to its caller")
    func notSentWithoutAnswer() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { request, _ in request.uri == "/batch" ? .close : .respond(status: 200) }) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let next = try client.prepare(HTTPRequest(url: base + "/next"))
            await #expect(throws: TransportError.self) {
                try await client.execute(HTTPRequest(method: "POST", url: base + "/batch", body: [1]), then: next)
            }
            #expect(!next.isUnderWay)
            #expect(try await client.execute(next).status == 200)
            #expect(Self.nextRequests(server) == 1)
        }
    }

    @Test("another client's prepared request is not sent as a follow-up")
    func otherClientIgnored() async throws {
        let client = try HTTPClient()
        let other = try HTTPClient()
        try await TestHTTPServer.with(behaviour: Self.behaviour(batchStatus: 202, next: .respond(status: 200))) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let next = try other.prepare(HTTPRequest(url: base + "/next"))
            _ = try await client.execute(HTTPRequest(method: "POST", url: base + "/batch", body: [1]), then: next)
            #expect(!next.isUnderWay)
            #expect(try await other.execute(next).status == 200)
            #expect(Self.nextRequests(server) == 1)
        }
    }

    @Test("cancelling the task waiting for a follow-up under way ends it with .cancelled")
    func cancelWhileUnderWay() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: Self.behaviour(batchStatus: 202, next: .hang)) { server in
            let base = "http://127.0.0.1:\(server.port)"
            let next = try client.prepare(HTTPRequest(url: base + "/next"))
            _ = try await client.execute(HTTPRequest(method: "POST", url: base + "/batch", body: [1]), then: next)
            await server.waitUntil { $0.requests.contains { $0.uri == "/next" } }
            let waiting = Task { try await client.execute(next) }
            waiting.cancel()
            let error = try await #require(throws: TransportError.self) { try await waiting.value }
            #expect(error.code == .cancelled)
            await server.waitUntil { $0.closedConnections == 1 }
        }
    }
}
