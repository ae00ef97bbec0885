import JSON
@testable import LambdaSim
import Testing
import Transport

@Suite("Extensions API")
struct ExtensionsAPITests {
    @Test func registerAnswersIdentifierAndFunctionInfo() async throws {
        let platform = try await PlatformHarness.start()
        let response = try await platform.request(
            "POST", "/2020-01-01/extension/register", headers: [("Lambda-Extension-Name", "my-ext")],
            body: #"{"events":["INVOKE","SHUTDOWN"]}"#)
        await platform.stop()

        #expect(response.status == 200)
        let identifier = try #require(response.headers["Lambda-Extension-Identifier"])
        #expect(identifier.count == 36 && identifier.split(separator: "-").count == 5)
        let body = try parseJSON(response.body)
        #expect(body["functionName"]?.stringValue == "harness")
        #expect(body["functionVersion"]?.stringValue == "$LATEST")
        #expect(body["handler"]?.stringValue != nil)
        #expect(await platform.state.registration?.name == "my-ext")
    }

    @Test func registerWithoutNameIsRefused() async throws {
        let platform = try await PlatformHarness.start()
        let response = try await platform.request("POST", "/2020-01-01/extension/register", body: "{}")
        await platform.stop()
        #expect(response.status == 400)
    }

    @Test(arguments: [nil, "not-the-identifier"])
    func wrongOrMissingIdentifierIsForbidden(identifier: String?) async throws {
        let platform = try await PlatformHarness.start()
        _ = try await platform.register()
        let next = try await platform.request("GET", "/2020-01-01/extension/event/next", identifier: identifier)
        let exitError = try await platform.request("POST", "/2020-01-01/extension/exit/error", identifier: identifier)
        let subscribe = try await platform.request("PUT", "/2022-07-01/telemetry", identifier: identifier, body: "{}")
        var refused = [next, exitError, subscribe]
        // An init error may come from an extension that never registered: only a wrong identifier is refused.
        let initError = try await platform.request("POST", "/2020-01-01/extension/init/error", identifier: identifier)
        if identifier != nil { refused.append(initError) }
        await platform.stop()

        for response in refused {
            #expect(response.status == 403)
            let body = try parseJSON(response.body)
            #expect(body["errorType"]?.stringValue == "Extension.InvalidIdentifier")
            #expect(body["errorMessage"]?.stringValue != nil)
        }
        #expect(await platform.state.nextCallCount == 0)
        #expect(await platform.state.exitErrors.isEmpty)
        #expect(await platform.state.initErrors.count == (identifier == nil ? 1 : 0))
    }

    @Test func initErrorWithoutIdentifierIsRecorded() async throws {
        let platform = try await PlatformHarness.start()
        let response = try await platform.request(
            "POST", "/2020-01-01/extension/init/error", headers: [("Lambda-Extension-Function-Error-Type", "Extension.RegistrationFailed")],
            body: #"{"errorMessage":"register answered 500","errorType":"Extension.RegistrationFailed"}"#)
        await platform.stop()
        #expect(response.status == 202)
        let recorded = try #require(await platform.state.initErrors.first)
        #expect(recorded.type == "Extension.RegistrationFailed")
        #expect(recorded.identifier == nil)
        #expect(recorded.body.contains("register answered 500"))
    }

    @Test func nextLongPollsUntilInvokeThenShutdown() async throws {
        let platform = try await PlatformHarness.start()
        let identifier = try await platform.register()

        async let first = platform.request("GET", "/2020-01-01/extension/event/next", identifier: identifier)
        // The call is recorded when it arrives; only then is the event delivered.
        let calledAt = await platform.state.nextCallEvent(number: 1).wait(timeoutMs: 10_000)
        #expect(calledAt != nil)
        await platform.state.deliver(.invoke(
            requestID: "req-1", deadlineMs: 1_800_000_000_000, functionARN: "arn:aws:lambda:us-east-1:123456789012:function:harness",
            traceID: "Root=1-5e1a0000-000000000000000000000001;Sampled=1"))
        let invoke = try parseJSON(try await first.body)
        #expect(invoke["eventType"]?.stringValue == "INVOKE")
        #expect(invoke["requestId"]?.stringValue == "req-1")
        #expect(invoke["deadlineMs"]?.int64Value == 1_800_000_000_000)
        #expect(invoke["invokedFunctionArn"]?.stringValue == "arn:aws:lambda:us-east-1:123456789012:function:harness")
        #expect(invoke["tracing"]?["type"]?.stringValue == "X-Amzn-Trace-Id")
        #expect(invoke["tracing"]?["value"]?.stringValue?.hasPrefix("Root=") == true)

        // An event delivered before the call is queued for it.
        await platform.state.deliver(.shutdown(reason: .spindown, deadlineMs: 1_800_000_002_000))
        let shutdown = try parseJSON(try await platform.request(
            "GET", "/2020-01-01/extension/event/next", identifier: identifier).body)
        #expect(shutdown["eventType"]?.stringValue == "SHUTDOWN")
        #expect(shutdown["shutdownReason"]?.stringValue == "spindown")
        #expect(shutdown["deadlineMs"]?.int64Value == 1_800_000_002_000)
        #expect(await platform.state.nextCallCount == 2)
        await platform.stop()
    }

    @Test func initAndExitErrorsAreRecorded() async throws {
        let platform = try await PlatformHarness.start()
        let identifier = try await platform.register()
        let initError = try await platform.request(
            "POST", "/2020-01-01/extension/init/error", identifier: identifier,
            headers: [("Lambda-Extension-Function-Error-Type", "Extension.ConfigError")], body: #"{"errorMessage":"bad"}"#)
        let exitError = try await platform.request(
            "POST", "/2020-01-01/extension/exit/error", identifier: identifier,
            headers: [("Lambda-Extension-Function-Error-Type", "Extension.Crash")], body: "boom")
        await platform.stop()

        #expect(initError.status == 202)
        #expect(exitError.status == 202)
        let initErrors = await platform.state.initErrors
        let exitErrors = await platform.state.exitErrors
        #expect(initErrors.map(\.type) == ["Extension.ConfigError"])
        #expect(initErrors.map(\.body) == [#"{"errorMessage":"bad"}"#])
        #expect(exitErrors.map(\.type) == ["Extension.Crash"])
        #expect(exitErrors.map(\.body) == ["boom"])
    }

    @Test func abandoningAnswersWaitersWithNil() async throws {
        let platform = try await PlatformHarness.start()
        let waiting = await platform.state.nextCallEvent(number: 3)
        await platform.state.abandon()
        #expect(await waiting.wait(timeoutMs: nil) == nil)
        #expect(await platform.state.registered.wait(timeoutMs: nil) == nil)
        await platform.stop()
    }
}

/// The platform as Lambda Managed Instances answer extensions (AWS's runtime interface emulator).
@Suite("Extensions API, Managed Instances")
struct ManagedInstancesAPITests {
    @Test("INVOKE is refused with 403 Extension.InvalidEventType; SHUTDOWN alone registers")
    func registration() async throws {
        let platform = try await PlatformHarness.start(managedInstances: true)
        let refused = try await platform.request(
            "POST", "/2020-01-01/extension/register", headers: [("Lambda-Extension-Name", "ext")],
            body: #"{"events":["INVOKE","SHUTDOWN"]}"#)
        let identifier = try await platform.register(name: "ext", events: #"["SHUTDOWN"]"#)
        await platform.stop()
        #expect(refused.status == 403)
        #expect(try parseJSON(refused.body)["errorType"]?.stringValue == "Extension.InvalidEventType")
        #expect(!identifier.isEmpty)
        #expect(await platform.state.registration?.identifier == identifier)
    }

    @Test("telemetry: 2025-01-29 and sandbox.localdomain only, once; the Logs API does not exist")
    func telemetryContract() async throws {
        let platform = try await PlatformHarness.start(managedInstances: true)
        let identifier = try await platform.register(events: #"["SHUTDOWN"]"#)
        func subscribe(_ path: String, _ body: String) async throws -> HTTPResponse {
            try await platform.request("PUT", path, identifier: identifier, body: body)
        }
        let oldSchema = try await subscribe("/2022-07-01/telemetry", platform.subscriptionBody(uri: "http://sandbox.localdomain:4243"))
        let address = try await subscribe(
            "/2022-07-01/telemetry", platform.subscriptionBody(schema: "2025-01-29", uri: "http://127.0.0.1:4243"))
        let logs = try await subscribe("/2020-08-15/logs", platform.subscriptionBody(schema: "2021-03-18", uri: "http://sandbox.localdomain:4243"))
        let subscribed = try await subscribe(
            "/2022-07-01/telemetry", platform.subscriptionBody(schema: "2025-01-29", uri: "http://sandbox.localdomain:4243"))
        let again = try await subscribe(
            "/2022-07-01/telemetry", platform.subscriptionBody(schema: "2025-01-29", uri: "http://sandbox.localdomain:4243"))
        await platform.stop()

        #expect(oldSchema.status == 400)
        #expect(try parseJSON(oldSchema.body)["errorType"]?.stringValue == "ValidationError")
        #expect(address.status == 400)
        #expect(logs.status == 404)
        #expect(subscribed.status == 200 && subscribed.bodyText == "OK")
        #expect(again.status == 500)
        #expect(await platform.dispatcher.subscription?.schemaVersion == "2025-01-29")
    }
}
