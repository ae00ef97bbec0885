import FuzzSupport
import Lifecycle

/// The telemetry batch parser (Telemetry API and Logs API shapes), and the Lambda event parser.
@_cdecl("FuzzTelemetry_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        let input = bytes(data, size)
        _ = try? TelemetryEvent.parseBatch(input)
        _ = try? LambdaEvent(json: input)
        return 0
    }
}
