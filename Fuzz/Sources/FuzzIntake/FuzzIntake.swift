import FuzzSupport
import LifecycleTesting

/// The ndjson scanner used on agent intake data.
@_cdecl("FuzzIntake_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        FuzzEntryPoints.intake(bytes(data, size))
        return 0
    }
}
