// swift-tools-version:6.1
import PackageDescription

// Benchmarks of the extension (`make bench` runs them). A separate package so that the root
// package's `swift build`/`swift test` never build ordo-one/benchmark.
let package = Package(
    name: "benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, because a path dependency is otherwise known by its folder name (a worktree or
        // clone may be called anything).
        .package(name: "elastic-apm-lambda-extension", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The ceiling for the gzip benchmark: one-shot zlib level 1, called from C.
        .target(name: "CRawZlib", linkerSettings: [.linkedLibrary("z")]),
        // Generated APM ndjson, shared by the benchmark targets.
        .target(name: "APMFixtures"),
        .executableTarget(
            name: "TransportBenchmarks",
            dependencies: [
                "CRawZlib", "APMFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Transport", package: "elastic-apm-lambda-extension"),
                .product(name: "LambdaSim", package: "elastic-apm-lambda-extension"),
            ],
            path: "Benchmarks/TransportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "BatchBenchmarks",
            dependencies: [
                "APMFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LifecycleTesting", package: "elastic-apm-lambda-extension"),
                .product(name: "Transport", package: "elastic-apm-lambda-extension"),
            ],
            path: "Benchmarks/BatchBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
