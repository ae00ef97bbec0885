import HTTPServer
import JSON
@testable import LambdaSim
import Testing
import Transport

@Suite("Telemetry and Logs APIs")
struct TelemetryAPITests {
    @Test func subscriberGetsEarlierEventsThenLaterOnesInBatches() async throws {
        let platform = try await PlatformHarness.start()
        let listener = try await TelemetryCollector()
        let identifier = try await platform.register()
        // Lambda keeps what happened before the subscription.
        await platform.dispatcher.emit(platform.events.initStart())
        let response = try await platform.request(
            "PUT", "/2022-07-01/telemetry", identifier: identifier, body: platform.subscriptionBody(uri: listener.uri))
        #expect(response.status == 200)

        await platform.dispatcher.emit(platform.events.start(requestID: "req-1"))
        await platform.dispatcher.emit(platform.events.function(.text("hello")))
        await platform.dispatcher.emit(platform.events.function(.json(.object(["message": .string("structured")]))))
        await platform.dispatcher.emit(platform.events.runtimeDone(requestID: "req-1", status: "success", durationMs: 12.5, producedBytes: 4))
        await platform.dispatcher.emit(platform.events.report(requestID: "req-1", status: "success", durationMs: 12.5, coldStart: true))
        let events = await listener.collect { $0.count >= 6 }
        await platform.stop()
        await listener.stop()

        #expect(events.map { $0.type ?? "" } == [
            "platform.initStart", "platform.start", "function", "function", "platform.runtimeDone", "platform.report",
        ])
        #expect(events.allSatisfy { $0["time"]?.stringValue?.hasSuffix("Z") == true })
        #expect(events[1]["record"]?["requestId"]?.stringValue == "req-1")
        #expect(events[1]["record"]?["version"]?.stringValue == "$LATEST")
        #expect(events[2]["record"]?.stringValue == "hello")
        #expect(events[3]["record"]?["message"]?.stringValue == "structured")
        let runtimeDone = try #require(events[4]["record"])
        #expect(runtimeDone["status"]?.stringValue == "success")
        #expect(runtimeDone["metrics"]?["durationMs"]?.doubleValue == 12.5)
        #expect(runtimeDone["metrics"]?["producedBytes"]?.doubleValue == 4)
        let metrics = try #require(events[5]["record"]?["metrics"])
        #expect(metrics["billedDurationMs"]?.doubleValue == 13)
        #expect(metrics["memorySizeMB"]?.doubleValue == 128)
        #expect(metrics["maxMemoryUsedMB"]?.doubleValue != nil)
        #expect(metrics["initDurationMs"]?.doubleValue == 150)
        #expect(events[5]["record"]?["status"]?.stringValue == "success")
        #expect(await platform.dispatcher.subscription?.api == .telemetry)
    }

    @Test func onlySubscribedTypesAreSent() async throws {
        let platform = try await PlatformHarness.start()
        let listener = try await TelemetryCollector()
        let identifier = try await platform.register()
        _ = try await platform.request(
            "PUT", "/2022-07-01/telemetry", identifier: identifier,
            body: platform.subscriptionBody(types: ["platform"], uri: listener.uri))
        await platform.dispatcher.emit(platform.events.function(.text("not wanted")))
        await platform.dispatcher.emit(platform.events.start(requestID: "req-1"))
        let events = await listener.collect { $0.count >= 1 }
        await platform.dispatcher.drain()
        await platform.stop()
        await listener.stop()

        #expect(events.map { $0.type ?? "" } == ["platform.start"])
        #expect(await platform.dispatcher.deliveries.flatMap(\.types) == ["platform.start"])
    }

    @Test func aFullBufferIsSentWithoutWaitingForTheTimeout() async throws {
        let platform = try await PlatformHarness.start()
        let listener = try await TelemetryCollector()
        let identifier = try await platform.register()
        // 30 s timeout: only maxItems can make this batch go.
        _ = try await platform.request(
            "PUT", "/2022-07-01/telemetry", identifier: identifier,
            body: platform.subscriptionBody(maxItems: 1000, timeoutMs: 30000, uri: listener.uri))
        for number in 0..<1000 { await platform.dispatcher.emit(platform.events.function(.text("line \(number)"))) }
        let events = await listener.collect { $0.count >= 1000 }
        await platform.stop()
        await listener.stop()
        #expect(events.count == 1000)
        #expect(events.last?["record"]?.stringValue == "line 999")
    }

    /// An event that arrives while a batch is being delivered waits the buffering time from its
    /// own arrival, as any batch does: it does not follow the answer at once.
    @Test func eventsArrivingDuringADeliveryWaitTheirOwnTimeout() async throws {
        let platform = try await PlatformHarness.start()
        let firstArrived = OneShotEvent<Void>()
        let answerFirst = OneShotEvent<Void>()
        let secondArrived = OneShotEvent<Void>()
        let listener = try await HTTPServer.start { _ in
            if firstArrived.value == nil {
                firstArrived.fire(())
                _ = await answerFirst.wait(timeoutMs: nil)
            } else {
                secondArrived.fire(())
            }
            return .respond(ServerResponse(status: 200))
        }
        let identifier = try await platform.register()
        _ = try await platform.request(
            "PUT", "/2022-07-01/telemetry", identifier: identifier,
            body: platform.subscriptionBody(timeoutMs: 200, uri: "http://127.0.0.1:\(listener.port)"))
        await platform.dispatcher.emit(platform.events.start(requestID: "req-1"))
        _ = await firstArrived.wait(timeoutMs: nil)
        let emittedAt = platform.clock.elapsedMs()
        await platform.dispatcher.emit(platform.events.runtimeDone(requestID: "req-1", status: "success", durationMs: 1, producedBytes: 0))
        answerFirst.fire(())
        _ = await secondArrived.wait(timeoutMs: nil)
        // The dispatcher records a delivery once it is answered: wait for that, not only for its arrival.
        await platform.dispatcher.drain()
        await platform.stop()
        await listener.stop()

        let deliveries = await platform.dispatcher.deliveries
        #expect(deliveries.map(\.types) == [["platform.start"], ["platform.runtimeDone"]])
        #expect(try #require(deliveries.last).atMs - emittedAt >= 200)
    }

    @Test func logsAPIUsesItsOwnShapes() async throws {
        let platform = try await PlatformHarness.start(telemetry: .logsOnly)
        let listener = try await TelemetryCollector()
        let identifier = try await platform.register()
        let telemetry = try await platform.request(
            "PUT", "/2022-07-01/telemetry", identifier: identifier, body: platform.subscriptionBody(uri: listener.uri))
        #expect(telemetry.status == 404)
        let logs = try await platform.request(
            "PUT", "/2020-08-15/logs", identifier: identifier,
            body: platform.subscriptionBody(schema: "2021-03-18", uri: listener.uri))
        #expect(logs.status == 200)

        await platform.dispatcher.emit(platform.events.initStart())
        await platform.dispatcher.emit(platform.events.start(requestID: "req-1"))
        await platform.dispatcher.emit(platform.events.function(.json(.object(["message": .string("structured")]))))
        await platform.dispatcher.emit(platform.events.runtimeDone(requestID: "req-1", status: "error", durationMs: 3, producedBytes: 0))
        await platform.dispatcher.emit(platform.events.report(requestID: "req-1", status: "error", durationMs: 3, coldStart: false))
        let events = await listener.collect { $0.count >= 4 }
        await platform.stop()
        await listener.stop()

        // No initStart on the Logs API; runtimeDone without metrics; report without status.
        #expect(events.map { $0.type ?? "" } == ["platform.start", "function", "platform.runtimeDone", "platform.report"])
        #expect(events[1]["record"]?.stringValue == #"{"message":"structured"}"#)
        #expect(events[2]["record"]?["status"]?.stringValue == "error")
        #expect(events[2]["record"]?["metrics"] == nil)
        #expect(events[3]["record"]?["status"] == nil)
        #expect(events[3]["record"]?["metrics"]?["initDurationMs"] == nil)
        #expect(await platform.dispatcher.subscription?.api == .logs)
    }

    @Test func notAvailableAnswers202AndSubscribesNothing() async throws {
        let platform = try await PlatformHarness.start(telemetry: .notAvailable)
        let identifier = try await platform.register()
        let telemetry = try await platform.request(
            "PUT", "/2022-07-01/telemetry", identifier: identifier, body: platform.subscriptionBody(uri: "http://127.0.0.1:1"))
        let logs = try await platform.request(
            "PUT", "/2020-08-15/logs", identifier: identifier,
            body: platform.subscriptionBody(schema: "2021-03-18", uri: "http://127.0.0.1:1"))
        await platform.stop()
        #expect(telemetry.status == 202)
        #expect(logs.status == 202)
        #expect(await platform.dispatcher.subscription == nil)
    }

    @Test(arguments: [(SubscriptionRefusal.notFound, 404), (.badRequest, 400)])
    func refusalStatus(refusal: SubscriptionRefusal, status: Int) async throws {
        let platform = try await PlatformHarness.start(telemetry: .none, refusal: refusal)
        let identifier = try await platform.register()
        let response = try await platform.request(
            "PUT", "/2022-07-01/telemetry", identifier: identifier, body: platform.subscriptionBody(uri: "http://127.0.0.1:1"))
        await platform.stop()
        #expect(response.status == status)
    }

    @Test func resetRefusalClosesTheConnection() async throws {
        let platform = try await PlatformHarness.start(telemetry: .logsOnly, refusal: .reset)
        let identifier = try await platform.register()
        await #expect(throws: TransportError.self) {
            _ = try await platform.request(
                "PUT", "/2022-07-01/telemetry", identifier: identifier, body: platform.subscriptionBody(uri: "http://127.0.0.1:1"))
        }
        await platform.stop()
    }

    @Test(arguments: [
        #"{"schemaVersion":"2022-12-13","types":["platform"],"buffering":{"timeoutMs":5},"destination":{"protocol":"HTTP","URI":"http://127.0.0.1:1"}}"#,
        #"{"schemaVersion":"1999-01-01","types":["platform"],"destination":{"protocol":"HTTP","URI":"http://127.0.0.1:1"}}"#,
        #"{"schemaVersion":"2022-12-13","types":["platform"]}"#,
        #"{"schemaVersion":"2022-12-13","types":["nonsense"],"destination":{"protocol":"HTTP","URI":"http://127.0.0.1:1"}}"#,
        "not json",
    ])
    func invalidSubscriptionsAreRejectedWith400(body: String) async throws {
        let platform = try await PlatformHarness.start()
        let identifier = try await platform.register()
        let response = try await platform.request("PUT", "/2022-07-01/telemetry", identifier: identifier, body: body)
        await platform.stop()
        #expect(response.status == 400)
        #expect(try parseJSON(response.body)["errorMessage"]?.stringValue != nil)
        #expect(await platform.dispatcher.subscription == nil)
    }
}
