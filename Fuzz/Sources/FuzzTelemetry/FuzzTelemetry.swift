import FuzzSupport
import LifecycleTesting

/// The telemetry batch parser (Telemetry API and Logs API shapes), and the Lambda event parser.
@_cdecl("FuzzTelemetry_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        FuzzEntryPoints.telemetry(bytes(data, size))
        return 0
    }
}
