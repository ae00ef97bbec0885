import FuzzSupport
import LifecycleTesting

/// Configuration from the environment (every variable, Go durations among them): the input is
/// `NAME=value` lines over a base of the required variables.
@_cdecl("FuzzEnvironment_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        let text = String(decoding: bytes(data, size), as: UTF8.self)
        var environment = ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "ELASTIC_APM_LAMBDA_APM_SERVER": "http://127.0.0.1:8200"]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        FuzzEntryPoints.configuration(environment, duration: text)
        return 0
    }
}
