import FuzzSupport
import Lifecycle

/// The ndjson scanner used on agent intake data.
@_cdecl("FuzzIntake_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        if let payload = try? IntakePayload(ndjson: bytes(data, size)) {
            precondition(payload.eventCount == payload.events.split(separator: 0x0A).count, "event count mismatch")
        }
        return 0
    }
}
