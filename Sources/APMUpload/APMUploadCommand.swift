import ArgumentParser

/// `apm-upload`: sends intake v2 ndjson to APM Server through the extension's transport, to debug
/// connectivity, credentials and TLS without a Lambda.
@main
struct APMUploadCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "apm-upload",
        abstract: "Send ndjson to an Elastic APM Server through the Lambda extension's transport.",
        discussion: """
            Exit status: 0 accepted, 1 refused by the server (its errors are printed), \
            2 usage or input error, 3 network or TLS error.
            """,
        version: version,
        subcommands: [SendCommand.self, InfoCommand.self])

    /// ArgumentParser's own `main`, with this tool's exit statuses: its usage errors exit 2
    /// (not 64), and an `UploadFailure` exits with its status after its message. A PEM after
    /// `--ca-pem` is taken as its value even though it starts with dashes.
    static func main() async {
        do {
            var command = try parseAsRoot(ConnectionOptions.joiningDashedValues(Array(CommandLine.arguments.dropFirst())))
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as UploadFailure {
            StandardError.line("apm-upload: \(failure.message)")
            exit(withError: ExitCode(failure.status.rawValue))
        } catch {
            if exitCode(for: error) == .validationFailure {
                StandardError.line(fullMessage(for: error))
                exit(withError: ExitCode(ExitStatus.usage.rawValue))
            }
            exit(withError: error)
        }
    }
}
