import FuzzSupport
import LifecycleTesting

/// The `/register/transaction` body parser.
@_cdecl("FuzzRegisterTransaction_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        FuzzEntryPoints.registerTransaction(bytes(data, size))
        return 0
    }
}
