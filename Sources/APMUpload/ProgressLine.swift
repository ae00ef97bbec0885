/// A line on stderr that says how far a large upload has come, rewritten in place. Only for a
/// person watching: off unless stderr is a terminal and the input is over 1 MiB.
final class ProgressLine {
    static let threshold = 1 << 20

    private let totalBytes: Int
    let isEnabled: Bool
    private var shown = false

    init(totalBytes: Int, enabled: Bool) {
        self.totalBytes = totalBytes
        self.isEnabled = enabled
    }

    /// Whether an upload of `totalBytes` shows progress.
    static func wanted(totalBytes: Int, stderrIsTerminal: Bool, verbose: Bool) -> Bool {
        stderrIsTerminal && !verbose && totalBytes > threshold
    }

    func update(batch: Int, of batches: Int, sentBytes: Int) {
        guard isEnabled else { return }
        let percent = totalBytes == 0 ? 100 : sentBytes * 100 / totalBytes
        StandardError.emit("\r\u{1B}[Ksent batch \(batch)/\(batches), \(Self.megabytes(sentBytes)) of \(Self.megabytes(totalBytes)) (\(percent)%)")
        shown = true
    }

    /// Ends the line so that what follows starts on its own.
    func finish() {
        guard shown else { return }
        StandardError.emit("\n")
        shown = false
    }

    static func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}
