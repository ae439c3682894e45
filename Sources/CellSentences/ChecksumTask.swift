import Foundation
import SingleCell

/// SHA-256 of each input file computed on a background thread, one file after another.
final class ChecksumTask: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<[String], Error> = .success([])

    init(_ paths: [String]) {
        group.enter()
        DispatchQueue.global(qos: .utility).async {
            self.result = Result { try paths.map { try FileChecksum.sha256($0) } }
            self.group.leave()
        }
    }

    func wait() throws -> [String] {
        group.wait()
        return try result.get()
    }
}
