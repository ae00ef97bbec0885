import ArgumentParser
import Transport

/// `apm-upload info`: what APM Server answers to `GET /` (version, build), which shows that the
/// URL, TLS and credentials work without sending data.
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print APM Server's answer to GET / (its version and build).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let session = try UploadSession(try connection.resolve(ProcessEnvironment()))
        let response = try await session.execute(session.serverInfoRequest())
        guard (200..<300).contains(response.status) else {
            throw UploadFailure(.rejected, "GET / refused with \(response.status)\n\(ServerErrors.describe(response.body))")
        }
        print(response.bodyText)
    }
}
