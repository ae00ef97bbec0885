import ArgumentParser
import Lifecycle
import Transport

/// How to reach APM Server, shared by `send` and `info`. Each option falls back to the variable
/// the extension reads, so a function's configuration can be tried as it is.
struct ConnectionOptions: ParsableArguments {
    /// Options whose values may start with a dash: a PEM starts with `-----BEGIN`, which
    /// ArgumentParser's splitter rejects as a malformed option before any parsing strategy applies.
    static let dashedValueOptions: Set<String> = ["--ca-pem", "--api-key", "--secret-token"]

    /// Rewrites `--ca-pem -----BEGIN…` as `--ca-pem=-----BEGIN…`, which ArgumentParser reads.
    static func joiningDashedValues(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" {
                result += arguments[index...]
                break
            }
            if dashedValueOptions.contains(argument), index + 1 < arguments.endIndex, arguments[index + 1].hasPrefix("-") {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
                continue
            }
            result.append(argument)
            index += 1
        }
        return result
    }

    @Option(name: .long, help: ArgumentHelp(
        "APM Server base URL (default: $\(Configuration.Variable.apmServer)).", valueName: "url"))
    var server: String?

    @Option(name: .customLong("api-key"), help: ArgumentHelp(
        "API key, sent as 'Authorization: ApiKey …' (default: $\(Configuration.Variable.apiKey)); wins over a secret token.",
        valueName: "key"))
    var apiKey: String?

    @Option(name: .customLong("secret-token"), help: ArgumentHelp(
        "Secret token, sent as 'Authorization: Bearer …' (default: $\(Configuration.Variable.secretToken)).", valueName: "token"))
    var secretToken: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp(
        "Extra trusted CA certificates, a PEM file (default: $\(Configuration.Variable.caCertFile)).", valueName: "path"))
    var caFile: String?

    @Option(name: .customLong("ca-pem"), help: ArgumentHelp(
        "Extra trusted CA certificates as PEM text; a literal \\n is a newline (default: $\(Configuration.Variable.caCertPEM)).",
        valueName: "pem"))
    var caPEM: String?

    @Flag(help: "Do not verify the server's certificate (or set $\(Configuration.Variable.verifyServerCert)=false).")
    var insecure = false

    @Option(help: ArgumentHelp("Bound on each attempt: seconds, or 500ms, 30s, 2m.", valueName: "duration"))
    var timeout = TimeoutArgument(.seconds(30))

    @Option(help: "Retries after a connection failure, 429 or 503 (with backoff).")
    var retries = 2

    @Flag(name: .shortAndLong, help: "Print request and response headers (credentials redacted) and curl's timings on stderr.")
    var verbose = false

    func validate() throws {
        guard (0...10).contains(retries) else { throw ValidationError("--retries must be between 0 and 10") }
    }

    /// The settings, options first, then the environment.
    func resolve(_ environment: ProcessEnvironment) throws(UploadFailure) -> UploadSettings {
        guard let rawURL = server ?? environment[Configuration.Variable.apmServer] else {
            throw UploadFailure(.usage, "no APM Server: pass --server or set \(Configuration.Variable.apmServer)")
        }
        let lowered = rawURL.lowercased()
        let scheme = ["http://", "https://"].first { lowered.hasPrefix($0) }
        guard let scheme, rawURL.count > scheme.count else {
            throw UploadFailure(.usage, "the APM Server URL must start with http:// or https://, got \(HeaderRedactor.redact(url: rawURL))")
        }
        var serverURL = rawURL
        while serverURL.hasSuffix("/") { serverURL.removeLast() }

        return UploadSettings(
            serverURL: serverURL, authorization: authorization(environment), tls: try tls(environment),
            timeout: timeout.duration,
            retry: RetryPolicy(maxAttempts: retries + 1, initialDelay: .milliseconds(200), maxDelay: .seconds(5)),
            verbose: verbose)
    }

    /// Credentials given as options replace the environment's entirely, so that an explicit
    /// `--secret-token` is not overruled by an API key in the environment.
    private func authorization(_ environment: ProcessEnvironment) -> APMServerClient.Authorization? {
        let (key, token) =
            apiKey != nil || secretToken != nil
            ? (apiKey, secretToken)
            : (environment[Configuration.Variable.apiKey], environment[Configuration.Variable.secretToken])
        if let key, !key.isEmpty { return .apiKey(key) }
        if let token, !token.isEmpty { return .secretToken(token) }
        return nil
    }

    private func tls(_ environment: ProcessEnvironment) throws(UploadFailure) -> TLSConfiguration {
        var verify = !insecure
        if verify, let value = environment[Configuration.Variable.verifyServerCert] {
            switch value.lowercased() {
            case "true", "1", "yes": verify = true
            case "false", "0", "no": verify = false
            default: throw UploadFailure(.usage, "\(Configuration.Variable.verifyServerCert) must be true or false, got \(value)")
            }
        }
        var pems: [String] = []
        if let path = caFile ?? environment[Configuration.Variable.caCertFile] {
            let text = String(decoding: try FileBytes.contents(of: path, limit: 4 << 20), as: UTF8.self)
            guard text.contains("-----BEGIN CERTIFICATE-----") else {
                throw UploadFailure(.usage, "\(path): no PEM certificate in it")
            }
            pems.append(text)
        }
        if let pem = caPEM ?? environment[Configuration.Variable.caCertPEM] {
            let text = pem.replacing("\\n", with: "\n")
            guard text.contains("-----BEGIN CERTIFICATE-----") else {
                throw UploadFailure(.usage, "the CA PEM holds no '-----BEGIN CERTIFICATE-----' block")
            }
            pems.append(text)
        }
        return TLSConfiguration(verifyPeer: verify, extraCAPEM: pems.isEmpty ? nil : pems.joined(separator: "\n"))
    }
}
