// swift-tools-version:6.0
import PackageDescription

let optimise: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "c2s",
    products: [
        .executable(name: "c2s", targets: ["c2s"]),
        .library(name: "Mechanics", targets: ["Mechanics"]),
        .library(name: "SingleCell", targets: ["SingleCell"]),
        .library(name: "CellSentences", targets: ["CellSentences"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Prompts", targets: ["Prompts"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .library(name: "C2S", targets: ["C2S"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLAPACK", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Mechanics", swiftSettings: optimise),
        .target(name: "SingleCell", dependencies: ["Mechanics", "CHDF5", "CZlib", "CCrypto"], swiftSettings: optimise),
        .target(name: "CellSentences", dependencies: ["Mechanics", "SingleCell"], swiftSettings: optimise),
        .target(name: "Prompts", dependencies: ["Mechanics", "CellSentences", "SingleCell"], swiftSettings: optimise),
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "CEvaluationKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Transformer", dependencies: ["Mechanics", "CBLAS", "CKernels"], swiftSettings: optimise),
        .target(name: "Distributed", dependencies: ["Mechanics", "Transformer"], swiftSettings: optimise),
        .target(name: "C2S", dependencies: ["Mechanics", "Transformer", "Prompts", "CellSentences", "SingleCell", "Evaluation", "Reports"], swiftSettings: optimise),
        .target(name: "Evaluation", dependencies: ["Mechanics", "CellSentences", "SingleCell", "CBLAS", "CLAPACK", "CEvaluationKernels"], swiftSettings: optimise),
        .target(name: "Reports", dependencies: ["Mechanics", "Evaluation", "CellSentences", "SingleCell", "Transformer"], swiftSettings: optimise),
        .executableTarget(
            name: "c2s",
            dependencies: [
                "Mechanics", "SingleCell", "CellSentences", "Prompts", "Evaluation", "Reports", "Transformer", "Distributed", "C2S", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimise),
        .target(name: "TestSupport", dependencies: ["Transformer"], path: "Tests/TestSupport"),
        .testTarget(name: "SingleCellTests", dependencies: ["Mechanics", "SingleCell", "TestSupport"]),
        .testTarget(name: "CellSentencesTests", dependencies: ["Mechanics", "CellSentences", "SingleCell", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Mechanics", "Evaluation", "CellSentences", "SingleCell", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Mechanics", "Reports", "Evaluation", "CellSentences", "SingleCell", "TestSupport"]),
        .testTarget(name: "PromptsTests", dependencies: ["Mechanics", "Prompts", "CellSentences", "SingleCell", "TestSupport"]),
        .testTarget(name: "TransformerTests", dependencies: ["Mechanics", "Transformer", "TestSupport"]),
        .testTarget(name: "C2STests", dependencies: ["Mechanics", "C2S", "Transformer", "Prompts", "CellSentences", "Evaluation", "SingleCell", "TestSupport"]),
        .testTarget(name: "c2sTests", dependencies: ["Mechanics", "c2s", "SingleCell", "CellSentences", "Transformer", "TestSupport"]),
    ]
)
