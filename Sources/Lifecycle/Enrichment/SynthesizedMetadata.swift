import JSON

/// A metadata line made from the Lambda environment, for extension-made data (metrics, logs) of
/// functions whose agent never reported: without it their data could not be sent at all.
package enum SynthesizedMetadata {
    package static func line(environment: [String: String], extensionVersion: String) -> [UInt8] {
        let serviceName = environment["ELASTIC_APM_SERVICE_NAME"] ?? environment["AWS_LAMBDA_FUNCTION_NAME"] ?? "unknown-lambda-function"
        var service: JSONObject = [
            "name": .string(String(serviceName.prefix(1024))),
            "agent": .object(["name": .string("apm-aws-lambda"), "version": .string(extensionVersion)]),
        ]
        if let version = environment["AWS_LAMBDA_FUNCTION_VERSION"] { service["version"] = .string(version) }
        if let environmentName = environment["ELASTIC_APM_ENVIRONMENT"] { service["environment"] = .string(environmentName) }
        if let runtime = runtime(executionEnvironment: environment["AWS_EXECUTION_ENV"]) {
            service["runtime"] = .object(["name": .string(runtime.name), "version": .string(runtime.version)])
        }
        var cloud: JSONObject = ["provider": .string("aws"), "service": .object(["name": .string("lambda")])]
        if let region = environment["AWS_REGION"] { cloud["region"] = .string(region) }
        return JSONValue.object(["metadata": .object(["service": .object(service), "cloud": .object(cloud)])]).serializedBytes
    }

    /// `AWS_Lambda_nodejs20.x` → ("nodejs", "20.x"); `AWS_Lambda_python3.12` → ("python", "3.12").
    static func runtime(executionEnvironment: String?) -> (name: String, version: String)? {
        guard let value = executionEnvironment else { return nil }
        let runtime = value.hasPrefix("AWS_Lambda_") ? String(value.dropFirst("AWS_Lambda_".count)) : value
        guard let firstDigit = runtime.firstIndex(where: \.isNumber) else { return (runtime, "unknown") }
        let name = String(runtime[..<firstDigit])
        return (name.isEmpty ? runtime : name, String(runtime[firstDigit...]))
    }
}
