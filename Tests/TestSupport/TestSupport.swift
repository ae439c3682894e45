import Foundation
import XCTest

/// Paths and helpers shared by the test targets.
public enum TestPaths {
    /// The package root (two levels above this file's folder).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Committed fixtures made by scripts/fixtures.
    public static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// `../shared/data` beside the package.
    public static let sharedData = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// The path of a file under `../shared/data`. Fails the test in CI (where the folder must
    /// exist) and skips it elsewhere when the folder is missing.
    public static func sharedFile(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = sharedData.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: path) { return path }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail("CI must have ../shared/data, but \(path) is missing", file: file, line: line)
            throw XCTSkip("missing shared data in CI (reported as a failure)")
        }
        throw XCTSkip("\(path) is missing: real-data test skipped (../shared/data is not beside the package)")
    }

    /// The built `c2s` executable next to the test bundle.
    public static var c2sExecutable: String {
        let bundleDir = Bundle.main.bundleURL.path.hasSuffix(".xctest")
            ? Bundle.main.bundleURL.deletingLastPathComponent()
            : URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundleDir, bundleDir.deletingLastPathComponent()] {
            let p = dir.appendingPathComponent("c2s").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return bundleDir.appendingPathComponent("c2s").path
    }
}

/// Reads a gzip-compressed JSON fixture.
public func loadGzipJSON(_ relative: String) throws -> Any {
    let path = TestPaths.fixtures.appendingPathComponent(relative).path
    guard FileManager.default.fileExists(atPath: path) else {
        throw NSError(domain: "fixtures", code: 1, userInfo: [NSLocalizedDescriptionKey: "missing fixture \(path); run scripts/fixtures"])
    }
    let result = try runProcess("/bin/gzip", ["-dc", path])
    guard result.status == 0 else { throw NSError(domain: "fixtures", code: 2, userInfo: [NSLocalizedDescriptionKey: "cannot gunzip \(path)"]) }
    return try JSONSerialization.jsonObject(with: result.stdout)
}

/// Result of running a process.
public struct ProcessResult {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
}

/// Runs `executable` with `arguments`, capturing output.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let group = DispatchGroup()
    group.enter()
    let errHandle = err.fileHandleForReading
    DispatchQueue.global().async { errBox.data = errHandle.readDataToEndOfFile(); group.leave() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errBox.data, as: UTF8.self))
}

/// A fresh temporary folder, removed by `remove()`.
public final class TemporaryFolder {
    public let path: String
    public init() throws {
        path = NSTemporaryDirectory() + "c2s-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    public func file(_ name: String) -> String { path + "/" + name }
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
    deinit { remove() }
}
