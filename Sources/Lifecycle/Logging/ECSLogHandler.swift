package import Logging
import JSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes each log record as one ECS JSON line on stdout, which Lambda sends to CloudWatch.
package struct ECSLogHandler: LogHandler {
    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]
    private let label: String

    package init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var object: JSONObject = [
            "@timestamp": .string(WallClock.iso8601(microseconds: WallClock.nowMicroseconds)),
            "log.level": .string(Self.levelName(event.level)),
            "message": .string("\(event.message)"),
            "ecs.version": .string("1.6.0"),
            "log.logger": .string(label),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() {
            object[key] = Self.json(merged[key]!)
        }
        var writer = JSONWriter()
        writer.write(.object(object))
        writer.writeRaw("\n")
        writer.bytes.withUnsafeBytes { raw in
            // One write per record keeps lines whole when several threads log.
            _ = write(STDOUT_FILENO, raw.baseAddress, raw.count)
        }
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warn"
        case .error: "error"
        case .critical: "critical"
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary):
            .object(JSONObject(dictionary.keys.sorted().map { (key: $0, value: json(dictionary[$0]!)) }))
        }
    }
}
