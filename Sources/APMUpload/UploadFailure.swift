/// Why a command stopped, and the exit status that says so. The message is printed on stderr
/// after `apm-upload: `; it may span lines (a server's `errors` array).
struct UploadFailure: Error, Sendable, CustomStringConvertible {
    let status: ExitStatus
    let message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }
}
