import HTTPServer
import JSON

/// Answers the Extensions, Telemetry and Logs APIs the way Lambda does, on behalf of the one
/// extension the simulator runs.
struct ExtensionsAPIRouter: Sendable {
    let state: ExtensionsAPIState
    let dispatcher: TelemetryDispatcher
    let functionName: String
    let telemetry: TelemetryAvailability
    let refusal: SubscriptionRefusal
    var registrationFailure: RegistrationFailure? = nil
    /// Answer as Lambda Managed Instances do (see `ManagedInstances`).
    var managedInstances = false

    enum Paths {
        static let register = "/2020-01-01/extension/register"
        static let next = "/2020-01-01/extension/event/next"
        static let initError = "/2020-01-01/extension/init/error"
        static let exitError = "/2020-01-01/extension/exit/error"
        static let telemetry = "/2022-07-01/telemetry"
        static let logs = "/2020-08-15/logs"
    }

    enum Headers {
        static let name = "lambda-extension-name"
        static let identifier = "lambda-extension-identifier"
        static let errorType = "lambda-extension-function-error-type"
    }

    func handle(_ request: ServerRequest) async -> ServerAction {
        switch (request.method, request.path) {
        case ("POST", Paths.register):
            return await register(request)
        case ("GET", Paths.next):
            guard await state.isValid(identifier: request.headers[Headers.identifier]) else { return .respond(Self.invalidIdentifier) }
            guard let event = await state.next() else { return .close }
            if case .failure(let status) = event { return .respond(.json(status, event.json)) }
            return .respond(.json(200, event.json, headers: ["Lambda-Extension-Event-Identifier": "0"]))
        case ("POST", Paths.initError), ("POST", Paths.exitError):
            // An init error may come without an identifier: from an extension whose registration failed.
            let identifier = request.headers[Headers.identifier]
            let unidentifiedInitError = request.path == Paths.initError && identifier == nil
            let known = await state.isValid(identifier: identifier)
            guard unidentifiedInitError || known else { return .respond(Self.invalidIdentifier) }
            await state.recordError(
                initPhase: request.path == Paths.initError, type: request.headers[Headers.errorType], identifier: identifier,
                body: String(decoding: request.body, as: UTF8.self))
            return .respond(.json(202, #"{"status":"OK"}"#))
        case ("PUT", Paths.telemetry):
            return await subscribe(request, api: .telemetry)
        case ("PUT", Paths.logs):
            return await subscribe(request, api: .logs)
        default:
            return .respond(.json(404, #"{"errorMessage":"Not found","errorType":"InvalidRequest"}"#))
        }
    }

    private func register(_ request: ServerRequest) async -> ServerAction {
        guard let name = request.headers[Headers.name], !name.isEmpty else {
            return .respond(.json(
                400, #"{"errorMessage":"missing Lambda-Extension-Name header","errorType":"InvalidRequest"}"#))
        }
        if let registrationFailure {
            await state.registrationFailed()
            switch registrationFailure {
            case .serverError:
                return .respond(.json(500, #"{"errorMessage":"internal error","errorType":"ServerError"}"#))
            case .forbidden:
                return .respond(.json(403, #"{"errorMessage":"extension not allowed","errorType":"Extension.AccessDenied"}"#))
            case .reset: return .close
            case .noAnswer: return .ignore
            }
        }
        if managedInstances, String(decoding: request.body, as: UTF8.self).contains("INVOKE") {
            return .respond(.json(403, #"{"errorMessage":"INVOKE: ErrorInvalidEventType","errorType":"Extension.InvalidEventType"}"#))
        }
        let registration = await state.register(name: name)
        var writer = JSONWriter()
        writer.write(.object([
            "functionName": .string(functionName), "functionVersion": .string("$LATEST"),
            "handler": .string("index.handler"),
        ]))
        return .respond(.json(200, writer.text, headers: ["Lambda-Extension-Identifier": registration.identifier]))
    }

    private func subscribe(_ request: ServerRequest, api: TelemetryAPI) async -> ServerAction {
        guard await state.isValid(identifier: request.headers[Headers.identifier]) else { return .respond(Self.invalidIdentifier) }
        if managedInstances {
            guard api == .telemetry else { return .respond(.json(404, #"{"errorMessage":"Not found","errorType":"InvalidRequest"}"#)) }
            if await dispatcher.subscription != nil {
                return .respond(.json(500, #"{"errorMessage":"already subscribed","errorType":"Telemetry.SubscriptionFailed"}"#))
            }
        }
        let offered: Bool
        switch telemetry {
        case .telemetry: offered = true
        case .logsOnly: offered = api == .logs
        case .none: offered = false
        case .notAvailable:
            // What the runtime interface emulator answers: accepted, and nothing will ever come.
            return .respond(.json(202, #"{"errorMessage":"Telemetry API is not supported","errorType":"Telemetry.NotSupported"}"#))
        }
        guard offered else {
            switch refusal {
            case .notFound: return .respond(.json(404, #"{"errorMessage":"Not found","errorType":"InvalidRequest"}"#))
            case .badRequest:
                return .respond(.json(400, #"{"errorMessage":"unsupported schema version","errorType":"ValidationError"}"#))
            case .reset: return .close
            }
        }
        switch TelemetrySubscription.parse(request.body, api: api, managedInstances: managedInstances) {
        case .success(let subscription):
            await dispatcher.subscribe(subscription)
            return .respond(ServerResponse(status: 200, headers: ["content-type": "text/plain"], body: Array("OK".utf8)))
        case .failure(let rejection):
            var writer = JSONWriter()
            writer.write(.object(["errorMessage": .string(rejection.message), "errorType": .string("ValidationError")]))
            return .respond(.json(400, writer.text))
        }
    }

    static let invalidIdentifier = ServerResponse.json(
        403, #"{"errorMessage":"Invalid or missing Lambda-Extension-Identifier","errorType":"Extension.InvalidIdentifier"}"#)
}
