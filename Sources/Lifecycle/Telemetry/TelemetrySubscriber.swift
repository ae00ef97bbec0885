import JSON
package import Logging
package import Transport

/// Subscribes the listener to the Telemetry API, falling back to the Logs API when Lambda refuses
/// the former. A failed subscription is a warning: the extension works without telemetry.
package struct TelemetrySubscriber: Sendable {
    package enum Outcome: String, Sendable {
        case telemetry, logs
        /// 202: accepted, but this platform has no telemetry (local emulators).
        case notAvailable
        case failed
    }

    private let runtimeAPI: String
    private let http: HTTPClient
    private let logger: Logger

    package init(runtimeAPI: String, http: HTTPClient, logger: Logger) {
        self.runtimeAPI = runtimeAPI
        self.http = http
        self.logger = logger
    }

    /// Schema versions to try in order: a 400 means an older Lambda, which gets the next one.
    package static let schemas = ["2022-12-13", "2022-07-01"]
    /// What Lambda Managed Instances accept (and only this one): events without runtimeDone, a leaner report.
    package static let managedInstancesSchemas = ["2025-01-29"]

    /// - Parameters:
    ///   - destination: the listener's URI, `http://sandbox.localdomain:<port>` in Lambda.
    ///   - functionLogs: subscribe to the function's logs too.
    ///   - schemas: the Telemetry API schema versions to try, in order.
    package func subscribe(identifier: String, destination: String, functionLogs: Bool, schemas: [String] = Self.schemas) async -> Outcome {
        let types: [JSONValue] = functionLogs ? [.string("platform"), .string("function")] : [.string("platform")]
        for schema in schemas {
            switch await put(path: "/2022-07-01/telemetry", identifier: identifier, schema: schema, types: types, destination: destination) {
            case 200?:
                logger.info("subscribed to the Telemetry API", metadata: ["schema": "\(schema)"])
                return .telemetry
            case 202?:
                logger.warning("the Telemetry API is not available here: no platform metrics, logs or runtimeDone")
                return .notAvailable
            case 400?:
                continue // an older Lambda: try the previous schema
            default:
                break
            }
            break
        }
        switch await put(path: "/2020-08-15/logs", identifier: identifier, schema: "2021-03-18", types: types, destination: destination) {
        case 200?:
            logger.info("subscribed to the Logs API (Telemetry API refused)")
            return .logs
        case 202?:
            logger.warning("the Logs API is not available here: no platform metrics, logs or runtimeDone")
            return .notAvailable
        case let status:
            logger.warning(
                "telemetry subscription failed: continuing without platform metrics and logs",
                metadata: ["status": "\(status.map(String.init) ?? "no answer")"])
            return .failed
        }
    }

    private func put(path: String, identifier: String, schema: String, types: [JSONValue], destination: String) async -> Int? {
        let body: JSONBody = [
            "schemaVersion": .string(schema),
            "types": .array(types),
            "buffering": .object(["maxItems": .number(1000), "maxBytes": .number(262_144), "timeoutMs": .number(25)]),
            "destination": .object(["protocol": .string("HTTP"), "URI": .string(destination)]),
        ]
        let request = HTTPRequest(
            method: "PUT", url: "http://\(runtimeAPI)\(path)",
            headers: [ExtensionsAPIClient.Header.identifier: identifier, "Content-Type": "application/json"],
            body: body.bytes, timeout: .seconds(2))
        do {
            let response = try await http.execute(request)
            if response.status != 200 && response.status != 202 {
                logger.debug("subscription refused", metadata: ["path": "\(path)", "status": "\(response.status)", "body": "\(response.bodyText.prefix(300))"])
            }
            return response.status
        } catch {
            logger.debug("subscription failed", metadata: ["path": "\(path)", "error": "\(error)"])
            return nil
        }
    }
}
